//! `signet server` runs an RFC 3161 timestamp authority: `sign-blob` puts its timestamp over
//! the signature into the bundle (the signing config lists it), `verify-blob` counts it as a
//! verified time against the instance's trusted root, and a bad TSA fails signing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

mod common;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn signatures_get_a_timestamp_from_the_instance_tsa_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let server = common::Listening::start(
        &[
            "server",
            "--dev-oidc",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            d,
        ],
        &[],
    );
    let url = server.url.clone();
    let signet = |args: &[&str]| -> Output {
        Command::new(env!("CARGO_BIN_EXE_signet"))
            .args(args)
            .env("SIGNET_DATA_DIR", dir.path())
            .env_remove("SIGNET_TRUST_CONFIG")
            .env("XDG_CONFIG_HOME", dir.path().join("no-config"))
            .output()
            .unwrap()
    };
    // The trust files name the TSA: its chain (leaf, root) and URL.
    let tsa_url = format!("{url}/api/v1/timestamp");
    let root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("trusted_root.json")).unwrap())
            .unwrap();
    let tsas = root["timestampAuthorities"].as_array().unwrap();
    assert_eq!(tsas.len(), 1, "{root}");
    assert_eq!(tsas[0]["uri"], tsa_url.as_str());
    assert_eq!(
        tsas[0]["certChain"]["certificates"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("signing_config.json")).unwrap())
            .unwrap();
    assert_eq!(cfg["tsaUrls"][0]["url"], tsa_url.as_str());
    assert_eq!(cfg["tsaUrls"][0]["majorApiVersion"], 1);
    assert_eq!(cfg["tsaConfig"]["selector"], "ANY");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = dir.path().join("tsa").join("tsa.key");
        assert_eq!(
            std::fs::metadata(key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let o = signet(&["oidc", "token", "--subject", "alice@example.com"]);
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let work = tempfile::tempdir().unwrap();
    let p = |n: &str| work.path().join(n).to_str().unwrap().to_string();
    std::fs::write(p("artifact"), b"release artifact bytes").unwrap();
    let o = signet(&[
        "sign-blob",
        &p("artifact"),
        "--identity-token",
        &token,
        "--bundle",
        &p("a.sigstore.json"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p("a.sigstore.json")).unwrap()).unwrap();
    let stamps = bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()
        .unwrap_or_else(|| panic!("no timestamps in {bundle}"));
    assert_eq!(stamps.len(), 1);

    let issuer = format!("{url}/oidc");
    let verify = |bundle: &str| {
        signet(&[
            "verify-blob",
            &p("artifact"),
            "--bundle",
            bundle,
            "--certificate-identity",
            "alice@example.com",
            "--certificate-oidc-issuer",
            &issuer,
            "--output",
            "json",
        ])
    };
    let o = verify(&p("a.sigstore.json"));
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // The log's integrated time and the TSA's time, no timestamp skipped.
    assert_eq!(v["verifiedTimes"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["warnings"], serde_json::json!([]), "{v}");

    // A tampered timestamp is not counted (sigstore-go skips it with a warning).
    let mut tampered = bundle.clone();
    let mut der =
        signet_types::b64::decode(stamps[0]["signedTimestamp"].as_str().unwrap()).unwrap();
    let n = der.len() - 3;
    der[n] ^= 1;
    tampered["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"] =
        signet_types::b64::encode(&der).into();
    std::fs::write(p("t.sigstore.json"), tampered.to_string()).unwrap();
    let o = verify(&p("t.sigstore.json"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verifiedTimes"].as_array().unwrap().len(), 1, "{v}");
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("RFC 3161 timestamp 0 skipped"),
        "{v}"
    );

    // --timestamp-server-url overrides the signing config: a TSA that is not there fails the
    // signing, naming it.
    let sign_with = |tsa: &str| {
        signet(&[
            "sign-blob",
            &p("artifact"),
            "--identity-token",
            &token,
            "--timestamp-server-url",
            tsa,
            "--bundle",
            &p("b.sigstore.json"),
        ])
    };
    let o = sign_with("http://127.0.0.1:9/api/v1/timestamp");
    assert!(!o.status.success());
    assert!(text(&o).contains("timestamping"), "{}", text(&o));
    assert!(text(&o).contains("127.0.0.1:9"), "{}", text(&o));
    // … and another instance's TSA, not in this trusted root, is refused before it is used.
    let other_dir = tempfile::tempdir().unwrap();
    let other = common::Listening::start(
        &[
            "server",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            other_dir.path().to_str().unwrap(),
        ],
        &[],
    );
    let o = sign_with(&format!("{}/api/v1/timestamp", other.url));
    assert!(!o.status.success());
    assert!(
        text(&o).contains("does not verify against the trusted timestamp authorities"),
        "{}",
        text(&o)
    );
    drop(other);
    drop(server);
}
