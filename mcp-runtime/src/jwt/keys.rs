//! The signing keys of one trusted issuer: inline keys as given, plus its
//! JWKS (`jwks_uri`) fetched on first use with a 5 s timeout and a 256 KiB
//! body bound, kept, and fetched again only when a token names a `kid` the
//! store does not know (the issuer rotated its keys) — at most once per
//! [`JWKS_REFETCH_INTERVAL`] after the first fetch, so a stream of tokens with
//! made-up `kid`s costs the issuer one request per interval, not one per
//! token. A failed fetch counts as a fetch.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey};
use shared_model::manifest::{Jwk, TrustedIssuer};

/// Shortest time between two JWKS fetches of one issuer.
pub const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// How long a JWKS fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest JWKS body read.
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// Most keys kept from one JWKS.
const MAX_JWKS_KEYS: usize = 50;

/// One usable public key.
#[derive(Clone)]
struct Key {
    kid: Option<String>,
    /// The `alg` the JWK is restricted to, if it names one.
    alg: Option<Algorithm>,
    family: jsonwebtoken::AlgorithmFamily,
    key: DecodingKey,
}

#[derive(Default)]
struct Fetched {
    keys: Vec<Key>,
    /// Whether the first fetch (which the rate limit does not hold back) was made.
    first_done: bool,
    /// When the latest fetch after the first was made (success or not).
    refetched: Option<Instant>,
}

/// The keys of one issuer; shared by every rule compiled from the same issuer settings.
pub struct KeyStore {
    settings: TrustedIssuer,
    inline: Vec<Key>,
    fetched: Mutex<Fetched>,
    /// Serialises fetches, so concurrent unknown `kid`s wait for one request.
    fetching: tokio::sync::Mutex<()>,
    http: Option<reqwest::Client>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").field("issuer", &self.settings.issuer).finish_non_exhaustive()
    }
}

impl KeyStore {
    /// The store for `issuer`; its inline keys must all be usable.
    pub fn new(issuer: &TrustedIssuer) -> Result<KeyStore, String> {
        let inline = issuer
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| to_key(k).map_err(|e| format!("issuer {}: key {i}: {e}", issuer.issuer)))
            .collect::<Result<Vec<_>, _>>()?;
        let http = match &issuer.jwks_uri {
            None => None,
            Some(_) => Some(https_client(FETCH_TIMEOUT).map_err(|e| format!("issuer {}: {e}", issuer.issuer))?),
        };
        Ok(KeyStore {
            settings: issuer.clone(),
            inline,
            fetched: Mutex::default(),
            fetching: tokio::sync::Mutex::new(()),
            http,
        })
    }

    /// The issuer settings this store was built from.
    pub fn settings(&self) -> &TrustedIssuer {
        &self.settings
    }

    /// The store for `issuer`: `previous` when it was built from the same
    /// settings (keeping its fetched keys and rate limit), else a new one.
    pub fn reuse_or_new(issuer: &TrustedIssuer, previous: &[Arc<KeyStore>]) -> Result<Arc<KeyStore>, String> {
        match previous.iter().find(|s| &s.settings == issuer) {
            Some(s) => Ok(s.clone()),
            None => KeyStore::new(issuer).map(Arc::new),
        }
    }

    /// The key for a token signed with `alg` naming `kid`: fetches the JWKS on
    /// first use, and again (rate-limited) when `kid` is unknown.
    pub(crate) async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, String> {
        if let Some(k) = self.find(kid, alg) {
            return Ok(k);
        }
        let Some(uri) = &self.settings.jwks_uri else {
            return Err(no_key(kid));
        };
        let _one = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(k) = self.find(kid, alg) {
            return Ok(k);
        }
        {
            let mut f = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
            if f.first_done {
                if f.refetched.is_some_and(|t| t.elapsed() < JWKS_REFETCH_INTERVAL) {
                    return Err(no_key(kid));
                }
                f.refetched = Some(Instant::now());
            }
            f.first_done = true;
        }
        match self.fetch(uri).await {
            Ok(keys) => {
                tracing::info!(issuer = %self.settings.issuer, keys = keys.len(), "Fetched the issuer's signing keys.");
                self.fetched.lock().unwrap_or_else(|e| e.into_inner()).keys = keys;
            }
            Err(e) => {
                tracing::warn!(issuer = %self.settings.issuer, error = %e, "Cannot fetch the issuer's signing keys.");
                return Err(format!("the issuer's signing keys are unavailable ({e})"));
            }
        }
        self.find(kid, alg).ok_or_else(|| no_key(kid))
    }

    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
        let fits = |k: &&Key| {
            k.family == alg.family() && k.alg.is_none_or(|a| a == alg) && (kid.is_none() || k.kid.as_deref() == kid)
        };
        let pick = |keys: &[Key]| -> Option<DecodingKey> {
            let mut candidates = keys.iter().filter(fits);
            let first = candidates.next()?;
            // Without a `kid` a key is only chosen when it is the only candidate.
            (kid.is_some() || candidates.next().is_none()).then(|| first.key.clone())
        };
        if let Some(k) = pick(&self.inline) {
            return Some(k);
        }
        let f = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        pick(&f.keys)
    }

    async fn fetch(&self, uri: &str) -> Result<Vec<Key>, String> {
        let http = self.http.as_ref().ok_or("no HTTP client")?;
        let mut res = http.get(uri).header("accept", "application/json").send().await.map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("HTTP {}", res.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(format!("the JWKS is larger than {MAX_JWKS_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        #[derive(serde::Deserialize)]
        struct Jwks {
            keys: Vec<serde_json::Value>,
        }
        let jwks: Jwks = serde_json::from_slice(&body).map_err(|e| format!("not a JWKS: {e}"))?;
        // Keys of other types (encryption keys, symmetric ones) are skipped, not fatal.
        Ok(jwks
            .keys
            .into_iter()
            .filter_map(|v| serde_json::from_value::<Jwk>(v).ok())
            .filter(|k| k.use_.as_deref().is_none_or(|u| u == "sig"))
            .filter_map(|k| to_key(&k).ok())
            .take(MAX_JWKS_KEYS)
            .collect())
    }
}

/// An HTTPS client trusting the Mozilla roots over ring, so it does not
/// depend on a process-wide rustls provider; redirects are not followed.
pub fn https_client(timeout: Duration) -> Result<reqwest::Client, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

fn no_key(kid: Option<&str>) -> String {
    match kid {
        Some(kid) => format!("no signing key with kid {:?}", kid.chars().take(64).collect::<String>()),
        None => "the token names no kid and no single key fits".into(),
    }
}

/// A JWK as a verification key; only public RSA, P-256 and Ed25519 keys.
fn to_key(jwk: &Jwk) -> Result<Key, String> {
    use jsonwebtoken::AlgorithmFamily as F;
    let missing = |m: &str| format!("{} key without {m}", jwk.kty);
    let (family, key) = match jwk.kty.as_str() {
        "RSA" => {
            let (n, e) = (jwk.n.as_deref().ok_or_else(|| missing("n"))?, jwk.e.as_deref().ok_or_else(|| missing("e"))?);
            (F::Rsa, DecodingKey::from_rsa_components(n, e).map_err(|e| e.to_string())?)
        }
        "EC" if jwk.crv.as_deref() == Some("P-256") => {
            let (x, y) = (jwk.x.as_deref().ok_or_else(|| missing("x"))?, jwk.y.as_deref().ok_or_else(|| missing("y"))?);
            (F::Ec, DecodingKey::from_ec_components(x, y).map_err(|e| e.to_string())?)
        }
        "OKP" if jwk.crv.as_deref() == Some("Ed25519") => {
            let x = jwk.x.as_deref().ok_or_else(|| missing("x"))?;
            (F::Ed, DecodingKey::from_ed_components(x).map_err(|e| e.to_string())?)
        }
        other => return Err(format!("unsupported key type {other:?} (use RSA, EC P-256 or OKP Ed25519)")),
    };
    let alg = match jwk.alg.as_deref() {
        None => None,
        Some(a) => Some(a.parse::<Algorithm>().map_err(|_| format!("unknown alg {a:?}"))?),
    };
    Ok(Key { kid: jwk.kid.clone(), alg, family, key })
}
