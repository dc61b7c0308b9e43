//! A private CA and server certificates for 127.0.0.1, for the TLS tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

/// A private CA and its key.
pub struct Ca {
    pub cert: rcgen::Certificate,
    params: rcgen::CertificateParams,
    key: rcgen::KeyPair,
}

pub fn ca() -> Ca {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "signet test CA");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Ca { cert, params, key }
}

/// A server certificate for 127.0.0.1 with `serial`, signed by `ca`: (certificate PEM, key
/// PEM, certificate DER).
pub fn leaf(ca: &Ca, serial: u64) -> (String, String, Vec<u8>) {
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.serial_number = Some(rcgen::SerialNumber::from(serial));
    let key = rcgen::KeyPair::generate().unwrap();
    let issuer = rcgen::Issuer::from_params(&ca.params, &ca.key);
    let cert = params.signed_by(&key, &issuer).unwrap();
    (cert.pem(), key.serialize_pem(), cert.der().to_vec())
}

pub fn write_leaf(dir: &Path, ca: &Ca, serial: u64) -> Vec<u8> {
    let (cert, key, der) = leaf(ca, serial);
    std::fs::write(dir.join("tls.crt"), cert).unwrap();
    std::fs::write(dir.join("tls.key"), key).unwrap();
    der
}
