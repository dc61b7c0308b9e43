//! The HTTP client options every command uses: [`signet_client::http`]'s defaults, which the
//! environment can change (for slow networks, or tests that want short timeouts):
//! `SIGNET_HTTP_CONNECT_TIMEOUT`, `SIGNET_HTTP_READ_TIMEOUT` and `SIGNET_HTTP_TIMEOUT`, each in
//! seconds (a decimal number, e.g. `0.5`). `--ca-bundle FILE` (or `SIGNET_CA_BUNDLE`) adds the
//! certificate authorities of a PEM file to the system's roots for `https`, for the commands'
//! clients and for the outbound clients of `signet server` (OIDC discovery and key sets,
//! witnesses).

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use signet_client::http::HttpOptions;

/// Connect timeout (seconds).
const CONNECT_ENV: &str = "SIGNET_HTTP_CONNECT_TIMEOUT";
/// Read (idle) timeout (seconds).
const READ_ENV: &str = "SIGNET_HTTP_READ_TIMEOUT";
/// Total timeout of one API request (seconds).
const TOTAL_ENV: &str = "SIGNET_HTTP_TIMEOUT";
/// Longest timeout accepted from the environment: one day.
const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// The certificates of `--ca-bundle`, set once by `main`.
static EXTRA_ROOTS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();

/// Reads `--ca-bundle` (PEM, one or more certificates) for every HTTP client of this process.
pub fn set_ca_bundle(path: &Path) -> Result<()> {
    let certs = read_ca_bundle(path)?;
    let _ = EXTRA_ROOTS.set(certs);
    Ok(())
}

/// The DER certificates of a PEM bundle; a file without any, or with a malformed block, is an
/// error naming it.
fn read_ca_bundle(path: &Path) -> Result<Vec<Vec<u8>>> {
    let text = signet_crypto::read_capped(path, crate::input::CA_BUNDLE)?;
    let blocks =
        pem::parse_many(&text).with_context(|| format!("CA bundle {}: not PEM", path.display()))?;
    let mut certs = Vec::new();
    for b in blocks {
        if b.tag() != "CERTIFICATE" {
            bail!(
                "CA bundle {}: a {:?} block where only certificates belong",
                path.display(),
                b.tag()
            );
        }
        reqwest::Certificate::from_der(b.contents())
            .with_context(|| format!("CA bundle {}: a certificate is invalid", path.display()))?;
        certs.push(b.into_contents());
    }
    if certs.is_empty() {
        bail!(
            "CA bundle {}: no PEM certificate (BEGIN CERTIFICATE) in the file",
            path.display()
        );
    }
    Ok(certs)
}

/// The certificates of `--ca-bundle` (DER; none without it): for the clients a server makes
/// (OIDC discovery and key sets, witnesses), which keep their own timeouts.
pub fn extra_roots() -> Vec<Vec<u8>> {
    EXTRA_ROOTS.get().cloned().unwrap_or_default()
}

/// The default options, changed by any of the environment variables that is set, trusting the
/// `--ca-bundle` certificates too.
pub fn options() -> Result<HttpOptions> {
    let mut o = HttpOptions::default();
    if let Some(extra) = EXTRA_ROOTS.get() {
        o.extra_roots = extra.clone();
    }
    for (name, field) in [
        (CONNECT_ENV, &mut o.connect_timeout),
        (READ_ENV, &mut o.read_timeout),
        (TOTAL_ENV, &mut o.timeout),
    ] {
        if let Some(v) = std::env::var_os(name) {
            let v = v.to_str().with_context(|| format!("{name} is not UTF-8"))?;
            *field = parse_secs(v).with_context(|| format!("{name}={v:?}"))?;
        }
    }
    Ok(o)
}

/// A positive number of seconds, at most a day.
fn parse_secs(v: &str) -> Result<Duration> {
    let s: f64 = v.trim().parse().context("not a number of seconds")?;
    if !(s > 0.0 && s <= MAX_TIMEOUT_SECS) {
        bail!("must be more than 0 and at most {MAX_TIMEOUT_SECS} seconds");
    }
    Ok(Duration::from_secs_f64(s))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_ca_bundle_without_certificates_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bundle.pem");
        std::fs::write(&p, "not pem at all\n").unwrap();
        let e = format!("{:#}", read_ca_bundle(&p).unwrap_err());
        assert!(
            e.contains("bundle.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
        std::fs::write(
            &p,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let e = format!("{:#}", read_ca_bundle(&p).unwrap_err());
        assert!(e.contains("PRIVATE KEY"), "{e}");
    }

    #[test]
    fn seconds_parse_and_bad_values_are_refused() {
        assert_eq!(parse_secs("0.5").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_secs("30").unwrap(), Duration::from_secs(30));
        for bad in ["", "0", "-1", "nan", "inf", "1e9", "ten"] {
            assert!(parse_secs(bad).is_err(), "{bad}");
        }
    }
}
