//! Which instance the CLI trusts and signs with, without flags.
//!
//! Lookup order: `--trust-config` / `--trusted-root` flags, then `$SIGNET_TRUST_CONFIG`, then
//! `$SIGNET_DATA_DIR/trust_config.json` (the instance this machine runs), then the TUF mirror
//! `signet initialize` (or `signet trust URL --root`) chose, refreshed on use, then the file
//! `signet trust URL` saved (`$XDG_CONFIG_HOME/signet/trust_config.json`, default
//! `~/.config/signet/`). Verification falls back to the embedded Sigstore public-good root.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use signet_trust::{Service, SigningConfig, TrustedRoot};

/// Trust file names in an instance's data directory: the trusted root.
pub const TRUSTED_ROOT: &str = "trusted_root.json";
/// Signing config.
pub const SIGNING_CONFIG: &str = "signing_config.json";
/// Both in one file (`ClientTrustConfig`, for `sigstore --trust-config`).
pub const TRUST_CONFIG: &str = "trust_config.json";
/// Media type of a `ClientTrustConfig`.
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// A `ClientTrustConfig`: trusted root plus signing config.
pub struct ClientTrust {
    /// Where it was read from.
    pub source: PathBuf,
    pub root: TrustedRoot,
    /// The signing config, when there is one the CLI can read.
    pub signing: Option<SigningConfig>,
}

impl ClientTrust {
    /// First URL of a signing-config service list.
    fn first_url(&self, list: impl Fn(&SigningConfig) -> &[Service]) -> Option<String> {
        self.signing
            .as_ref()
            .and_then(|s| list(s).first())
            .map(|s| s.url.clone())
    }

    /// The first certificate authority of the signing config.
    pub fn ca_url(&self) -> Option<String> {
        self.first_url(|s| &s.ca_urls)
    }

    /// The first transparency log of the signing config.
    pub fn rekor_url(&self) -> Option<String> {
        self.first_url(|s| &s.rekor_tlog_urls)
    }

    /// Whether the signing config's first transparency log is a Rekor v2 log
    /// (`majorApiVersion` 2). Such a log is refused when the signing config lists no timestamp
    /// authority: a v2 entry carries no signed entry timestamp, so the signing time must come
    /// from an RFC 3161 timestamp.
    pub fn signs_through_v2(&self) -> Result<bool> {
        let Some(s) = self.signing.as_ref() else {
            return Ok(false);
        };
        let Some(log) = s.rekor_tlog_urls.first() else {
            return Ok(false);
        };
        if log.major_api_version != 2 {
            return Ok(false);
        }
        if s.tsa_urls.is_empty() {
            anyhow::bail!(
                "the signing config in {} advertises the Rekor v2 log {}, and the v2 log needs \
                 a timestamp authority (a v2 entry carries no signed entry timestamp), but it \
                 lists no TSA; use a signing config with tsaUrls, or --rekor-url with a Rekor v1 log",
                self.source.display(),
                log.url
            );
        }
        Ok(true)
    }
}

/// Where `signet trust URL` stores what it fetched.
pub fn saved_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("signet").join("trust_config.json"))
}

fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("SIGNET_TRUST_CONFIG") {
        out.push(PathBuf::from(p));
    }
    if let Some(d) = std::env::var_os("SIGNET_DATA_DIR") {
        out.push(PathBuf::from(d).join(TRUST_CONFIG));
    }
    if let Some(p) = saved_path() {
        out.push(p);
    }
    out
}

/// Parses a `ClientTrustConfig` file.
pub fn read(path: &Path) -> Result<ClientTrust> {
    let bytes = signet_crypto::read_capped(path, crate::input::TRUST_CONFIG)?;
    parse(&bytes, path)
}

fn parse(bytes: &[u8], path: &Path) -> Result<ClientTrust> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .with_context(|| format!("trust config {} is not JSON", path.display()))?;
    if v.get("mediaType").and_then(|m| m.as_str()) != Some(CLIENT_TRUST_CONFIG_MEDIA_TYPE) {
        bail!("{} is not a Sigstore ClientTrustConfig", path.display());
    }
    let root_json = v
        .get("trustedRoot")
        .with_context(|| format!("{}: no trustedRoot", path.display()))?;
    let root = TrustedRoot::from_json(&serde_json::to_vec(root_json)?)
        .with_context(|| format!("{}: invalid trustedRoot", path.display()))?;
    // Read as leniently as before: a service list the CLI cannot use is as good as none.
    let signing = v
        .get("signingConfig")
        .or_else(|| v.get("signing_config"))
        .and_then(|s| serde_json::from_value(s.clone()).ok());
    Ok(ClientTrust {
        source: path.to_path_buf(),
        root,
        signing,
    })
}

/// The explicit file, else the first existing default: `$SIGNET_TRUST_CONFIG`,
/// `$SIGNET_DATA_DIR/trust_config.json`, the TUF mirror `signet initialize` chose (refreshed
/// now), the file `signet trust URL` saved.
pub fn find(explicit: Option<&Path>) -> Result<Option<ClientTrust>> {
    if let Some(p) = explicit {
        return read(p).map(Some);
    }
    let mut files = candidates();
    let saved = saved_path();
    files.retain(|c| Some(c) != saved.as_ref());
    for c in files {
        if c.is_file() {
            return read(&c).map(Some);
        }
    }
    if let Some(mirror) = crate::tuf_client::configured_mirror()? {
        return crate::tuf_client::client_trust(&mirror).map(Some);
    }
    match saved {
        Some(p) if p.is_file() => read(&p).map(Some),
        _ => Ok(None),
    }
}

/// `signet trust URL`: fetch an instance's trust config once and save it.
pub fn trust_url(url: &str) -> Result<()> {
    let url = url.trim_end_matches('/');
    let target = format!("{url}/signet/v1/trust_config.json");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Every error names the URL.
    let bytes = rt.block_on(signet_client::http::fetch(
        &target,
        crate::input::TRUST_CONFIG.max_bytes,
        &crate::net::options()?,
    ))?;
    let t = parse(&bytes, Path::new(&target))?;
    let path = saved_path().context("no HOME or XDG_CONFIG_HOME to save the trust config in")?;
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    signet_release::write_atomic(&path, &bytes)?;
    // One source of trust at a time: this replaces a TUF mirror chosen earlier.
    crate::tuf_client::forget()?;
    eprintln!(
        "Trusting {url}: {} CA(s), {} transparency log(s), {} CT log(s); saved to {}",
        t.root.certificate_authorities.len(),
        t.root.tlogs.len(),
        t.root.ctlogs.len(),
        path.display()
    );
    Ok(())
}
