//! One signet instance on one data directory: its keys, its CA, and the trust files that
//! describe it (`trusted_root.json`, `signing_config.json`, `trust_config.json`).
//!
//! Layout of the data directory:
//! * `ca/` — `root.pem`, `intermediate.pem`, `intermediate.key` and `root.key` (0600);
//! * `ct/` — the CT log (key, database, recorded checkpoint); `log/` — the transparency log
//!   (`log.key`, `log.sqlite`, `checkpoint`);
//! * `oidc/` — the development issuer's key and URL (only with `--dev-oidc`);
//! * `trusted_root.json`, `signing_config.json`, `trust_config.json` — written on every start;
//! * `tuf/` — the TUF repository that publishes them (`crate::tuf_serve`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use signet_ca::CaChain;
use signet_ct::CtLog;
use signet_log::{LogConfig, SqliteStore, SystemClock, TransparencyLog};
use signet_release::write_atomic;
use signet_trust::{
    AuthoritySubject, CertificateAuthority, Service, SigningConfig, TimeRange,
    TransparencyLog as TrustedLog, TrustedKey, TrustedRoot,
};
use signet_types::UnixSeconds;

use crate::trust_cfg::{SIGNING_CONFIG, TRUST_CONFIG, TRUSTED_ROOT};

/// The open services of an instance.
pub struct Instance {
    pub ca: CaChain,
    pub ct: CtLog,
    pub log: TransparencyLog<SqliteStore>,
}

/// Creates the CA on first use (or loads it), and opens the CT log and the transparency log.
pub async fn open(data_dir: &Path, org: &str, log_host: &str) -> Result<Instance> {
    let ca_dir = data_dir.join("ca");
    let ca = if ca_dir.join(signet_ca::keys::INTERMEDIATE_KEY).exists() {
        CaChain::load(&ca_dir).context("loading the CA")?
    } else {
        let (ca, root_key, int_key) =
            CaChain::generate(org, time::OffsetDateTime::now_utc()).context("creating the CA")?;
        ca.write(&ca_dir, &root_key, &int_key)
            .context("writing the CA")?;
        eprintln!("created a new CA in {}", ca_dir.display());
        ca
    };
    let ct = CtLog::open(
        &data_dir.join("ct"),
        vec![ca.root().clone()],
        Arc::new(SystemClock),
    )
    .await
    .context("opening the CT log")?;
    let log_dir = data_dir.join("log");
    let store = SqliteStore::open(&log_dir)
        .await
        .context("opening the log database")?;
    let log = TransparencyLog::open(
        store,
        &log_dir,
        LogConfig::new(log_host),
        Arc::new(SystemClock),
    )
    .await
    .context("starting the transparency log")?;
    Ok(Instance { ca, ct, log })
}

fn rfc3339(t: i64) -> String {
    signet_trust::format_time(signet_types::UnixSeconds(t))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// The trusted root describing this instance at `url`.
pub fn trusted_root(
    ca: &CaChain,
    ct: &CtLog,
    log: &TransparencyLog<SqliteStore>,
    url: &str,
) -> TrustedRoot {
    TrustedRoot {
        tlogs: vec![TrustedLog {
            base_url: url.to_string(),
            log_id: log.public_key().key_id().as_bytes().to_vec(),
            key: TrustedKey::Usable(log.public_key().clone()),
            key_details: "PKIX_ECDSA_P256_SHA_256".into(),
            valid_for: TimeRange {
                start: Some(UnixSeconds(log.created())),
                end: None,
            },
        }],
        ctlogs: vec![TrustedLog {
            base_url: url.to_string(),
            log_id: ct.log_id().as_bytes().to_vec(),
            key: TrustedKey::Usable(ct.public_key().clone()),
            key_details: "PKIX_ECDSA_P256_SHA_256".into(),
            valid_for: TimeRange {
                start: Some(UnixSeconds(ct.created())),
                end: None,
            },
        }],
        certificate_authorities: vec![CertificateAuthority {
            subject: Some(authority_subject(ca.root())),
            uri: url.to_string(),
            chain: vec![ca.intermediate().der().to_vec(), ca.root().der().to_vec()],
            valid_for: TimeRange {
                start: Some(ca.intermediate().not_before()),
                end: None,
            },
        }],
        timestamp_authorities: vec![],
    }
}

/// The CA's name in the trusted root: organization and common name of its root certificate
/// (read from the encoded name).
fn authority_subject(root: &signet_x509::Certificate) -> AuthoritySubject {
    let mut s = AuthoritySubject::default();
    for a in root.subject_attributes().unwrap_or_default() {
        match a {
            signet_x509::NameAttribute::Organization(v) => s.organization = v,
            signet_x509::NameAttribute::CommonName(v) => s.common_name = v,
            signet_x509::NameAttribute::Other(_) => {}
        }
    }
    s
}

/// The signing config for this instance at `url` (`oidc_url` when it runs a dev issuer).
///
/// No `tsaConfig`: the instance runs no timestamp authority, and a TSA selector with no TSA
/// makes sigstore-js refuse the whole config (`@sigstore/sign` `bundleBuilderFromSigningConfig`:
/// "No valid TSAs found in signing configuration"); sigstore-python reads an absent selector as
/// "all of the (zero) TSAs".
pub fn signing_config(url: &str, oidc_url: Option<&str>, since: i64) -> SigningConfig {
    let svc = |u: &str| Service {
        url: u.to_string(),
        major_api_version: 1,
        operator: "signet".into(),
        valid_for: serde_json::json!({"start": rfc3339(since)}),
    };
    SigningConfig {
        media_type: signet_trust::SIGNING_CONFIG_MEDIA_TYPE.to_string(),
        ca_urls: vec![svc(url)],
        oidc_urls: oidc_url.map(svc).into_iter().collect(),
        rekor_tlog_urls: vec![svc(url)],
        tsa_urls: vec![],
        rekor_tlog_config: serde_json::json!({"selector": "ANY"}),
        tsa_config: serde_json::Value::Null,
    }
}

/// Writes `trusted_root.json`, `signing_config.json` and `trust_config.json`; returns the
/// path and contents of `trust_config.json` (which the server also serves).
pub fn write_trust_files(
    data_dir: &Path,
    root: &TrustedRoot,
    signing: &SigningConfig,
) -> Result<(PathBuf, String)> {
    let root_json = root.to_json()?;
    let root_value: serde_json::Value = serde_json::from_str(&root_json)?;
    // Through `Value`: keys sorted, the layout these files have always had.
    let signing = serde_json::to_value(signing)?;
    write_atomic(&data_dir.join(TRUSTED_ROOT), root_json.as_bytes())?;
    write_atomic(
        &data_dir.join(SIGNING_CONFIG),
        serde_json::to_string_pretty(&signing)?.as_bytes(),
    )?;
    let client = serde_json::json!({
        "mediaType": crate::trust_cfg::CLIENT_TRUST_CONFIG_MEDIA_TYPE,
        "trustedRoot": root_value,
        "signingConfig": signing,
    });
    let p = data_dir.join(TRUST_CONFIG);
    let client = serde_json::to_string_pretty(&client)?;
    write_atomic(&p, client.as_bytes())?;
    Ok((p, client))
}

/// The development issuer of this data directory (created on first use).
/// Where the development issuer mints GitHub-workflow identities: `<issuer URL>/ci`, a
/// `ci-provider` issuer with Fulcio's `github-workflow` template (Fulcio gives each issuer URL
/// one type; the base URL stays the email issuer).
pub fn dev_ci_issuer_url(issuer_url: &str) -> String {
    format!("{}/ci", issuer_url.trim_end_matches('/'))
}

pub fn dev_issuer(data_dir: &Path, issuer_url: &str) -> Result<signet_oidc::DevIssuer> {
    let dir = data_dir.join("oidc");
    let key = dir.join("dev-issuer.key");
    let issuer = if key.exists() {
        let pem = signet_ca::keys::read_private_pem(&key)?;
        signet_oidc::DevIssuer::from_pkcs8_pem(issuer_url, &pem)?
    } else {
        let d = signet_oidc::DevIssuer::generate(issuer_url)?;
        std::fs::create_dir_all(&dir)?;
        crate::keyfile::write_new(&key, d.to_pkcs8_pem().as_bytes(), true)?;
        d
    };
    std::fs::write(dir.join("issuer-url"), issuer_url)?;
    Ok(issuer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_config_names_no_tsa_selector_without_a_tsa() {
        let cfg = signing_config(
            "http://127.0.0.1:3000",
            Some("http://127.0.0.1:3000/oidc"),
            0,
        );
        let cfg = serde_json::to_value(&cfg).unwrap();
        assert_eq!(cfg["tsaUrls"], serde_json::json!([]));
        assert!(cfg.get("tsaConfig").is_none(), "{cfg}");
        assert_eq!(cfg["rekorTlogConfig"]["selector"], "ANY");
        let parsed = signet_trust::SigningConfig::from_json(cfg.to_string().as_bytes());
        assert!(parsed.is_ok(), "{parsed:?}");
    }

    #[test]
    fn signing_config_json_is_written_as_before() {
        // The layout `signing_config.json` had when it was built with `json!`.
        let svc = |u: &str| {
            serde_json::json!({"url": u, "majorApiVersion": 1,
                "validFor": {"start": "2023-11-14T22:13:20Z"}, "operator": "signet"})
        };
        let old = serde_json::json!({
            "mediaType": signet_trust::SIGNING_CONFIG_MEDIA_TYPE,
            "caUrls": [svc("http://s")],
            "oidcUrls": [svc("http://s/oidc")],
            "rekorTlogUrls": [svc("http://s")],
            "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
        });
        let cfg = signing_config("http://s", Some("http://s/oidc"), 1_700_000_000);
        assert_eq!(
            serde_json::to_string_pretty(&serde_json::to_value(&cfg).unwrap()).unwrap(),
            serde_json::to_string_pretty(&old).unwrap()
        );
    }
}
