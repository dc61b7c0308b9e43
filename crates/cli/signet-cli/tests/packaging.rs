//! The packaging files at the repository's root: `packaging/signet.service` passes `systemd-analyze
//! verify` (when systemd's tools are installed) and carries the hardening it promises, with an
//! ExecStart that `signet` accepts; the `Dockerfile`'s stages build the binary with `--locked`
//! and copy it into a runtime stage that runs as a non-root user. No docker daemon is needed
//! (none is run here: the image itself is not built by these tests).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// `key=value` lines of a unit file's `[section]`, in order (comments and blanks skipped).
fn unit_section(text: &str, section: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            inside = line == format!("[{section}]");
            continue;
        }
        if inside {
            let (k, v) = line.split_once('=').expect("key=value");
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

#[test]
fn the_systemd_unit_is_hardened_and_verifies() {
    let path = repo().join("packaging/signet.service");
    let text = std::fs::read_to_string(&path).unwrap();
    let service = unit_section(&text, "Service");
    let get = |k: &str| -> Vec<&str> {
        service
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    for (k, v) in [
        ("DynamicUser", "yes"),
        ("StateDirectory", "signet"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("SystemCallFilter", "@system-service"),
        ("ExecReload", "/bin/kill -HUP $MAINPID"),
    ] {
        assert_eq!(get(k), vec![v], "{k}");
    }
    let families = get("RestrictAddressFamilies");
    assert_eq!(families.len(), 1);
    let families: Vec<&str> = families[0].split_whitespace().collect();
    assert!(families.contains(&"AF_INET") && families.contains(&"AF_INET6"));
    assert!(!families.iter().any(|f| f.starts_with('~')), "{families:?}");

    // ExecStart runs `signet server --config /etc/signet/signet.toml …`: the same arguments
    // given to the real binary parse (`--help` after them stops it before it starts).
    let exec = get("ExecStart");
    assert_eq!(exec.len(), 1);
    let argv: Vec<&str> = exec[0].split_whitespace().collect();
    assert_eq!(argv[0], "/usr/local/bin/signet");
    assert_eq!(
        &argv[1..4],
        ["server", "--config", "/etc/signet/signet.toml"]
    );
    let data_dir = argv
        .windows(2)
        .find(|w| w[0] == "--data-dir")
        .map(|w| w[1])
        .unwrap();
    assert_eq!(data_dir, "/var/lib/signet", "the StateDirectory");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(&argv[1..])
        .arg("--help")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // systemd's own check, with ExecStart pointing at the binary under test (verify requires
    // the command to exist).
    let have = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("skipped systemd-analyze verify: systemd-analyze is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let unit = tmp.path().join("signet.service");
    std::fs::write(
        &unit,
        text.replace("/usr/local/bin/signet", env!("CARGO_BIN_EXE_signet")),
    )
    .unwrap();
    let o = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    // Verify exits 0 on unknown keys and bad values (it ignores them): any line naming the
    // unit is a finding.
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("signet.service"), "{err}");
}

/// A Dockerfile's instructions: (INSTRUCTION, arguments), continuation lines joined.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let t = line.trim();
        if cur.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if let Some(part) = t.strip_suffix('\\') {
            cur.push_str(part);
            cur.push(' ');
            continue;
        }
        cur.push_str(t);
        let (ins, args) = cur.split_once(char::is_whitespace).unwrap();
        out.push((ins.to_uppercase(), args.trim().to_string()));
        cur.clear();
    }
    assert!(cur.is_empty(), "a continuation at the end");
    out
}

/// A Dockerfile stage: its base image, its name (`AS name`), its instructions.
type Stage = (String, Option<String>, Vec<(String, String)>);

#[test]
fn the_dockerfile_builds_locked_and_runs_as_non_root() {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let ins = instructions(&text);
    // Stages: each FROM starts one.
    let mut stages: Vec<Stage> = Vec::new();
    for (i, a) in ins {
        if i == "FROM" {
            let w: Vec<&str> = a.split_whitespace().collect();
            let name = match w.as_slice() {
                [_, as_, n] if as_.eq_ignore_ascii_case("as") => Some(n.to_string()),
                [_] => None,
                _ => panic!("FROM {a}"),
            };
            stages.push((w[0].to_string(), name, Vec::new()));
        } else {
            stages
                .last_mut()
                .expect("an instruction before FROM")
                .2
                .push((i, a));
        }
    }
    assert!(stages.len() >= 2, "multi-stage");
    let (builder_image, builder_name, build) = &stages[0];
    assert!(builder_image.starts_with("rust:") && builder_image.contains("bookworm"));
    let builder_name = builder_name.as_deref().expect("a named builder stage");
    let run = build
        .iter()
        .filter(|(i, _)| i == "RUN")
        .map(|(_, a)| a.as_str())
        .find(|a| a.contains("cargo build"))
        .expect("cargo build");
    for want in [
        "--release",
        "--locked",
        "-p signet-cli",
        "target/release/signet",
    ] {
        assert!(run.contains(want), "{want} in {run}");
    }
    let (_, _, runtime) = stages.last().unwrap();
    let last = |k: &str| {
        runtime
            .iter()
            .rev()
            .find(|(i, _)| i == k)
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| panic!("no {k} in the runtime stage"))
    };
    let user = last("USER");
    let uid = user.split(':').next().unwrap();
    assert!(!["root", "0", ""].contains(&uid), "USER {user}");
    let entry: Vec<String> = serde_json::from_str(&last("ENTRYPOINT")).unwrap();
    let binary = &entry[0];
    let copy = runtime
        .iter()
        .filter(|(i, _)| i == "COPY")
        .map(|(_, a)| a.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.last() == Some(&binary.as_str()))
        .expect("a COPY of the binary");
    assert!(
        copy.contains(&format!("--from={builder_name}").as_str()),
        "{copy:?}"
    );
    let cmd: Vec<String> = serde_json::from_str(&last("CMD")).unwrap();
    assert_eq!(cmd[0], "server");
    let volume: Vec<String> = serde_json::from_str(&last("VOLUME")).unwrap();
    let data_dir = cmd
        .windows(2)
        .find(|w| w[0] == "--data-dir")
        .map(|w| w[1].clone())
        .unwrap();
    assert_eq!(volume, vec![data_dir.clone()]);
    // The data directory belongs to the runtime user (else the server cannot write it).
    assert!(
        runtime.iter().any(|(i, a)| i == "COPY"
            && a.contains(&format!("--chown={user}"))
            && a.ends_with(&data_dir)),
        "the data directory is not given to {user}"
    );
    assert!(last("EXPOSE").parse::<u16>().unwrap() >= 1024);
    // The same arguments parse with the real binary.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(&cmd)
        .arg("--help")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
