//! `signet completions` and `signet man` are generated from the flags themselves: a new
//! command or flag shows up in both, and a bad shell name is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn signet(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn completions_and_manual_pages_cover_every_command() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = signet(&["completions", shell]);
        assert!(o.status.success(), "{shell}");
        let script = String::from_utf8(o.stdout).unwrap();
        for word in [
            "verify-blob",
            "sign-release",
            "certificate-identity",
            "tlog-api",
        ] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let o = signet(&["completions", "tcsh"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid value 'tcsh'"));

    let o = signet(&["man"]);
    assert!(o.status.success());
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.starts_with(".ie"), "{page}");
    assert!(page.contains(".TH signet 1"), "{page}");
    assert!(page.contains("verify\\-release"), "{page}");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let o = signet(&["man", "--out-dir", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(out.join("signet-verify-blob.1")).unwrap();
    assert!(page.contains("\\-\\-certificate\\-identity"), "{page}");
    assert!(out.join("signet-admin-rotate.1").exists());
    assert!(out.join("signet-log-monitor.1").exists());
}
