//! `signet sign-blob` through a Rekor v2 log: a real `signet server --tlog-api v2 --dev-oidc` on
//! 127.0.0.1, a signing config advertising the v2 log and a TSA, and bundles whose v2 entries
//! (hashedrekord 0.0.2, no inclusion promise) `signet verify-bundle` checks against the
//! instance's trusted root.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

mod common;

fn signet(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(args)
        .env_remove("SIGNET_DATA_DIR")
        .env_remove("SIGNET_TRUST_CONFIG")
        .env_remove("SIGNET_REKOR_URL")
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn sign_blob_logs_through_the_v2_log_and_the_bundle_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = common::v2_server(d, true);
    let tc = common::trust_config_with_tsa(d, &server.url);
    let root = d.join("trusted_root.json");
    let art = d.join("artifact");
    std::fs::write(&art, b"signed through rekor v2").unwrap();
    let p = |n: &str| d.join(n).to_str().unwrap().to_string();

    // Managed key.
    let o = signet(d, &["generate-key-pair", "--output-key-prefix", &p("k")]);
    assert!(o.status.success(), "{}", text(&o));
    let o = signet(
        d,
        &[
            "sign-blob",
            "--key",
            &p("k.key"),
            "--trust-config",
            tc.to_str().unwrap(),
            "--bundle",
            &p("key.sigstore.json"),
            art.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("tlog entry created with index: 0"),
        "{}",
        text(&o)
    );
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p("key.sigstore.json")).unwrap()).unwrap();
    let entry = &bundle["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(entry["kindVersion"]["kind"], "hashedrekord");
    assert_eq!(entry["kindVersion"]["version"], "0.0.2");
    assert!(entry.get("inclusionPromise").is_none(), "{entry}");
    assert!(entry.get("integratedTime").is_none(), "{entry}");
    // The log ID is the v2 log's, from the trusted root.
    let trusted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&root).unwrap()).unwrap();
    let v2_log = trusted["tlogs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["baseUrl"] == format!("{}/rekor-v2", server.url).as_str())
        .unwrap();
    assert_eq!(entry["logId"]["keyId"], v2_log["logId"]["keyId"]);
    let o = signet(
        d,
        &[
            "verify-bundle",
            "--bundle",
            &p("key.sigstore.json"),
            "--key",
            &p("k.pub"),
            "--trusted-root",
            root.to_str().unwrap(),
            art.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));

    // Keyless: the certificate is the entry's verifier (DER).
    let o = signet(
        d,
        &[
            "oidc",
            "token",
            "--data-dir",
            d.to_str().unwrap(),
            "--subject",
            "alice@example.com",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let o = signet(
        d,
        &[
            "sign-blob",
            "--identity-token",
            &token,
            "--trust-config",
            tc.to_str().unwrap(),
            "--bundle",
            &p("keyless.sigstore.json"),
            art.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p("keyless.sigstore.json")).unwrap()).unwrap();
    let body = signet_types::b64::decode(
        bundle["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body["spec"]["hashedRekordV002"]["signature"]["verifier"]["x509Certificate"]["rawBytes"],
        bundle["verificationMaterial"]["certificate"]["rawBytes"]
    );
    let o = signet(
        d,
        &[
            "verify-bundle",
            "--bundle",
            &p("keyless.sigstore.json"),
            "--certificate-identity",
            "alice@example.com",
            "--certificate-oidc-issuer",
            &format!("{}/oidc", server.url),
            "--trusted-root",
            root.to_str().unwrap(),
            art.to_str().unwrap(),
        ],
    );
    // Without a signed time (no SET, no timestamp yet) the certificate's validity cannot be
    // checked: refused, saying so; with the TSA's timestamp it verifies.
    let has_timestamp =
        bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .is_some_and(|a| !a.is_empty());
    if has_timestamp {
        assert!(o.status.success(), "{}", text(&o));
    } else {
        assert!(!o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains(
                "no verified timestamp: need a signed entry timestamp or an RFC 3161 timestamp"
            ),
            "{}",
            text(&o)
        );
    }
}
