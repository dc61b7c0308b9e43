//! Whole-release signing and verification against a real signet instance on 127.0.0.1:
//! keyless sign-release of a Kubernetes-shaped sample, verify-release of the directory and of
//! the same release served over HTTP, idempotent re-runs, and every way a release can be
//! wrong (tampered, missing, extra, unsigned, wrong identity).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;

use common::{Listening as Proc, copy_dir};

impl Proc {
    /// Runs `signet <args>` against the data directory `data` and waits for its URL.
    fn start_in(args: &[&str], data: &Path) -> Self {
        Proc::start(args, &[("SIGNET_DATA_DIR", data.as_os_str())])
    }
}

/// A signet instance with the development issuer on a fresh data directory under `tmp`.
fn instance(tmp: &Path) -> (Proc, std::path::PathBuf) {
    let data = tmp.join("data");
    let d = data.to_str().unwrap();
    let server = Proc::start_in(
        &[
            "server",
            "--dev-oidc",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            d,
        ],
        &data,
    );
    (server, data)
}

/// A temporary directory holding a signet instance (with the development issuer) and a sample
/// release `release` made by `sample-release release ARGS…`.
fn release_fixture(
    args: &[&str],
) -> (
    tempfile::TempDir,
    Proc,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let tmp = tempfile::tempdir().unwrap();
    let (server, data) = instance(tmp.path());
    let rel = tmp.path().join("release");
    sample_release(&data, rel.to_str().unwrap(), args);
    (tmp, server, data, rel)
}

/// A token for `subject` from the instance's development issuer.
fn token(data: &Path, subject: &str) -> String {
    let o = signet(data, &["oidc", "token", "--subject", subject]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

fn signet(data: &Path, args: &[&str]) -> Output {
    signet_env(data, args, &[])
}

/// The CI variables sign-release reads for its provenance: unset unless a test sets them.
const CI_VARIABLES: [&str; 3] = ["GITHUB_ACTIONS", "GITLAB_CI", "BUILD_ID"];

/// `signet ARGS` with the environment variables `vars`, run outside any git checkout (the data
/// directory) and outside CI, so the provenance says only what the test gives it.
fn signet_env(data: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_signet"));
    c.args(args)
        .current_dir(data.parent().unwrap_or(data))
        .env("SIGNET_DATA_DIR", data)
        .env("XDG_CONFIG_HOME", data.join("no-config"))
        .env_remove("SIGNET_TRUST_CONFIG");
    for v in CI_VARIABLES {
        c.env_remove(v);
    }
    c.envs(vars.iter().copied()).output().unwrap()
}

/// `signet sample-release rel ARGS…`, which must succeed.
fn sample_release(data: &Path, rel: &str, args: &[&str]) {
    let mut all = vec!["sample-release", rel];
    all.extend_from_slice(args);
    let o = signet(data, &all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// The rows of a `verify-release --output json` report that are not OK: path, status.
fn statuses(v: &serde_json::Value) -> Vec<(String, String)> {
    failed_rows(v).into_iter().map(|(p, s, _)| (p, s)).collect()
}

/// The rows of a `verify-release --output json` report that are not OK: path, status, detail.
fn failed_rows(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "OK")
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("path"), s("status"), s("detail"))
        })
        .collect()
}

#[test]
fn sign_and_verify_a_whole_release() {
    let (_tmp, server, data, rel) = release_fixture(&["--files", "40", "--size-mib", "4"]);
    let rel_s = rel.to_str().unwrap();
    let token = token(&data, "release-managers@example.com");
    let token = token.as_str();
    let issuer = format!("{}/oidc", server.url);
    let sign = |extra: &[&str]| {
        let mut a = vec![
            "sign-release",
            rel_s,
            "--identity-token",
            token,
            "--output",
            "json",
        ];
        a.extend_from_slice(extra);
        signet(&data, &a)
    };
    let verify_target = |target: &str, identity: &str| {
        signet(
            &data,
            &[
                "verify-release",
                target,
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                &issuer,
                "--output",
                "json",
                "--offline",
            ],
        )
    };
    let verify = |identity: &str| verify_target(rel_s, identity);

    let o = sign(&["--release-version", "v1.36.0"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = json(&o);
    assert_eq!(s["artifacts"], 40);
    assert_eq!(s["signed"], 40);
    for f in [
        "SHA256SUMS",
        "release.spdx.json",
        "release.spdx",
        "release.cdx.json",
        "release.intoto.jsonl",
    ] {
        assert!(rel.join(f).is_file(), "{f}");
        assert!(
            rel.join(format!("{f}.sigstore.json")).is_file(),
            "{f} bundle"
        );
        // Every bundle (files and the DSSE provenance) carries the instance TSA's timestamp.
        let b: serde_json::Value =
            serde_json::from_slice(&std::fs::read(rel.join(format!("{f}.sigstore.json"))).unwrap())
                .unwrap();
        let stamps = &b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"];
        assert_eq!(stamps.as_array().map(Vec::len), Some(1), "{f}: {b}");
    }
    let o = verify("release-managers@example.com");
    let v = json(&o);
    assert!(o.status.success(), "{v}");
    assert_eq!(v["verified"], true);
    // 40 artifacts, SHA256SUMS, three SBOM files (by default SPDX and CycloneDX), provenance.
    assert_eq!(v["files"].as_array().unwrap().len(), 45);
    // Every `.cert` is base64 of a PEM certificate with LF line ends (as cosign writes them).
    let certs: Vec<_> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| rel.join(format!("{}.cert", f["path"].as_str().unwrap())))
        .filter(|p| p.is_file())
        .collect();
    assert!(!certs.is_empty());
    for c in certs {
        let pem = signet_types::b64::decode(std::fs::read_to_string(&c).unwrap().trim()).unwrap();
        assert!(
            pem.starts_with(b"-----BEGIN CERTIFICATE-----\n"),
            "{}",
            c.display()
        );
        assert!(!pem.contains(&b'\r'), "CR in {}", c.display());
    }

    // Re-running changes nothing.
    let s = json(&sign(&["--release-version", "v1.36.0"]));
    assert_eq!(s["upToDate"], true, "{s}");

    // Over HTTP, from a static server.
    let http = Proc::start_in(
        &[
            "serve-release",
            rel_s,
            "--files-only",
            "--addr",
            "127.0.0.1:0",
        ],
        &data,
    );
    let o = verify_target(&http.url, "release-managers@example.com");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    drop(http);

    // Wrong identity: every file fails.
    let o = verify("mallory@example.com");
    assert!(!o.status.success());
    assert_eq!(json(&o)["problems"], 45);

    // Tampered, extra, missing and unsigned files are each reported; the exit status is 1.
    let listed: Vec<String> = std::fs::read_to_string(rel.join("SHA256SUMS"))
        .unwrap()
        .lines()
        .map(|l| l.split_once("  ").unwrap().1.to_string())
        .collect();
    let (tampered, victim, unsigned) = (&listed[0], &listed[1], &listed[2]);
    let a = rel.join(tampered);
    let mut bytes = std::fs::read(&a).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&a, bytes).unwrap();
    std::fs::write(rel.join("extra-file.txt"), b"not part of the release").unwrap();
    std::fs::remove_file(rel.join(victim)).unwrap();
    std::fs::remove_file(rel.join(format!("{unsigned}.sigstore.json"))).unwrap();
    let o = verify("release-managers@example.com");
    assert_eq!(o.status.code(), Some(1));
    let bad = statuses(&json(&o));
    let has = |p: &str, st: &str| bad.iter().any(|(a, b)| a == p && b == st);
    assert!(has(tampered, "TAMPERED"), "{bad:?}");
    assert!(has("extra-file.txt", "EXTRA"), "{bad:?}");
    assert!(has(victim, "MISSING"), "{bad:?}");
    assert!(has(unsigned, "UNSIGNED"), "{bad:?}");
    assert!(has("release.spdx.json", "FAILED"), "{bad:?}");
    assert!(has("release.cdx.json", "FAILED"), "{bad:?}");
    assert!(has("release.intoto.jsonl", "FAILED"), "{bad:?}");

    // Signing again re-signs only what changed and produces a release that verifies (the
    // release now is what is on disk: the removed file is gone from the new manifest).
    std::fs::remove_file(rel.join("extra-file.txt")).unwrap();
    let s = json(&sign(&[]));
    assert_eq!(s["signed"], 2, "{s}"); // the tampered file and the one without a bundle
    assert_eq!(s["artifacts"], 39, "{s}");
    let o = verify("release-managers@example.com");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    // The same with read(2) instead of memory maps for the large files.
    let o = signet(
        &data,
        &[
            "verify-release",
            rel_s,
            "--certificate-identity",
            "release-managers@example.com",
            "--certificate-oidc-issuer",
            &issuer,
            "--offline",
            "--no-mmap",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

/// `sign-release --sbom-format` writes exactly the SBOMs chosen and removes the others with
/// their signatures; `--sbom-packages` puts the release's packages into both formats; every
/// variant verifies, from the directory and over HTTP (the download fetches release.cdx.json).
#[test]
fn sbom_formats_and_packages() {
    let (tmp, server, data, rel) = release_fixture(&["--files", "6", "--size-mib", "1"]);
    let rel_s = rel.to_str().unwrap();
    let token = token(&data, "rm@example.com");
    let issuer = format!("{}/oidc", server.url);
    let packages = tmp.path().join("packages.json");
    std::fs::write(
        &packages,
        r#"{"packages": [
            {"name": "golang.org/x/net", "version": "v0.30.0",
             "purl": "pkg:golang/golang.org/x/net@v0.30.0", "license": "BSD-3-Clause",
             "supplier": "The Go Authors"},
            {"name": "etcd", "version": "v3.5.16", "license": "Apache-2.0"}
        ]}"#,
    )
    .unwrap();
    let packages_s = packages.to_str().unwrap();
    let sign = |extra: &[&str]| {
        let mut a = vec![
            "sign-release",
            rel_s,
            "--identity-token",
            &token,
            "--release-version",
            "v1.36.0",
            "--output",
            "json",
        ];
        a.extend_from_slice(extra);
        let o = signet(&data, &a);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        json(&o)
    };
    let verified = |target: &str| {
        let o = verify_release(&data, target, &issuer, &["--offline"]);
        let v = json(&o);
        assert!(o.status.success(), "{v}");
        v
    };
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(rel.join(f)).unwrap()).unwrap()
    };
    let has = |f: &str| rel.join(f).exists();
    let signature_files = |f: &str| {
        [".sig", ".cert", ".sigstore.json"]
            .iter()
            .filter(|s| has(&format!("{f}{s}")))
            .count()
    };

    // CycloneDX only, with packages.
    let s = sign(&["--sbom-format", "cyclonedx", "--sbom-packages", packages_s]);
    assert_eq!(s["signed"], 6);
    assert!(has("release.cdx.json") && signature_files("release.cdx.json") == 3);
    assert!(!has("release.spdx.json") && !has("release.spdx"));
    let bom = read("release.cdx.json");
    assert_eq!(bom["specVersion"], "1.6");
    let libs: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(libs, ["golang.org/x/net", "etcd"]);
    let v = verified(rel_s);
    let row = |v: &serde_json::Value, p: &str| {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == p)
            .cloned()
    };
    assert_eq!(
        row(&v, "release.cdx.json").unwrap()["detail"],
        "signed CycloneDX 1.6; 6 file checksums match"
    );
    assert!(row(&v, "release.spdx.json").is_none());
    // Over HTTP: the download fetches release.cdx.json and its signatures (and no SPDX: 404).
    let http = Proc::start_in(
        &[
            "serve-release",
            rel_s,
            "--files-only",
            "--addr",
            "127.0.0.1:0",
        ],
        &data,
    );
    let v = verified(&http.url);
    assert_eq!(row(&v, "release.cdx.json").unwrap()["status"], "OK");
    drop(http);
    assert_eq!(
        sign(&["--sbom-format", "cyclonedx", "--sbom-packages", packages_s])["upToDate"],
        true
    );

    // Both: the SPDX SBOM is added (with the packages), no artifact is signed again.
    let s = sign(&["--sbom-packages", packages_s]);
    assert_eq!(
        (s["signed"].as_u64(), s["upToDate"].as_bool()),
        (Some(0), Some(false))
    );
    let spdx = read("release.spdx.json");
    let names: Vec<&str> = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["release", "golang.org/x/net", "etcd"]);
    assert!(
        spdx["documentNamespace"]
            .as_str()
            .unwrap()
            .starts_with("urn:uuid:")
    );
    assert!(
        std::fs::read_to_string(rel.join("release.spdx"))
            .unwrap()
            .contains("ExternalRef: PACKAGE-MANAGER purl pkg:golang/golang.org/x/net@v0.30.0\n")
    );
    verified(rel_s);
    // The same flags again: up to date.
    assert_eq!(sign(&["--sbom-packages", packages_s])["upToDate"], true);

    // SPDX only, without packages, under a namespace base: the CycloneDX SBOM and its
    // signature files are gone, and the release verifies.
    let s = sign(&[
        "--sbom-format",
        "spdx",
        "--sbom-namespace",
        "https://sbom.example.org/k8s",
    ]);
    assert_eq!(s["upToDate"], false);
    assert!(!has("release.cdx.json") && signature_files("release.cdx.json") == 0);
    let spdx = read("release.spdx.json");
    assert_eq!(spdx["packages"].as_array().unwrap().len(), 1);
    assert!(
        spdx["documentNamespace"]
            .as_str()
            .unwrap()
            .starts_with("https://sbom.example.org/k8s/release/v1.36.0/")
    );
    let v = verified(rel_s);
    assert!(row(&v, "release.cdx.json").is_none());

    // Bad input stops sign-release before anything is signed, with a clear error.
    std::fs::write(
        &packages,
        r#"{"packages": [{"name": "x", "licence": "MIT"}]}"#,
    )
    .unwrap();
    for (flags, says) in [
        (
            &["--sbom-packages", packages_s][..],
            "unknown field `licence`",
        ),
        (
            &["--sbom-namespace", "sbom.example.org"][..],
            "--sbom-namespace",
        ),
        (&["--sbom-format", "xml"][..], "invalid value 'xml'"),
    ] {
        let mut a = vec!["sign-release", rel_s, "--identity-token", &token];
        a.extend_from_slice(flags);
        let o = signet(&data, &a);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains(says),
            "{flags:?}: {err}"
        );
    }
}

/// `signet sign-release rel` with `token`, which must succeed.
fn sign_release(data: &Path, rel: &str, token: &str) {
    let o = signet(
        data,
        &[
            "sign-release",
            rel,
            "--identity-token",
            token,
            "--output",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `signet verify-release rel` for the identity `rm@example.com` from `issuer`, JSON output.
fn verify_release(data: &Path, rel: &str, issuer: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "verify-release",
        rel,
        "--certificate-identity",
        "rm@example.com",
        "--certificate-oidc-issuer",
        issuer,
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    signet(data, &args)
}

/// `kill -9` of sign-release at several points never leaves a half-written signature file,
/// and the next run completes the release.
#[test]
fn sign_release_survives_kill_9() {
    let (_tmp, server, data, rel) = release_fixture(&["--size-mib", "96"]);
    let rel_s = rel.to_str().unwrap();
    let token = token(&data, "rm@example.com");
    let check_no_torn_files = |dir: &Path| {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_str().unwrap().to_string();
                if p.is_dir() {
                    stack.push(p);
                } else if name.starts_with(signet_release::hash::TEMP_PREFIX) {
                    // An unfinished write: never published under its final name, and removed
                    // by the next run (checked below).
                } else if name.ends_with(".sigstore.json") {
                    let b = std::fs::read(&p).unwrap();
                    signet_bundle::Bundle::from_json(&b)
                        .unwrap_or_else(|e| panic!("torn bundle {}: {e}", p.display()));
                } else if name.ends_with(".sig") || name.ends_with(".cert") {
                    let t = std::fs::read_to_string(&p).unwrap();
                    assert!(
                        signet_types::b64::decode(t.trim()).is_ok_and(|d| !d.is_empty()),
                        "torn {}",
                        p.display()
                    );
                }
            }
        }
    };
    for delay_ms in [150u64, 400, 900] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_signet"))
            .args([
                "sign-release",
                rel_s,
                "--identity-token",
                &token,
                "--output",
                "json",
            ])
            .env("SIGNET_DATA_DIR", &data)
            .env("XDG_CONFIG_HOME", data.join("no-config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        check_no_torn_files(&rel);
    }
    sign_release(&data, rel_s, &token);
    let issuer = format!("{}/oidc", server.url);
    let o = verify_release(&data, rel_s, &issuer, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    // No temporary files are left behind.
    let listing = Command::new("find")
        .arg(&rel)
        .args(["-name", ".signet-tmp-*"])
        .output()
        .unwrap();
    assert!(
        listing.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&listing.stdout)
    );
}

/// One small release signed once (keyless) for the tampering tests below; the signing server
/// is stopped once it is signed (verification is offline).
struct Signed {
    data: std::path::PathBuf,
    rel: std::path::PathBuf,
    issuer: String,
    artifacts: Vec<String>,
}

fn signed_release() -> &'static Signed {
    static SIGNED: std::sync::OnceLock<Signed> = std::sync::OnceLock::new();
    SIGNED.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-tampering");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let (server, data) = instance(&root);
        let rel = root.join("release");
        let rel_s = rel.to_str().unwrap();
        sample_release(&data, rel_s, &["--files", "6", "--size-mib", "1"]);
        let token = token(&data, "rm@example.com");
        sign_release(&data, rel_s, &token);
        let issuer = format!("{}/oidc", server.url);
        drop(server);
        let artifacts = std::fs::read_to_string(rel.join("SHA256SUMS"))
            .unwrap()
            .lines()
            .map(|l| l.split_once("  ").unwrap().1.to_string())
            .collect();
        Signed {
            data,
            rel,
            issuer,
            artifacts,
        }
    })
}

/// Verifies a copy of the signed release changed by `mutate`; returns the non-OK rows (and
/// checks the exit status is 1 when there are any).
fn verify_mutated(mutate: impl FnOnce(&Path, &[String])) -> Vec<(String, String)> {
    statuses(&verify_mutated_json(mutate))
}

/// [`verify_mutated`], returning `verify-release --output json`'s whole answer.
fn verify_mutated_json(mutate: impl FnOnce(&Path, &[String])) -> serde_json::Value {
    let s = signed_release();
    let tmp = tempfile::tempdir().unwrap();
    let rel = tmp.path().join("release");
    copy_dir(&s.rel, &rel);
    mutate(&rel, &s.artifacts);
    let o = verify_release(&s.data, rel.to_str().unwrap(), &s.issuer, &["--offline"]);
    let v = json(&o);
    let bad = statuses(&v);
    assert_eq!(o.status.code(), Some(i32::from(!bad.is_empty())), "{v}");
    v
}

fn swap(rel: &Path, a: &str, b: &str, suffix: &str) {
    let (pa, pb) = (
        rel.join(format!("{a}{suffix}")),
        rel.join(format!("{b}{suffix}")),
    );
    let (da, db) = (std::fs::read(&pa).unwrap(), std::fs::read(&pb).unwrap());
    std::fs::write(&pa, db).unwrap();
    std::fs::write(&pb, da).unwrap();
}

/// Rewrites the provenance envelope's statement (still a well-formed envelope, now unsigned).
fn edit_provenance(rel: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let p = rel.join("release.intoto.jsonl");
    let mut env: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    let b64 = signet_types::b64::decode(env["payload"].as_str().unwrap()).unwrap();
    let mut statement: serde_json::Value = serde_json::from_slice(&b64).unwrap();
    edit(&mut statement);
    env["payload"] =
        signet_types::b64::encode(serde_json::to_vec(&statement).unwrap().as_slice()).into();
    std::fs::write(&p, format!("{env}\n")).unwrap();
}

#[test]
fn the_untouched_release_verifies() {
    assert!(verify_mutated(|_, _| {}).is_empty());
}

#[test]
fn sig_and_cert_swapped_with_another_artifacts_fail() {
    let s = signed_release();
    let (a, b) = (&s.artifacts[0], &s.artifacts[1]);
    let bad = verify_mutated(|rel, _| {
        swap(rel, a, b, ".sig");
        swap(rel, a, b, ".cert");
    });
    assert!(bad.contains(&(a.clone(), "FAILED".into())), "{bad:?}");
    assert!(bad.contains(&(b.clone(), "FAILED".into())), "{bad:?}");
}

#[test]
fn only_sig_swapped_fails() {
    let s = signed_release();
    let (a, b) = (&s.artifacts[0], &s.artifacts[1]);
    let bad = verify_mutated(|rel, _| swap(rel, a, b, ".sig"));
    assert!(bad.contains(&(a.clone(), "FAILED".into())), "{bad:?}");
    assert!(bad.contains(&(b.clone(), "FAILED".into())), "{bad:?}");
}

#[test]
fn corrupted_sig_fails() {
    let s = signed_release();
    let a = &s.artifacts[2];
    let bad = verify_mutated(|rel, _| {
        let p = rel.join(format!("{a}.sig"));
        let mut sig =
            signet_types::b64::decode(std::fs::read_to_string(&p).unwrap().trim()).unwrap();
        let last = sig.len() - 1;
        sig[last] ^= 1;
        std::fs::write(&p, signet_types::b64::encode(&sig)).unwrap();
    });
    assert_eq!(bad, vec![(a.clone(), "FAILED".into())]);
}

#[test]
fn deleted_cert_is_missing() {
    let s = signed_release();
    let a = &s.artifacts[3];
    let bad = verify_mutated(|rel, _| std::fs::remove_file(rel.join(format!("{a}.cert"))).unwrap());
    assert_eq!(bad, vec![(a.clone(), "MISSING".into())]);
}

#[test]
fn deleted_sbom_sig_is_missing() {
    let bad =
        verify_mutated(|rel, _| std::fs::remove_file(rel.join("release.spdx.json.sig")).unwrap());
    assert_eq!(bad, vec![("release.spdx.json".into(), "MISSING".into())]);
}

#[test]
fn tampered_cyclonedx_sbom_fails() {
    let bad = verify_mutated(|rel, artifacts| {
        // A consistent-looking change: the first file's SHA-256 is another file's.
        let p = rel.join("release.cdx.json");
        let mut bom: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let files = bom["components"].as_array_mut().unwrap();
        let other = files[1]["hashes"][1]["content"].clone();
        assert_eq!(files[0]["name"], artifacts[0].as_str());
        files[0]["hashes"][1]["content"] = other;
        std::fs::write(&p, serde_json::to_vec_pretty(&bom).unwrap()).unwrap();
    });
    assert_eq!(bad, vec![("release.cdx.json".into(), "FAILED".into())]);
}

#[test]
fn deleted_cyclonedx_sbom_is_missing() {
    // Its signature files are still there: the release was signed with it.
    let bad = verify_mutated(|rel, _| std::fs::remove_file(rel.join("release.cdx.json")).unwrap());
    assert_eq!(bad, vec![("release.cdx.json".into(), "MISSING".into())]);
}

#[test]
fn a_release_without_any_sbom_fails_with_one_clear_row() {
    let v = verify_mutated_json(|rel, _| {
        for f in ["release.spdx.json", "release.spdx", "release.cdx.json"] {
            for suffix in ["", ".sig", ".cert", ".sigstore.json"] {
                std::fs::remove_file(rel.join(format!("{f}{suffix}"))).unwrap();
            }
        }
    });
    assert_eq!(
        statuses(&v),
        vec![("release.spdx.json".into(), "MISSING".into())]
    );
    let row = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "release.spdx.json")
        .unwrap();
    assert_eq!(
        row["detail"],
        "no SBOM: neither release.spdx.json (SPDX 2.3) nor release.cdx.json (CycloneDX 1.6) \
         is in the release"
    );
}

#[test]
fn metadata_sig_swapped_and_stray_sig_fail() {
    let bad = verify_mutated(|rel, _| {
        swap(rel, "SHA256SUMS", "release.spdx", ".sig");
        std::fs::write(rel.join("nothing.tar.gz.sig"), b"MEUCIQ==").unwrap();
        std::fs::write(rel.join("release.intoto.jsonl.sig"), b"MEUCIQ==").unwrap();
    });
    for (p, st) in [
        ("SHA256SUMS", "FAILED"),
        ("release.spdx", "FAILED"),
        ("nothing.tar.gz.sig", "EXTRA"),
        ("release.intoto.jsonl.sig", "EXTRA"),
    ] {
        assert!(bad.contains(&(p.into(), st.into())), "{p}: {bad:?}");
    }
}

/// Only the provenance is reported, as TAMPERED, after `mutate`.
fn provenance_tampered(mutate: impl FnOnce(&Path, &[String])) {
    let bad = verify_mutated(mutate);
    assert_eq!(
        bad,
        vec![("release.intoto.jsonl".into(), "TAMPERED".into())]
    );
}

#[test]
fn provenance_with_a_subject_removed_is_tampered() {
    provenance_tampered(|rel, _| {
        edit_provenance(rel, |s| {
            s["subject"].as_array_mut().unwrap().pop();
        })
    });
}

#[test]
fn provenance_with_another_builder_is_tampered() {
    provenance_tampered(|rel, _| {
        edit_provenance(rel, |s| {
            s["predicate"]["runDetails"]["builder"]["id"] = "https://evil.example/builder".into();
        })
    });
}

#[test]
fn provenance_replaced_with_garbage_is_tampered() {
    provenance_tampered(|rel, _| {
        std::fs::write(rel.join("release.intoto.jsonl"), b"garbage\n").unwrap()
    });
}

/// Release files one byte over their limits (grown sparse, so nothing is written) are failed
/// rows naming the limit (README "Limits on input: files"); the rest of the release verifies.
#[test]
fn oversized_release_files_fail_naming_their_limit() {
    const MIB: u64 = 1024 * 1024;
    let s = signed_release();
    let (a, b) = (&s.artifacts[4], &s.artifacts[5]);
    let grow = |p: std::path::PathBuf, len: u64| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(p)
            .unwrap()
            .set_len(len)
            .unwrap()
    };
    let v = verify_mutated_json(|rel, _| {
        grow(rel.join(format!("{a}.sig")), MIB + 1);
        grow(rel.join(format!("{b}.sigstore.json")), 32 * MIB + 1);
        grow(rel.join("release.intoto.jsonl"), 32 * MIB + 1);
    });
    let bad: Vec<(&str, &str, &str)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "OK")
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["status"].as_str().unwrap(),
                f["detail"].as_str().unwrap(),
            )
        })
        .collect();
    let expected = [
        (
            a.as_str(),
            "FAILED",
            "larger than the signature limit of 1 MiB",
        ),
        (
            b.as_str(),
            "INVALID",
            "larger than the bundle limit of 32 MiB",
        ),
        (
            "release.intoto.jsonl",
            "FAILED",
            "larger than the provenance limit of 32 MiB",
        ),
    ];
    assert_eq!(bad.len(), expected.len(), "{bad:#?}");
    for (path, status, detail) in expected {
        assert!(
            bad.iter()
                .any(|(p, st, d)| *p == path && *st == status && d.ends_with(detail)),
            "no {path} {status} ... {detail} in {bad:#?}"
        );
    }
}

/// A bundle carrying an RFC 3161 timestamp that does not verify, next to the log's signed entry
/// timestamp, still verifies (as sigstore-go skips such timestamps), and its row says what was
/// skipped; the provenance row too.
#[test]
fn a_skipped_timestamp_is_a_warning_on_a_verified_row() {
    let s = signed_release();
    let a = &s.artifacts[2];
    let add_bad_timestamp = |p: std::path::PathBuf| {
        let mut b: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        b["verificationMaterial"]["timestampVerificationData"] = serde_json::json!({
            "rfc3161Timestamps": [{"signedTimestamp": "MAMCAQA="}]
        });
        std::fs::write(&p, serde_json::to_vec(&b).unwrap()).unwrap();
    };
    let v = verify_mutated_json(|rel, _| {
        add_bad_timestamp(rel.join(format!("{a}.sigstore.json")));
        add_bad_timestamp(rel.join("release.intoto.jsonl.sigstore.json"));
    });
    assert!(statuses(&v).is_empty(), "{v}");
    let files = v["files"].as_array().unwrap();
    for path in [a.as_str(), "release.intoto.jsonl"] {
        let row = files.iter().find(|f| f["path"] == path).unwrap();
        let detail = row["detail"].as_str().unwrap();
        assert!(
            detail.contains("WARNING: RFC 3161 timestamp 0 skipped"),
            "{path}: {detail}"
        );
    }
    let other = files.iter().find(|f| f["path"] == s.artifacts[3].as_str());
    assert!(
        !other.unwrap()["detail"]
            .as_str()
            .unwrap()
            .contains("WARNING")
    );
}

/// Signature files that cannot be written (a directory stands where each `.sig` goes) fail
/// sign-release with a file named, in bounded time: writers that failed still drain the queue,
/// so the signing side never waits forever on a full one.
#[test]
fn a_write_failure_fails_sign_release_naming_the_file() {
    let (_tmp, _server, data, rel) = release_fixture(&["--files", "40", "--size-mib", "1"]);
    let rel_s = rel.to_str().unwrap();
    let files: Vec<String> = std::fs::read_dir(&rel)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    // More failures than writers (8) plus the queue (--jobs 2).
    assert!(files.len() >= 12, "{files:?}");
    for f in &files {
        std::fs::create_dir_all(rel.join(format!("{f}.sig")).join("blocker")).unwrap();
    }
    let token = token(&data, "rm@example.com");
    let mut child = Command::new(env!("CARGO_BIN_EXE_signet"))
        .args([
            "sign-release",
            rel_s,
            "--identity-token",
            &token,
            "--jobs",
            "2",
        ])
        .env("SIGNET_DATA_DIR", &data)
        .env("XDG_CONFIG_HOME", data.join("no-config"))
        .env_remove("SIGNET_TRUST_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("sign-release still running after 60 s: it waits on stopped writers");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(!status.success(), "{err}");
    assert!(
        files.iter().any(|f| err.contains(&format!("{f}.sig"))),
        "{err}"
    );
}

const WORKFLOW: &str = "https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.2.3";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// The provenance statement of a signed release (the payload of its one envelope).
fn provenance_of(rel: &Path) -> serde_json::Value {
    let line = std::fs::read_to_string(rel.join("release.intoto.jsonl")).unwrap();
    let env: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    let payload = signet_types::b64::decode(env["payload"].as_str().unwrap()).unwrap();
    serde_json::from_slice(&payload).unwrap()
}

/// The provenance names `git+https://github.com/org/repo` at `commit` and `git_ref`, first
/// said by `said_by`.
fn assert_source(st: &serde_json::Value, git_ref: &str, commit: &str, said_by: &str) {
    let bd = &st["predicate"]["buildDefinition"];
    assert_eq!(
        bd["externalParameters"]["source"],
        "git+https://github.com/org/repo"
    );
    assert_eq!(bd["externalParameters"]["ref"], git_ref);
    assert_eq!(bd["resolvedDependencies"][0]["digest"]["gitCommit"], commit);
    assert_eq!(bd["internalParameters"]["buildEnvironment"], said_by);
}

/// The rows of `verify-release` output that are not OK, with their details.
fn failed_details(o: &Output) -> Vec<(String, String, String)> {
    failed_rows(&json(o))
}

/// A release signed in a GitHub-Actions-shaped environment (the variables a workflow run of
/// `org/repo`'s release.yml at tag v1.2.3 has, and a token for that run) carries provenance
/// naming that repository, commit, ref, workflow (as builder) and run, which are the
/// certificate's extensions; verify-release with a policy accepts it and refuses another
/// builder, repository, ref or commit, one line per failed rule; signing with a flag that
/// contradicts the certificate is refused.
#[test]
fn github_actions_release_provenance_matches_its_certificate_and_policy() {
    let (tmp, server, data, rel) = release_fixture(&["--files", "4", "--size-mib", "1"]);
    let rel_s = rel.to_str().unwrap();
    let o = signet(
        &data,
        &[
            "oidc",
            "token",
            "--subject",
            WORKFLOW,
            "--sha",
            COMMIT,
            "--run-id",
            "4242",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let gha = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "org/repo"),
        ("GITHUB_SHA", COMMIT),
        ("GITHUB_REF", "refs/tags/v1.2.3"),
        (
            "GITHUB_WORKFLOW_REF",
            "org/repo/.github/workflows/release.yml@refs/tags/v1.2.3",
        ),
        ("GITHUB_RUN_ID", "4242"),
        ("GITHUB_RUN_ATTEMPT", "1"),
    ];
    // A flag that contradicts the certificate (another commit) is refused before anything
    // is published as provenance.
    let other_commit = format!("gitCommit:{}", "f".repeat(40));
    let sign = |extra: &[&str]| {
        let mut a = vec![
            "sign-release",
            rel_s,
            "--identity-token",
            &token,
            "--release-version",
            "v1.2.3",
            "--output",
            "json",
        ];
        a.extend_from_slice(extra);
        signet_env(&data, &a, &gha)
    };
    let o = sign(&["--source-digest", &other_commit]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the signing certificate says") && err.contains(COMMIT),
        "{err}"
    );
    assert!(!rel.join("release.intoto.jsonl").exists());

    let o = sign(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(json(&o)["provenance"]["builderId"], WORKFLOW);

    let st = provenance_of(&rel);
    assert_eq!(
        st["predicate"]["buildDefinition"]["buildType"],
        "urn:signet:buildtype:release:v1"
    );
    // The certificate said it first (the environment agrees with it).
    assert_source(&st, "refs/tags/v1.2.3", COMMIT, "certificate");
    let rd = &st["predicate"]["runDetails"];
    assert_eq!(rd["builder"]["id"], WORKFLOW);
    assert_eq!(
        rd["metadata"]["invocationId"],
        "https://github.com/org/repo/actions/runs/4242/attempts/1"
    );
    // Nothing local is published: no path of this machine in the statement.
    let text = st.to_string();
    assert!(
        !text.contains("file:") && !text.contains(tmp.path().to_str().unwrap()),
        "{text}"
    );

    let issuer = format!("{}/oidc/ci", server.url);
    let verify = |policy: &[&str]| {
        let mut a = vec![
            "verify-release",
            rel_s,
            "--certificate-identity",
            WORKFLOW,
            "--certificate-oidc-issuer",
            &issuer,
            "--offline",
            "--output",
            "json",
        ];
        a.extend_from_slice(policy);
        signet(&data, &a)
    };
    let o = verify(&[
        "--builder-id",
        "https://github.com/org/repo/.github/workflows/release.yml",
        "--source-uri",
        "github.com/org/repo",
        "--source-ref",
        "v1.2.3",
        "--source-digest",
        COMMIT,
    ]);
    assert!(o.status.success(), "{:?}", failed_details(&o));
    let o = verify(&[]);
    assert!(o.status.success(), "{:?}", failed_details(&o));

    for (flag, value, rule) in [
        (
            "--builder-id",
            "https://github.com/org/repo/.github/workflows/other.yml",
            "policy builder-id",
        ),
        ("--source-uri", "github.com/org/fork", "policy source-uri"),
        ("--source-ref", "refs/heads/main", "policy source-ref"),
        (
            "--source-digest",
            other_commit.as_str(),
            "policy source-digest",
        ),
    ] {
        let o = verify(&[flag, value]);
        assert!(!o.status.success(), "{flag} {value} was accepted");
        let rows = failed_details(&o);
        assert_eq!(rows.len(), 1, "{rows:?}");
        let (path, status, detail) = &rows[0];
        assert_eq!(
            (path.as_str(), status.as_str()),
            ("release.intoto.jsonl", "FAILED")
        );
        let shown = value.rsplit(':').next().unwrap();
        assert!(
            detail.starts_with(rule) && detail.contains(shown),
            "{detail}"
        );
    }
    // Every failed rule is its own line.
    let o = verify(&[
        "--builder-id",
        "https://evil.example/builder",
        "--source-uri",
        "github.com/org/fork",
    ]);
    assert_eq!(failed_details(&o).len(), 2);
    let o = signet(
        &data,
        &[
            "verify-release",
            rel_s,
            "--certificate-identity",
            WORKFLOW,
            "--certificate-oidc-issuer",
            &issuer,
            "--offline",
            "--builder-id",
            "https://evil.example/builder",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.lines()
            .any(|l| l.starts_with("FAILED") && l.contains("policy builder-id")),
        "{out}"
    );
}

/// A provenance signed by the right identity that omits a file of the release (it was made
/// for the release without that file) fails verification; so does one from another builder.
#[test]
fn a_signed_provenance_that_omits_a_file_or_names_another_builder_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, data) = instance(tmp.path());
    let token = token(&data, "rm@example.com");
    let issuer = format!("{}/oidc", server.url);
    let full = tmp.path().join("full");
    let full_s = full.to_str().unwrap();
    sample_release(&data, full_s, &["--files", "3", "--size-mib", "1"]);
    let less = tmp.path().join("less");
    copy_dir(&full, &less);
    let victim = std::fs::read_dir(&less)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_file())
        .unwrap();
    std::fs::remove_file(&victim).unwrap();
    let sign = |dir: &Path, builder: &str| {
        let o = signet(
            &data,
            &[
                "sign-release",
                dir.to_str().unwrap(),
                "--identity-token",
                &token,
                "--builder-id",
                builder,
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    sign(&full, "https://builder.example/release");
    sign(&less, "https://builder.example/release");
    let policy = ["--builder-id", "https://builder.example/release"];
    assert!(
        verify_release(&data, full_s, &issuer, &policy)
            .status
            .success()
    );
    // The smaller release's signed provenance, published with the full release.
    for f in ["release.intoto.jsonl", "release.intoto.jsonl.sigstore.json"] {
        std::fs::copy(less.join(f), full.join(f)).unwrap();
    }
    let o = verify_release(&data, full_s, &issuer, &policy);
    assert!(!o.status.success());
    let rows = failed_details(&o);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "release.intoto.jsonl");
    assert_eq!(rows[0].1, "FAILED");
    assert!(rows[0].2.contains("1 extra"), "{rows:?}");
    // Re-signed by another builder (no artifact changed, but the provenance no longer says
    // what the run claims, so it is signed again): the policy refuses it.
    sign(&full, "https://other.example/builder");
    let o = verify_release(&data, full_s, &issuer, &policy);
    let rows = failed_details(&o);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].2.starts_with("policy builder-id"), "{rows:?}");
}

/// `git ARGS` in `dir`, which must succeed; its trimmed stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

/// Run inside a git checkout (outside CI), sign-release names the checkout's repository (its
/// `origin`, without the token in the URL), commit and tag; an `origin` that is a local path
/// names no source at all.
#[test]
fn a_git_checkout_is_the_provenance_source_but_never_a_local_path() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, data) = instance(tmp.path());
    let token = token(&data, "rm@example.com");
    // The commands run in tmp (signet_env): make it a checkout with a tagged commit.
    git(tmp.path(), &["init", "-q"]);
    git(
        tmp.path(),
        &[
            "remote",
            "add",
            "origin",
            "https://x-access-token:SECRET@github.com/org/repo.git",
        ],
    );
    std::fs::write(tmp.path().join("Makefile"), "all:\n").unwrap();
    git(tmp.path(), &["add", "Makefile"]);
    git(tmp.path(), &["commit", "-q", "-m", "release"]);
    git(tmp.path(), &["tag", "v1.0.0"]);
    let head = git(tmp.path(), &["rev-parse", "HEAD"]);
    let rel = tmp.path().join("release");
    let rel_s = rel.to_str().unwrap();
    sample_release(&data, rel_s, &["--files", "2", "--size-mib", "1"]);
    sign_release(&data, rel_s, &token);
    let st = provenance_of(&rel);
    assert_source(&st, "refs/tags/v1.0.0", &head, "git");
    assert!(!st.to_string().contains("SECRET"), "{st}");
    assert_eq!(
        st["predicate"]["runDetails"]["builder"]["id"],
        "urn:signet:builder:local"
    );

    // An origin on this machine names no source; the statement names no local path.
    git(
        tmp.path(),
        &["remote", "set-url", "origin", "/srv/git/repo.git"],
    );
    std::fs::write(rel.join("new.txt"), "new").unwrap();
    sign_release(&data, rel_s, &token);
    let st = provenance_of(&rel);
    let bd = &st["predicate"]["buildDefinition"];
    assert!(bd["externalParameters"].get("source").is_none(), "{st}");
    assert!(bd.get("resolvedDependencies").is_none(), "{st}");
    assert!(!st.to_string().contains("/srv/git"), "{st}");
    let issuer = format!("{}/oidc", server.url);
    let o = verify_release(
        &data,
        rel_s,
        &issuer,
        &["--source-uri", "github.com/org/repo"],
    );
    let rows = failed_details(&o);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].2.contains("built from source none"), "{rows:?}");
}

/// `GET url`: the status and the body.
fn http_get(url: &str) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::get(url).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    })
}

/// The release page's file table: `(path, status)` per row.
fn page_rows(html: &str) -> Vec<(String, String)> {
    html.split("<tr data-status=\"")
        .skip(1)
        .map(|row| {
            let status = row.split('"').next().unwrap();
            let path = row.split_once("<code>").unwrap().1;
            let path = path.split_once("</code>").unwrap().0;
            (path.to_string(), status.to_string())
        })
        .collect()
}

/// The rows of a `verify-release --output json` report: `(path, status)` each.
fn all_rows(v: &serde_json::Value) -> Vec<(String, String)> {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("path"), s("status"))
        })
        .collect()
}

/// `serve-release URL`: the page of a release another server serves (here `serve-release
/// --files-only`), downloaded and verified at each load with verify-release's code, so its
/// rows are verify-release's; a tampered upstream file shows at the next load; a release that
/// cannot be downloaded (no SHA256SUMS, over `--max-download-mib`, nothing listening) is an
/// error page and the server keeps answering; the downloads are removed; `--files-only` with a
/// URL is refused.
#[test]
fn serve_release_of_a_url() {
    let (tmp, server, data, rel) = release_fixture(&["--files", "4", "--size-mib", "2"]);
    let rel_s = rel.to_str().unwrap();
    sign_release(&data, rel_s, &token(&data, "rm@example.com"));
    let issuer = format!("{}/oidc", server.url);
    let files = Proc::start_in(
        &[
            "serve-release",
            rel_s,
            "--files-only",
            "--addr",
            "127.0.0.1:0",
        ],
        &data,
    );
    let (status, sums) = http_get(&format!("{}/SHA256SUMS", files.url));
    assert_eq!(status, 200);
    assert_eq!(
        sums,
        std::fs::read_to_string(rel.join("SHA256SUMS")).unwrap()
    );

    // Every download goes to a temporary directory under this one, removed after the load.
    let downloads = tmp.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let no_config = data.join("no-config");
    let page_of = |url: &str, extra: &[&str]| {
        let mut args = vec![
            "serve-release",
            url,
            "--addr",
            "127.0.0.1:0",
            "--certificate-identity",
            "rm@example.com",
            "--certificate-oidc-issuer",
            &issuer,
            "--offline",
        ];
        args.extend_from_slice(extra);
        Proc::start(
            &args,
            &[
                ("SIGNET_DATA_DIR", data.as_os_str()),
                ("XDG_CONFIG_HOME", no_config.as_os_str()),
                ("TMPDIR", downloads.as_os_str()),
            ],
        )
    };
    let no_downloads_left = || {
        let left: Vec<_> = std::fs::read_dir(&downloads).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    };

    let page = page_of(&files.url, &[]);
    let want = json(&verify_release(&data, &files.url, &issuer, &["--offline"]));
    assert_eq!(want["verified"], true, "{want}");
    let want = all_rows(&want);
    assert_eq!(want.len(), 9, "{want:?}"); // 4 artifacts, SHA256SUMS, 3 SBOMs, provenance
    for path in ["/", "/ui/release"] {
        let (status, html) = http_get(&format!("{}{path}", page.url));
        assert_eq!(status, 200, "{html}");
        assert_eq!(page_rows(&html), want);
        assert!(
            html.contains(&format!("<h1>Release {}</h1>", files.url)),
            "{html}"
        );
        assert!(html.contains(&format!(
            "<p id=\"verdict\" role=\"status\" class=\"ok\">All {} files verified</p>",
            want.len()
        )));
        assert!(html.contains("The files are served at the release's URL."));
        assert!(html.contains("rm@example.com"));
    }
    no_downloads_left();
    // No files here: the file route of a directory does not exist.
    let (status, _) = http_get(&format!("{}/SHA256SUMS", page.url));
    assert_eq!(status, 404);

    // One changed byte upstream: the next load says TAMPERED, as verify-release of the URL.
    let artifact = &want
        .iter()
        .find(|(p, _)| !p.starts_with("SHA256SUMS") && !p.starts_with("release."))
        .unwrap()
        .0;
    let mut bytes = std::fs::read(rel.join(artifact)).unwrap();
    bytes[0] ^= 1;
    std::fs::write(rel.join(artifact), bytes).unwrap();
    let (status, html) = http_get(&format!("{}/", page.url));
    assert_eq!(status, 200, "{html}");
    let rows = page_rows(&html);
    // The artifact, and the SBOMs and provenance that name its old digest.
    let bad: Vec<_> = rows.iter().filter(|(_, s)| s != "OK").collect();
    assert!(
        bad.contains(&&(artifact.clone(), "TAMPERED".to_string())),
        "{bad:?}"
    );
    assert!(
        bad.iter()
            .all(|(p, s)| p == artifact || (p.starts_with("release.") && s == "FAILED")),
        "{bad:?}"
    );
    let o = verify_release(&data, &files.url, &issuer, &["--offline"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(rows, all_rows(&json(&o)));
    assert!(html.contains(&format!(
        "class=\"bad\">{} problems in {} files: release NOT verified</p>",
        bad.len(),
        rows.len()
    )));
    no_downloads_left();

    // Releases that cannot be downloaded: an error page, and the server keeps answering.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let missing = format!("{}/no-such-release/", files.url);
    for (url, extra, says) in [
        (
            missing.as_str(),
            &[][..],
            "no-such-release/SHA256SUMS not found",
        ),
        (
            files.url.as_str(),
            &["--max-download-mib", "1"][..],
            "larger than the download limit of 1 MiB",
        ),
        (closed_url.as_str(), &[][..], "cannot download the release"),
    ] {
        let failing = page_of(url, extra);
        for _ in 0..2 {
            let (status, html) = http_get(&format!("{}/", failing.url));
            assert_eq!(status, 500, "{html}");
            assert!(html.contains("The release could not be verified"), "{html}");
            assert!(html.contains(says), "{says}: {html}");
            assert!(!html.contains("served below this address"), "{html}");
        }
        no_downloads_left();
    }
    // The first server still verifies its release.
    let (status, html) = http_get(&format!("{}/", page.url));
    assert_eq!(status, 200);
    assert_eq!(page_rows(&html), rows);

    // --files-only has nothing to serve for a URL.
    let o = signet(
        &data,
        &[
            "serve-release",
            &files.url,
            "--files-only",
            "--addr",
            "127.0.0.1:0",
        ],
    );
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--files-only") && err.contains("is a URL"),
        "{err}"
    );
}
