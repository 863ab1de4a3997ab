//! SCRAM channel binding (`tls-server-end-point`, RFC 5929): the hash of the
//! server's certificate, taken with the hash its signature uses (MD5 and SHA-1
//! count as SHA-256). With it, SCRAM-SHA-256-PLUS proves that the server the
//! password exchange ran with is the one at the end of this TLS session, even
//! where `ssl_mode` does not verify the certificate.

use sha2::{Digest, Sha256, Sha384, Sha512};

/// The binding data for a DER certificate, or `None` for a signature
/// algorithm without a usable hash (RSASSA-PSS, Ed25519) or a malformed one.
pub(crate) fn end_point(cert: &[u8]) -> Option<Vec<u8>> {
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE { OID, … }, … }
    let (certificate, _) = tlv(cert, 0x30)?;
    let (_, rest) = tlv(certificate, 0x30)?;
    let (algorithm, _) = tlv(rest, 0x30)?;
    let (oid, _) = tlv(algorithm, 0x06)?;
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    const ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04];
    let digest = match (oid.strip_prefix(RSA), oid.strip_prefix(ECDSA)) {
        (Some([0x04 | 0x05 | 0x0b]), _) | (_, Some([0x01] | [0x03, 0x02])) => Sha256::digest(cert).to_vec(),
        (Some([0x0c]), _) | (_, Some([0x03, 0x03])) => Sha384::digest(cert).to_vec(),
        (Some([0x0d]), _) | (_, Some([0x03, 0x04])) => Sha512::digest(cert).to_vec(),
        _ => return None,
    };
    Some(digest)
}

/// One DER element with tag `tag`: its contents and what follows it.
fn tlv(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&[t, first], rest) = der.split_first_chunk::<2>()?;
    if t != tag {
        return None;
    }
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        let (bytes, rest) = rest.split_at_checked(n).filter(|_| n <= 4)?;
        (bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), rest)
    };
    rest.split_at_checked(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SEQUENCE { SEQUENCE {} , SEQUENCE { OID } }: the shape of a certificate.
    fn cert_signed_with(oid: &[u8]) -> Vec<u8> {
        let mut algorithm = vec![0x06, oid.len() as u8];
        algorithm.extend_from_slice(oid);
        let mut body = vec![0x30, 0x00, 0x30, algorithm.len() as u8];
        body.extend(algorithm);
        let mut cert = vec![0x30, 0x81, body.len() as u8];
        cert.extend(body);
        cert
    }

    #[test]
    fn the_hash_follows_the_signature_algorithm() {
        let rsa = |last: u8| cert_signed_with(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, last]);
        for (cert, len) in [(rsa(0x0b), 32), (rsa(0x05), 32), (rsa(0x0c), 48), (rsa(0x0d), 64)] {
            let data = end_point(&cert).expect("a known algorithm");
            assert_eq!(data.len(), len);
            assert_eq!(data.len() == 32, data == Sha256::digest(&cert).to_vec());
        }
        let ecdsa384 = cert_signed_with(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03]);
        assert_eq!(end_point(&ecdsa384).map(|d| d.len()), Some(48));
    }

    #[test]
    fn unknown_algorithms_and_malformed_certificates_have_no_binding() {
        assert_eq!(end_point(&cert_signed_with(&[0x2b, 0x65, 0x70])), None); // Ed25519
        assert_eq!(end_point(&cert_signed_with(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a])), None); // PSS
        assert_eq!(end_point(&[0x30, 0x05, 0x30]), None);
        assert_eq!(end_point(&[]), None);
    }
}
