//! TLS to PostgreSQL, as libpq means `sslmode` and `sslrootcert` in a connection URL (rustls,
//! AWS-LC): one parser for every URL signet connects to (`--database`, `--database-replica`,
//! `signet admin migrate`).
//!
//! * `disable`: plain TCP.
//! * `prefer` (libpq's default, and signet's when `sslmode` is absent): TLS when the server
//!   offers it, plain TCP when it does not; the certificate is not checked.
//! * `require`: TLS or no connection; the certificate is not checked, unless `sslrootcert` is
//!   given: then as `verify-ca` (libpq does the same when a root file exists).
//! * `verify-ca`: TLS, the server's certificate chains to a root in `sslrootcert`.
//! * `verify-full`: as `verify-ca`, and the certificate names the host of the URL.
//!
//! `verify-ca` and `verify-full` need `sslrootcert` (a PEM file of root certificates); libpq's
//! default file (`~/.postgresql/root.crt`) and `sslrootcert=system` are not read.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::LogError;

/// How to reach a database: the driver's settings and the TLS connector `sslmode` asks for.
#[derive(Clone)]
pub(crate) struct Connection {
    pub(crate) cfg: tokio_postgres::Config,
    pub(crate) tls: MakeRustlsConnect,
}

/// The parameters of a URL handled here rather than by the driver.
#[derive(Default)]
struct Ssl {
    mode: Option<String>,
    root: Option<String>,
}

impl Ssl {
    fn take(&mut self, key: &str, value: String) -> bool {
        match key {
            "sslmode" => self.mode = Some(value),
            "sslrootcert" => self.root = Some(value),
            _ => return false,
        }
        true
    }
}

/// Removes `sslmode` and `sslrootcert` from a `postgres://` URL (query parameters) or a
/// `key=value` connection string, answering what is left and them.
fn split(url: &str) -> (String, Ssl) {
    let mut ssl = Ssl::default();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return (url.to_string(), ssl);
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                let v = percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned();
                !ssl.take(k, v)
            })
            .collect();
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rest, ssl)
    } else {
        let kept: Vec<&str> = url
            .split_whitespace()
            .filter(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                !ssl.take(k.trim(), v.trim().to_string())
            })
            .collect();
        (kept.join(" "), ssl)
    }
}

/// The settings and TLS connector of `url`; `what` names it in errors ("PostgreSQL URL").
pub(crate) fn parse(url: &str, what: &str) -> Result<Connection, LogError> {
    let bad = |m: String| LogError::BadRequest(format!("invalid {what}: {m}"));
    let (rest, ssl) = split(url);
    let mut cfg: tokio_postgres::Config = rest
        .parse()
        .map_err(|e: tokio_postgres::Error| bad(crate::pg::pg_error(&e)))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = ssl
        .root
        .as_deref()
        .map(|p| load_roots(p, &bad))
        .transpose()?;
    let mode = ssl.mode.as_deref().unwrap_or("prefer");
    let chain = match (mode, roots) {
        ("disable" | "prefer", _) | ("require", None) => None,
        ("verify-ca" | "verify-full", None) => {
            return Err(bad(format!(
                "sslmode={mode} needs sslrootcert=FILE (the PEM root certificates to check the \
                 server's certificate with)"
            )));
        }
        ("require" | "verify-ca" | "verify-full", Some(roots)) => {
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| bad(format!("sslrootcert: {e}")))?;
            Some((webpki, mode == "verify-full"))
        }
        (other, _) => {
            return Err(bad(format!(
                "sslmode={other}: one of disable, prefer, require, verify-ca, verify-full"
            )));
        }
    };
    let verifier = Arc::new(Verifier {
        provider: provider.clone(),
        chain,
    });
    cfg.ssl_mode(match mode {
        "disable" => SslMode::Disable,
        "prefer" => SslMode::Prefer,
        _ => SslMode::Require,
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LogError::Internal(format!("TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Connection {
        cfg,
        tls: MakeRustlsConnect::new(config),
    })
}

fn load_roots(
    path: &str,
    bad: &dyn Fn(String) -> LogError,
) -> Result<Arc<rustls::RootCertStore>, LogError> {
    let mut roots = rustls::RootCertStore::empty();
    let certs =
        CertificateDer::pem_file_iter(path).map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
    for c in certs {
        let c = c.map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
        roots
            .add(c)
            .map_err(|e| bad(format!("sslrootcert {path}: {e}")))?;
    }
    if roots.is_empty() {
        return Err(bad(format!("sslrootcert {path} holds no PEM certificate")));
    }
    Ok(Arc::new(roots))
}

/// What is checked of the server's certificate: nothing (`prefer`, `require` without roots:
/// encryption only, as libpq), its chain (`verify-ca`), or its chain and name (`verify-full`).
/// The handshake's signatures are always checked.
#[derive(Debug)]
struct Verifier {
    provider: Arc<CryptoProvider>,
    /// The roots' verifier, and whether the name is checked.
    chain: Option<(Arc<WebPkiServerVerifier>, bool)>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some((webpki, names)) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !names => Ok(ServerCertVerified::assertion()),
            r => r,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn ssl_parameters_are_taken_out_of_both_url_forms() {
        let (rest, ssl) = split(
            "postgres://u:p@h:5/db?sslmode=verify-full&application_name=x&sslrootcert=%2Fa%20b",
        );
        assert_eq!(rest, "postgres://u:p@h:5/db?application_name=x");
        assert_eq!(ssl.mode.as_deref(), Some("verify-full"));
        assert_eq!(ssl.root.as_deref(), Some("/a b"));
        let (rest, ssl) = split("postgres://h/db?sslmode=disable");
        assert_eq!(
            (rest.as_str(), ssl.mode.as_deref()),
            ("postgres://h/db", Some("disable"))
        );
        let (rest, ssl) = split("host=h dbname=d sslmode=require sslrootcert=/r.pem");
        assert_eq!(rest, "host=h dbname=d");
        assert_eq!(ssl.mode.as_deref(), Some("require"));
        assert_eq!(ssl.root.as_deref(), Some("/r.pem"));
    }

    #[test]
    fn verification_needs_roots_and_modes_are_libpqs() {
        let e = super::parse("postgres://h/db?sslmode=verify-full", "URL")
            .err()
            .unwrap();
        assert!(e.to_string().contains("needs sslrootcert"), "{e}");
        let e = super::parse("postgres://h/db?sslmode=allow-ish", "URL")
            .err()
            .unwrap();
        assert!(e.to_string().contains("one of disable, prefer"), "{e}");
        let e = super::parse(
            "postgres://h/db?sslmode=require&sslrootcert=/nonexistent.pem",
            "URL",
        )
        .err()
        .unwrap();
        assert!(
            e.to_string().contains("sslrootcert /nonexistent.pem"),
            "{e}"
        );
        assert!(super::parse("postgres://h/db", "URL").is_ok());
    }
}
