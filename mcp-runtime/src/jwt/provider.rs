//! Quarry's one crypto provider for `jsonwebtoken`, shared by the runtime and
//! the control plane (which links this library): signing with HS256 and
//! EdDSA; verifying HS256, EdDSA, ES256 and RS256/384/512, PS256/384/512.
//!
//! The control plane signs session tokens with HS256 and OAuth access tokens
//! with EdDSA (Ed25519); the runtime verifies access tokens from external
//! authorization servers ([`super::Verifier`]), which mostly sign with RS256 or
//! ES256. RSA verification uses ring's `RsaPublicKeyComponents` straight from
//! the JWK's `n`/`e`, so no `rsa` crate is needed. jsonwebtoken 11 asks for a crypto backend; its
//! `rust_crypto` feature brings every algorithm, including the `rsa` crate
//! (RUSTSEC-2023-0071, Marvin attack, no fixed release), and its `aws_lc_rs`
//! feature brings a second C crypto library next to rustls' `ring`. We enable
//! neither and install this provider instead: HMAC-SHA256 from `hmac` +
//! `sha2`, Ed25519 from `ring` (already rustls' provider). Any other
//! algorithm is refused with `UnsupportedAlgorithm`, so a token with a
//! different `alg` (`none` included) can never verify; each `Validation`
//! also pins its one algorithm.

use hmac::{Hmac, Mac};
use jsonwebtoken::DecodingKeyKind;
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result, new_error};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, Ed25519KeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384,
    RSA_PKCS1_2048_8192_SHA512, RSA_PSS_2048_8192_SHA256, RSA_PSS_2048_8192_SHA384, RSA_PSS_2048_8192_SHA512,
    RsaParameters, RsaPublicKeyComponents, UnparsedPublicKey, VerificationAlgorithm,
};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

static PROVIDER: CryptoProvider =
    CryptoProvider { signer_factory: signer, verifier_factory: verifier, key_utils: KeyUtils::new_unimplemented() };

/// Makes this provider jsonwebtoken's process default. Idempotent; must run
/// before the first `encode`/`decode` (`SessionKeys::new`, the OAuth
/// signing keys and [`super::Verifier::new`] call it).
pub fn install() {
    // Err means a provider is already installed; ours is the only one in the
    // binary, so that is this same provider from an earlier call.
    let _ = PROVIDER.install_default();
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    if *algorithm == Algorithm::EdDSA {
        if key.family() != AlgorithmFamily::Ed {
            return Err(new_error(ErrorKind::InvalidKeyFormat));
        }
        let pair = Ed25519KeyPair::from_pkcs8(key.as_bytes()).map_err(|_| new_error(ErrorKind::InvalidEddsaKey))?;
        return Ok(Box::new(EdSigner(pair)));
    }
    if *algorithm != Algorithm::HS256 {
        return Err(new_error(ErrorKind::UnsupportedAlgorithm));
    }
    if key.family() != AlgorithmFamily::Hmac {
        return Err(new_error(ErrorKind::InvalidKeyFormat));
    }
    let mac = HmacSha256::new_from_slice(key.as_bytes()).map_err(|_| new_error(ErrorKind::InvalidKeyFormat))?;
    Ok(Box::new(Hs256(mac)))
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    let want = match algorithm {
        Algorithm::HS256 => AlgorithmFamily::Hmac,
        Algorithm::EdDSA => AlgorithmFamily::Ed,
        Algorithm::ES256 => AlgorithmFamily::Ec,
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => AlgorithmFamily::Rsa,
        _ => return Err(new_error(ErrorKind::UnsupportedAlgorithm)),
    };
    if key.family() != want {
        return Err(new_error(ErrorKind::InvalidKeyFormat));
    }
    let public = |params: &'static dyn VerificationAlgorithm| -> Result<Box<dyn JwtVerifier>> {
        // The raw public key: 32 bytes for Ed25519 (`from_ed_components`), the
        // uncompressed point for P-256 (`from_ec_components`).
        Ok(Box::new(PublicKeyVerifier { algorithm: *algorithm, params, key: key.try_get_as_bytes()?.to_vec() }))
    };
    let rsa = |params: &'static RsaParameters| -> Result<Box<dyn JwtVerifier>> {
        // Only JWK components (`from_rsa_components`): `n` and `e` as sent.
        let DecodingKeyKind::RsaModulusExponent { n, e } = key.kind() else {
            return Err(new_error(ErrorKind::InvalidKeyFormat));
        };
        Ok(Box::new(RsaVerifier { algorithm: *algorithm, params, n: n.clone(), e: e.clone() }))
    };
    match algorithm {
        Algorithm::EdDSA => public(&ED25519),
        Algorithm::ES256 => public(&ECDSA_P256_SHA256_FIXED),
        Algorithm::RS256 => rsa(&RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => rsa(&RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => rsa(&RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => rsa(&RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => rsa(&RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => rsa(&RSA_PSS_2048_8192_SHA512),
        _ => {
            let mac = HmacSha256::new_from_slice(key.try_get_as_bytes()?)
                .map_err(|_| new_error(ErrorKind::InvalidKeyFormat))?;
            Ok(Box::new(Hs256(mac)))
        }
    }
}

struct Hs256(HmacSha256);

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        // verify_slice compares in constant time.
        mac.verify_slice(sig).map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

struct EdSigner(Ed25519KeyPair);

impl Signer<Vec<u8>> for EdSigner {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(self.0.sign(msg).as_ref().to_vec())
    }
}

impl JwtSigner for EdSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

/// Ed25519 or ECDSA P-256 over a raw public key.
struct PublicKeyVerifier {
    algorithm: Algorithm,
    params: &'static dyn VerificationAlgorithm,
    key: Vec<u8>,
}

impl Verifier<Vec<u8>> for PublicKeyVerifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        UnparsedPublicKey::new(self.params, &self.key).verify(msg, sig).map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for PublicKeyVerifier {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

/// RSA PKCS#1 v1.5 or PSS from the JWK's modulus and exponent (2048–8192 bits).
struct RsaVerifier {
    algorithm: Algorithm,
    params: &'static RsaParameters,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl Verifier<Vec<u8>> for RsaVerifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        RsaPublicKeyComponents { n: &self.n, e: &self.e }
            .verify(self.params, msg, sig)
            .map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for RsaVerifier {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Header, Validation, decode, encode};
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Claims {
        sub: String,
        exp: i64,
    }

    fn claims() -> Claims {
        Claims { sub: "admin".into(), exp: chrono::Utc::now().timestamp() + 60 }
    }

    #[test]
    fn round_trip_and_rejections() {
        install();
        install(); // idempotent
        let key = b"0123456789abcdef0123456789abcdef";
        let token = encode(&Header::new(Algorithm::HS256), &claims(), &EncodingKey::from_secret(key)).unwrap();
        let validation = Validation::new(Algorithm::HS256);
        let got = decode::<Claims>(&token, &DecodingKey::from_secret(key), &validation).unwrap();
        assert_eq!(got.claims.sub, "admin");

        // Wrong secret.
        assert!(decode::<Claims>(&token, &DecodingKey::from_secret(b"other"), &validation).is_err());
        // Tampered signature.
        let mut bad = token.clone().into_bytes();
        let i = token.rfind('.').unwrap() + 5;
        bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        assert!(decode::<Claims>(&bad, &DecodingKey::from_secret(key), &validation).is_err());
        // Other algorithms are not available at all.
        let err = encode(&Header::new(Algorithm::HS512), &claims(), &EncodingKey::from_secret(key)).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::UnsupportedAlgorithm));
        // jsonwebtoken itself refuses an HMAC key for RS256; the provider refuses it too.
        let Err(err) = signer(&Algorithm::RS256, &EncodingKey::from_secret(key)) else { panic!("RS256 signer") };
        assert!(matches!(err.kind(), ErrorKind::UnsupportedAlgorithm));
        // RS256 verification exists, but never with an HMAC secret as the key.
        let Err(err) = verifier(&Algorithm::RS256, &DecodingKey::from_secret(key)) else { panic!("RS256 verifier") };
        assert!(matches!(err.kind(), ErrorKind::InvalidKeyFormat));
        // Nor an HMAC verifier over a public key (the RS256→HS256 confusion).
        let public = DecodingKey::from_rsa_raw_components(&[0xc5; 256], &[1, 0, 1]);
        let Err(err) = verifier(&Algorithm::HS256, &public) else { panic!("HS256 over an RSA key") };
        assert!(matches!(err.kind(), ErrorKind::InvalidKeyFormat));
        let Err(err) = verifier(&Algorithm::HS384, &DecodingKey::from_secret(key)) else { panic!("HS384") };
        assert!(matches!(err.kind(), ErrorKind::UnsupportedAlgorithm));
    }

    #[test]
    fn known_answer() {
        // RFC 4231 test case 2: HMAC-SHA256(key="Jefe", "what do ya want for nothing?").
        install();
        let s = signer(&Algorithm::HS256, &EncodingKey::from_secret(b"Jefe")).unwrap();
        let mac = s.try_sign(b"what do ya want for nothing?").unwrap();
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn ed25519_round_trip_and_rejections() {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use ring::signature::KeyPair;
        install();
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let public = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap().public_key().as_ref().to_vec();
        let x = URL_SAFE_NO_PAD.encode(&public);
        let token =
            encode(&Header::new(Algorithm::EdDSA), &claims(), &EncodingKey::from_ed_der(pkcs8.as_ref())).unwrap();
        let validation = Validation::new(Algorithm::EdDSA);
        let key = DecodingKey::from_ed_components(&x).unwrap();
        assert_eq!(decode::<Claims>(&token, &key, &validation).unwrap().claims.sub, "admin");
        // Another key's signature does not verify.
        let other = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let other = Ed25519KeyPair::from_pkcs8(other.as_ref()).unwrap().public_key().as_ref().to_vec();
        let other = DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(other)).unwrap();
        assert!(decode::<Claims>(&token, &other, &validation).is_err());
        // An HMAC key cannot stand in for the public key, nor HS256 for EdDSA.
        assert!(decode::<Claims>(&token, &DecodingKey::from_secret(&public), &validation).is_err());
        assert!(decode::<Claims>(&token, &key, &Validation::new(Algorithm::HS256)).is_err());
    }
}
