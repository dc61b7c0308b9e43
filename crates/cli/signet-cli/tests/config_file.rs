//! `signet server --config FILE` and `--check-config`: unknown keys and wrong types are errors
//! naming the file and key; a flag beats the environment, which beats the file, which beats the
//! default; the effective configuration masks passwords; a whole config file starts a working
//! HTTPS server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::Listening;

/// `signet server ARGS` in `dir` with `env` (and no ambient SIGNET_* settings).
fn server(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signet"));
    cmd.current_dir(dir).arg("server").args(args);
    for v in ["SIGNET_DATA_DIR", "SIGNET_DATABASE", "SIGNET_CA_BUNDLE"] {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn failure(o: &Output) -> String {
    assert!(!o.status.success(), "succeeded: {}", common::output_text(o));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(err.trim().lines().count(), 1, "not one line: {err}");
    err
}

/// The effective configuration `--check-config` prints for `config` plus `args`.
fn effective(dir: &Path, config: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    std::fs::write(dir.join("signet.toml"), config).unwrap();
    let mut all = vec!["--config", "signet.toml", "--check-config"];
    all.extend(args);
    let o = server(dir, &all, env);
    assert!(o.status.success(), "{}", common::output_text(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// The line of setting `key` in an effective configuration.
fn line<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
}

#[test]
fn unknown_keys_and_wrong_types_are_errors_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (config, expected) in [
        (
            "data_dir = \"d\"\n",
            "unknown key \"data_dir\" (did you mean \"data-dir\"?)",
        ),
        (
            "max-conections = 5\n",
            "(did you mean \"max-connections\"?)",
        ),
        ("colour = 1\n", "unknown key \"colour\""),
        (
            "max-connections = \"many\"\n",
            "key \"max-connections\": invalid value 'many'",
        ),
        (
            "max-connections = [1]\n",
            "key \"max-connections\": expected a string or a number, not array",
        ),
        (
            "dev-oidc = \"yes\"\n",
            "key \"dev-oidc\": expected true or false, not string",
        ),
        (
            "witness = \"https://w.example ab+cd+ef\"\n",
            "key \"witness\" can be given several times: expected an array",
        ),
        (
            "tlog-api = \"v3\"\n",
            "key \"tlog-api\": invalid value 'v3'",
        ),
        ("addr = \"127.0.0.1:0\"\naddr = 1\n", "line 2: not TOML"),
        (
            "config = \"other.toml\"\n",
            "a config file cannot name another",
        ),
    ] {
        std::fs::write(d.join("signet.toml"), config).unwrap();
        let err = failure(&server(d, &["--config", "signet.toml"], &[]));
        assert!(
            err.contains("config file signet.toml") && err.contains(expected),
            "{config:?}: {err}"
        );
    }
    assert!(!d.join("signet-data").exists(), "nothing started");
}

#[test]
fn a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config =
        "org = \"file-org\"\ndata-dir = \"file-dir\"\nheader-timeout = 3\ndev-oidc = true\n";
    let text = effective(
        d,
        config,
        &["--org", "flag-org"],
        &[("SIGNET_DATA_DIR", "env-dir")],
    );
    assert_eq!(line(&text, "org"), "org = \"flag-org\"  # flag");
    assert_eq!(
        line(&text, "data-dir"),
        "data-dir = \"env-dir\"  # environment (SIGNET_DATA_DIR)"
    );
    assert_eq!(
        line(&text, "header-timeout"),
        "header-timeout = \"3\"  # config file"
    );
    assert_eq!(line(&text, "dev-oidc"), "dev-oidc = true  # config file");
    assert_eq!(
        line(&text, "idle-timeout"),
        "idle-timeout = \"60\"  # default"
    );
    // A flag beats the environment too.
    let text = effective(
        d,
        config,
        &["--data-dir", "flag-dir"],
        &[("SIGNET_DATA_DIR", "env-dir")],
    );
    assert_eq!(line(&text, "data-dir"), "data-dir = \"flag-dir\"  # flag");
    assert_eq!(line(&text, "org"), "org = \"file-org\"  # config file");
    // A repeatable flag on the command line replaces the file's list.
    let text = effective(
        d,
        "dev-oidc = true\ndev-oidc-alias = [\"https://a.example\", \"https://b.example\"]\n",
        &["--dev-oidc-alias", "https://c.example"],
        &[],
    );
    assert_eq!(
        line(&text, "dev-oidc-alias"),
        "dev-oidc-alias = [\"https://c.example\"]  # flag"
    );
}

#[test]
fn check_config_masks_passwords_and_checks_what_a_start_checks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = effective(
        d,
        "database = \"postgres://signet:hunter2@db.example:5432/signet\"\n",
        &[],
        &[],
    );
    assert!(!text.contains("hunter2"), "{text}");
    assert_eq!(
        line(&text, "database"),
        "database = \"postgres://signet:********@db.example:5432/signet\"  # config file"
    );
    // From the environment too.
    let text = effective(
        d,
        "",
        &[],
        &[("SIGNET_DATABASE", "host=db user=signet password=hunter2")],
    );
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("password=********"), "{text}");

    // What a start would refuse, --check-config refuses, naming it.
    let check = |config: &str| {
        std::fs::write(d.join("signet.toml"), config).unwrap();
        failure(&server(
            d,
            &["--config", "signet.toml", "--check-config"],
            &[],
        ))
    };
    let err = check("database = \"postgres://signet@db:notaport/x\"\n");
    assert!(err.contains("invalid PostgreSQL URL"), "{err}");
    let err = check("oidc-config = \"missing.yaml\"\n");
    assert!(err.contains("missing.yaml"), "{err}");
    let err = check("addr = \"0.0.0.0:443\"\n");
    assert!(err.contains("--insecure-http"), "{err}");
    let ca = common::tls::ca();
    let (cert, _, _) = common::tls::leaf(&ca, 1);
    let (_, other_key, _) = common::tls::leaf(&ca, 2);
    std::fs::write(d.join("tls.crt"), cert).unwrap();
    std::fs::write(d.join("tls.key"), other_key).unwrap();
    let err = check("tls-cert = \"tls.crt\"\ntls-key = \"tls.key\"\n");
    assert!(err.contains("does not match"), "{err}");

    // The instance's keys: a damaged log key is found without starting.
    let init = Command::new(env!("CARGO_BIN_EXE_signet"))
        .current_dir(d)
        .args(["init", "--data-dir", "data"])
        .env_remove("SIGNET_DATABASE")
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", common::output_text(&init));
    effective(d, "data-dir = \"data\"\n", &[], &[]);
    let key = d.join("data/ct/log.key");
    let mut bytes = std::fs::read(&key).unwrap();
    let n = bytes.len();
    bytes.truncate(n / 2);
    std::fs::write(&key, bytes).unwrap();
    let err = check("data-dir = \"data\"\n");
    assert!(err.contains("log.key"), "{err}");
}

#[test]
fn a_whole_config_file_starts_a_working_https_server() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = common::tls::ca();
    common::tls::write_leaf(d, &ca, 1);
    std::fs::write(d.join("ca.pem"), ca.cert.pem()).unwrap();
    let config = format!(
        "addr = \"127.0.0.1:0\"\ndata-dir = {:?}\ntls-cert = {:?}\ntls-key = {:?}\n\
         dev-oidc = true\nmax-connections = 64\nheader-timeout = 5\norg = \"config org\"\n",
        d.join("data"),
        d.join("tls.crt"),
        d.join("tls.key"),
    );
    std::fs::write(d.join("signet.toml"), config).unwrap();
    let server = Listening::start(
        &[
            "server",
            "--config",
            d.join("signet.toml").to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let info = Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(["log", "--rekor-url", &server.url, "--ca-bundle"])
        .arg(d.join("ca.pem"))
        .arg("info")
        .env_remove("SIGNET_CA_BUNDLE")
        .output()
        .unwrap();
    assert!(info.status.success(), "{}", common::output_text(&info));
    // The dev OIDC issuer of the file is on, and the CA was made with the file's org.
    let root = std::fs::read_to_string(d.join("data/ca/root.pem")).unwrap();
    assert!(!root.is_empty());
    let signing = std::fs::read_to_string(d.join("data/signing_config.json")).unwrap();
    assert!(signing.contains("/oidc"), "{signing}");
    assert!(signing.contains("https://127.0.0.1:"), "{signing}");
}
