//! TLS for the servers: a certificate chain and private key read from PEM files, served through
//! rustls (aws-lc-rs) and swapped in place by [`TlsFiles::reload`] (on SIGHUP), so renewing a
//! certificate needs no restart and drops no connection: a connection keeps the certificate it
//! was opened with, new connections get the new one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use signet_crypto::read_capped;
use signet_types::limits::FileLimit;

/// Largest TLS certificate chain file read.
pub const CERT_FILE: FileLimit = FileLimit::new("TLS certificate", 1024 * 1024);
/// Largest TLS private key file read.
pub const KEY_FILE: FileLimit = FileLimit::new("TLS private key", 64 * 1024);

/// `Strict-Transport-Security` value sent on every answer over TLS: one year.
pub const HSTS: &str = "max-age=31536000";

/// A TLS certificate or key file that cannot be used; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read or is too large.
    #[error(transparent)]
    Read(#[from] signet_crypto::ReadFileError),
    /// The certificate file holds no usable PEM certificate.
    #[error("TLS certificate {0}: no PEM certificate (BEGIN CERTIFICATE) in the file")]
    NoCertificate(PathBuf),
    /// The certificate file holds a malformed PEM block.
    #[error("TLS certificate {path}: {why}")]
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The key file holds no usable private key.
    #[error("TLS private key {path}: {why}")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The key does not belong to the certificate, or rustls refuses the pair.
    #[error("TLS private key {key} does not match certificate {cert}: {why}")]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        why: String,
    },
}

/// The provider every signet TLS server uses.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Reads and checks a certificate chain (leaf first) and its private key.
pub fn load_pair(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let cert_pem = read_capped(cert, CERT_FILE)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadCertificate {
            path: cert.to_path_buf(),
            why: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert.to_path_buf()));
    }
    let key_pem = read_capped(key, KEY_FILE)?;
    let der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::BadKey {
        path: key.to_path_buf(),
        why: match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "no PEM private key (BEGIN PRIVATE KEY, EC or RSA) in the file".to_string()
            }
            e => e.to_string(),
        },
    })?;
    let bad_key = |e: rustls::Error| TlsError::BadKey {
        path: key.to_path_buf(),
        why: e.to_string(),
    };
    let signing = provider()
        .key_provider
        .load_private_key(der)
        .map_err(bad_key)?;
    let pair = CertifiedKey::new(chain, signing);
    pair.keys_match().map_err(|e| TlsError::Mismatch {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        why: e.to_string(),
    })?;
    Ok(pair)
}

/// A certificate and key read from two files, reloadable while serving.
#[derive(Debug)]
pub struct TlsFiles {
    cert: PathBuf,
    key: PathBuf,
    current: Arc<Current>,
}

/// The certificate new handshakes get.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        // A poisoned lock still holds a complete Arc (writers only swap it).
        Some(self.0.read().unwrap_or_else(|p| p.into_inner()).clone())
    }
}

impl TlsFiles {
    /// Reads `cert` (PEM chain, leaf first) and `key` (PEM PKCS#8, SEC1 or PKCS#1) and checks
    /// that they belong together.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let pair = load_pair(cert, key)?;
        Ok(Self {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: Arc::new(Current(RwLock::new(Arc::new(pair)))),
        })
    }

    /// Reads the two files again; on success new connections get the new certificate, on
    /// failure the old one stays in use and the error says why.
    pub fn reload(&self) -> Result<(), TlsError> {
        let pair = Arc::new(load_pair(&self.cert, &self.key)?);
        *self.current.0.write().unwrap_or_else(|p| p.into_inner()) = pair;
        Ok(())
    }

    /// The certificate file.
    pub fn cert_path(&self) -> &Path {
        &self.cert
    }

    /// A rustls server configuration (HTTP/1.1 over TLS 1.2 or 1.3) serving the current
    /// certificate.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Mismatch {
                cert: self.cert.clone(),
                key: self.key.clone(),
                why: e.to_string(),
            })?
            .with_no_client_auth()
            .with_cert_resolver(self.current.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}
