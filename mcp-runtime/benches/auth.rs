//! The cost of deciding on one request's `Authorization` header: a bearer
//! token (keyed hash + constant-time compare), and JWT access tokens signed
//! with EdDSA, ES256 and RS256 (2048-bit) checked by the oauth rule against
//! inline keys (decode, key by `kid`, signature, `iss`/`aud`/`exp`/`nbf`,
//! the principal built from the claims). No network: keys are inline.
//!
//! Run with `cargo bench -p mcp-runtime --bench auth`. Prints the mean and
//! median per check in microseconds.

use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use mcp_runtime::auth::AuthCheck;
use ring::rand::SystemRandom;
use ring::signature::{self as sig, KeyPair};
use serde_json::{Value, json};
use shared_model::manifest::{AuthSettings, BearerToken};
use shared_model::secret::Keyring;
use shared_model::token::TokenHasher;

const ITERATIONS: usize = 5000;
const WARMUP: usize = 500;
const RESOURCE: &str = "https://mcp.example.com/mcp";
const ISSUER: &str = "https://idp.example.com";

fn stats(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len() as f64;
    (mean * 1e6, samples[samples.len() / 2].as_secs_f64() * 1e6)
}

async fn time(label: &str, check: &AuthCheck, headers: &[HeaderValue]) {
    for h in headers.iter().cycle().take(WARMUP) {
        assert!(check.allows(Some(h)).await, "{label} is accepted");
    }
    let mut samples = Vec::with_capacity(ITERATIONS);
    for h in headers.iter().cycle().skip(WARMUP).take(ITERATIONS) {
        let t = Instant::now();
        let ok = check.allows(Some(h)).await;
        samples.push(t.elapsed());
        assert!(ok);
    }
    let (mean, median) = stats(samples);
    println!("{label:<40} mean {mean:>8.2} µs   median {median:>8.2} µs");
}

fn jwt(alg: &str, jti: usize, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": ISSUER, "aud": RESOURCE, "sub": "alice", "exp": now + 3600, "iat": now,
                        "client_id": "c1", "scope": "mcp:tools", "email": "alice@example.com", "jti": jti});
    let input = format!(
        "{}.{}",
        B64.encode(json!({"alg": alg, "kid": alg, "typ": "at+jwt"}).to_string()),
        B64.encode(claims.to_string())
    );
    let s = sign(input.as_bytes());
    format!("{input}.{}", B64.encode(s))
}

fn oauth(keys: Vec<Value>) -> AuthCheck {
    let settings: AuthSettings = serde_json::from_value(json!({"mode": "oauth", "resource": RESOURCE,
        "issuers": [{"issuer": ISSUER, "keys": keys, "algorithms": ["EdDSA", "ES256", "RS256"]}]}))
    .expect("oauth settings");
    AuthCheck::build(&settings, None).expect("oauth rule")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rng = SystemRandom::new();
    let header = |t: &str| HeaderValue::from_str(&format!("Bearer {t}")).expect("header");

    let key = Keyring::generate_key();
    let hash = TokenHasher::from_runtime_key(&key).expect("hasher").hash_hex("bench-token");
    let bearer =
        AuthCheck::build(&AuthSettings::Bearer { tokens: vec![BearerToken { id: "t".into(), hash }] }, Some(&key))
            .expect("bearer rule");

    let ed =
        sig::Ed25519KeyPair::from_pkcs8(sig::Ed25519KeyPair::generate_pkcs8(&rng).expect("ed").as_ref()).expect("ed");
    let es_alg = &sig::ECDSA_P256_SHA256_FIXED_SIGNING;
    let es = sig::EcdsaKeyPair::from_pkcs8(
        es_alg,
        sig::EcdsaKeyPair::generate_pkcs8(es_alg, &rng).expect("es").as_ref(),
        &rng,
    )
    .expect("es");
    let rs =
        sig::RsaKeyPair::from_der(include_bytes!("../../tests/fixtures/oauth/rsa2048-test-only.der")).expect("rsa");
    let rs_pub = sig::RsaPublicKeyComponents::<Vec<u8>>::from(rs.public());
    let es_pub = es.public_key().as_ref().to_vec();
    let keys = vec![
        json!({"kty": "OKP", "crv": "Ed25519", "kid": "EdDSA", "x": B64.encode(ed.public_key().as_ref())}),
        json!({"kty": "EC", "crv": "P-256", "kid": "ES256", "x": B64.encode(&es_pub[1..33]), "y": B64.encode(&es_pub[33..65])}),
        json!({"kty": "RSA", "kid": "RS256", "n": B64.encode(&rs_pub.n), "e": B64.encode(&rs_pub.e)}),
    ];
    let rule = oauth(keys);
    // Distinct tokens (each `jti` differs) are each verified once: a token's
    // first call. The same token again is the runtime's verified-token cache.
    let fresh = |sign: &dyn Fn(&[u8]) -> Vec<u8>, alg: &str| -> Vec<HeaderValue> {
        (0..WARMUP + ITERATIONS).map(|i| header(&jwt(alg, i, sign))).collect()
    };
    let ed_sign = |m: &[u8]| ed.sign(m).as_ref().to_vec();
    let es_sign = |m: &[u8]| es.sign(&rng, m).expect("sign").as_ref().to_vec();
    let rs_sign = |m: &[u8]| {
        let mut out = vec![0; rs.public().modulus_len()];
        rs.sign(&sig::RSA_PKCS1_SHA256, &rng, m, &mut out).expect("sign");
        out
    };

    time("bearer (keyed hash)", &bearer, &[header("bench-token")]).await;
    time("JWT EdDSA (Ed25519), first use", &rule, &fresh(&ed_sign, "EdDSA")).await;
    time("JWT ES256 (P-256), first use", &rule, &fresh(&es_sign, "ES256")).await;
    time("JWT RS256 (RSA-2048), first use", &rule, &fresh(&rs_sign, "RS256")).await;
    time("JWT RS256, same token again (cached)", &rule, &[header(&jwt("RS256", 0, rs_sign))]).await;
}
