//! `signet admin backup`, `restore` and `fsck` on real processes and real data directories: a
//! backup taken while a server appends restores, passes fsck and serves a tree the original
//! extends; fsck names the log and index of each kind of damage (a body byte, a leaf hash, a
//! removed entry, a SET, a checkpoint signature, a non-canonical body); a full disk fails a
//! backup cleanly; archives that escape their directory or were tampered with are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use signet_crypto::SigningKey;
use signet_types::{Sha256Hash, TreeSize};

mod common;

use common::proposed;

fn server(dir: &Path) -> common::Listening {
    common::Listening::start(
        &[
            "server",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            dir.to_str().unwrap(),
        ],
        &[],
    )
}

/// Appends entries `from..to` (data `"entry {i}"`) with `key`; answers the log indexes.
async fn append(url: &str, key: &SigningKey, from: u64, to: u64) -> Vec<u64> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for i in from..to {
        let r = http
            .post(format!("{url}/api/v1/log/entries"))
            .json(&proposed(key, format!("entry {i}").as_bytes()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let v: serde_json::Value = r.json().await.unwrap();
        let (_, e) = v.as_object().unwrap().iter().next().unwrap();
        out.push(e["logIndex"].as_u64().unwrap());
    }
    out
}

async fn log_info(url: &str) -> (u64, Sha256Hash) {
    let v: serde_json::Value = reqwest::get(format!("{url}/api/v1/log"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        v["treeSize"].as_u64().unwrap(),
        hash(v["rootHash"].as_str().unwrap()),
    )
}

fn hash(hex_str: &str) -> Sha256Hash {
    Sha256Hash::from_hex(hex_str).unwrap()
}

/// `signet admin backup --data-dir D --to FILE`.
fn backup_to(d: &Path, file: &Path) -> std::process::Output {
    let (d, f) = (d.to_str().unwrap(), file.to_str().unwrap());
    signet(&["admin", "backup", "--data-dir", d, "--to", f])
}

/// `signet admin restore --from FILE --data-dir D`.
fn restore_to(file: &Path, d: &Path) -> std::process::Output {
    let (d, f) = (d.to_str().unwrap(), file.to_str().unwrap());
    signet(&["admin", "restore", "--from", f, "--data-dir", d])
}

fn signet(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_signet"))
        .args(args)
        .env_remove("SIGNET_DATABASE")
        .env_remove("SIGNET_DATA_DIR")
        .output()
        .unwrap()
}

/// Waits until the checkpoint recorded in `dir/checkpoint` has `size` entries.
async fn recorded(dir: &Path, size: u64) {
    for _ in 0..100 {
        let text = std::fs::read_to_string(dir.join("checkpoint")).unwrap_or_default();
        if text.lines().nth(1) == Some(&size.to_string()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{}: no checkpoint of size {size}", dir.display());
}

/// A data directory with `n` hashedrekord entries in its Rekor v1 log, then one keyless
/// signature (a CT log entry and Rekor v1 entry `n`), the server stopped once both logs
/// recorded their last checkpoint.
async fn instance_with(dir: &Path, n: u64) {
    let s = common::dev_server(dir);
    let key = SigningKey::generate_p256().unwrap();
    append(&s.url, &key, 0, n).await;
    let work = dir.with_extension("work");
    std::fs::create_dir_all(&work).unwrap();
    let (d, w) = (dir.to_path_buf(), work.clone());
    tokio::task::spawn_blocking(move || common::sign_keyless(&d, &w, "alice@example.com", "a.txt"))
        .await
        .unwrap();
    recorded(&dir.join("log"), n + 1).await;
    recorded(&dir.join("ct"), 1).await;
    drop(s);
}

/// A backup taken while a background writer appends a few hundred entries restores into
/// another data directory, which passes fsck, and a server started on it serves a tree head
/// that holds every entry acknowledged before the backup began and that the original tree
/// (grown since) is provably consistent with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_passes_fsck_and_serves_a_prefix_of_the_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("data");
    let s = server(&d);
    let url = s.url.clone();
    let acked = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let (url, acked) = (url.clone(), acked.clone());
            tokio::spawn(async move {
                let key = SigningKey::generate_p256().unwrap();
                let mut idx = Vec::new();
                for i in 0..50u64 {
                    idx.extend(append(&url, &key, w * 1000 + i, w * 1000 + i + 1).await);
                    acked.fetch_add(1, Ordering::SeqCst);
                }
                idx
            })
        })
        .collect();
    while acked.load(Ordering::SeqCst) < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // Everything acknowledged so far must be in the backup.
    let (size_before, _) = log_info(&url).await;
    let archive = tmp.path().join("b.tar.gz");
    let a = archive.clone();
    let d2 = d.clone();
    let o = tokio::task::spawn_blocking(move || backup_to(&d2, &a))
        .await
        .unwrap();
    assert!(o.status.success(), "{}", common::output_text(&o));
    let during = acked.load(Ordering::SeqCst);
    for w in writers {
        assert_eq!(w.await.unwrap().len(), 50);
    }
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&archive).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (size_after, root_after) = log_info(&url).await;
    assert_eq!(size_after, 200);

    let r = tmp.path().join("restored");
    let o = restore_to(&archive, &r);
    assert!(o.status.success(), "{}", common::output_text(&o));
    assert!(common::output_text(&o).contains("passes fsck"));
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["log/log.key", "ca/root.key", "log/log.sqlite"] {
            let mode = std::fs::metadata(r.join(f)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{f} is readable by others: {mode:o}");
        }
    }
    let (ok, v, err) = fsck_json(&r);
    assert!(ok, "{v} {err}");
    assert_eq!(v["ok"], true);
    assert_eq!(v["logs"].as_array().unwrap().len(), 3, "{v}");

    let s2 = server(&r);
    let (n, root) = log_info(&s2.url).await;
    eprintln!("backed up at size {n} of {size_after} (acked before: {size_before})");
    assert!(
        n >= size_before && n <= size_after,
        "restored size {n}, before {size_before}, after {size_after} (acked during: {during})"
    );
    let proof = common::consistency_proof(&url, n, size_after).await;
    signet_tlog::verify_consistency(
        TreeSize(n),
        TreeSize(size_after),
        &proof,
        &root,
        &root_after,
    )
    .unwrap();
    drop(s2);
    drop(s);
}

/// Runs fsck (JSON) on `dir`: (exit success, its JSON answer, its stderr).
fn fsck_json(dir: &Path) -> (bool, serde_json::Value, String) {
    let o = signet(&[
        "admin",
        "fsck",
        "--data-dir",
        dir.to_str().unwrap(),
        "--output",
        "json",
    ]);
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", common::output_text(&o)));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o.status.success(), v, err)
}

/// Damage done to a copy of a data directory: to its Rekor v1 log's store, or its files.
type Damage = Box<dyn FnOnce(&rusqlite::Connection, &Path)>;

/// Flips the lowest bit of the last byte of column `col` of entry `idx`.
fn flip_last(col: &'static str, idx: i64) -> Damage {
    Box::new(move |c, _| {
        let mut v: Vec<u8> = c
            .query_row(
                &format!("SELECT {col} FROM entries WHERE idx = ?1"),
                [idx],
                |r| r.get(0),
            )
            .unwrap();
        let last = v.len() - 1;
        v[last] ^= 1;
        c.execute(
            &format!("UPDATE entries SET {col} = ?1 WHERE idx = ?2"),
            rusqlite::params![v, idx],
        )
        .unwrap();
    })
}

fn sql(statement: &'static str) -> Damage {
    Box::new(move |c, _| {
        c.execute(statement, []).unwrap();
    })
}

/// Each kind of damage to a stored log makes fsck exit non-zero with one line naming the log
/// and the first index (or the checkpoint or stored hash) it concerns; the undamaged copy
/// passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fsck_names_the_log_and_index_of_each_kind_of_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    instance_with(&base, 8).await;
    let (ok, v, err) = fsck_json(&base);
    assert!(ok, "{v} {err}");
    assert!(v["divergence"].is_null());
    let sizes: Vec<(&str, u64)> = v["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["log"].as_str().unwrap(), l["entries"].as_u64().unwrap()))
        .collect();
    assert_eq!(sizes, [("ct", 1), ("log", 9), ("log-v2", 0)]);

    let not_canonical: Damage = Box::new(|c, _| {
        // A leading space: the same JSON, not canonical; its leaf hash made to match it.
        let body: Vec<u8> = c
            .query_row("SELECT body FROM entries WHERE idx = 4", [], |r| r.get(0))
            .unwrap();
        let spaced = [b" ".as_slice(), &body].concat();
        let leaf = signet_tlog::leaf_hash(&spaced);
        c.execute(
            "UPDATE entries SET body = ?1, uuid = ?2 WHERE idx = 4",
            rusqlite::params![spaced, leaf.0.to_vec()],
        )
        .unwrap();
    });
    let bad_checkpoint: Damage = Box::new(|_, d| {
        let p = d.join("log/checkpoint");
        let text = std::fs::read_to_string(&p).unwrap();
        let sig_line = text.lines().last().unwrap().to_string();
        let (head, b64) = sig_line.rsplit_once(' ').unwrap();
        let mut raw = signet_types::b64::decode(b64).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let bad = format!("{head} {}", signet_types::b64::encode(&raw));
        std::fs::write(&p, text.replace(&sig_line, &bad)).unwrap();
    });
    let cases: Vec<(&str, Damage, Option<u64>, &str)> = vec![
        ("ct", flip_last("body", 0), Some(0), "leaf hash"),
        ("body", flip_last("body", 5), Some(5), "leaf hash"),
        (
            "uuid",
            sql("UPDATE entries SET uuid = zeroblob(32) WHERE idx = 2"),
            Some(2),
            "leaf hash",
        ),
        (
            "removed",
            sql("DELETE FROM entries WHERE idx = 6"),
            Some(6),
            "missing",
        ),
        (
            "set",
            flip_last("sets", 3),
            Some(3),
            "signed entry timestamp",
        ),
        ("canonical", not_canonical, Some(4), "not canonical"),
        ("checkpoint", bad_checkpoint, None, "does not verify"),
        (
            "hash",
            sql("UPDATE hashes SET h = zeroblob(32) WHERE idx = 1"),
            None,
            "stored hash 1",
        ),
    ];
    for (name, damage, index, what) in cases {
        // The case named "ct" damages the CT log; every other one the Rekor v1 log.
        let log = if name == "ct" { "ct" } else { "log" };
        let d = tmp.path().join(name);
        common::copy_dir(&base, &d);
        let c = rusqlite::Connection::open(d.join(log).join("log.sqlite")).unwrap();
        damage(&c, &d);
        drop(c);
        let (ok, v, err) = fsck_json(&d);
        let div = &v["divergence"];
        assert!(!ok, "{name}: fsck passed");
        assert_eq!(div["log"].as_str(), Some(log), "{name}: {div}");
        assert_eq!(div["index"].as_u64(), index, "{name}: {div}");
        assert!(
            div["what"].as_str().unwrap().contains(what),
            "{name}: {div}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{name}: {err}");
        let at = index.map_or(String::new(), |i| format!(" entry {i}:"));
        assert!(err.contains(&format!("log {log}:{at}")), "{name}: {err}");
    }
}

/// A backup onto a disk that fills up fails with one clear line and a non-zero exit, and
/// leaves nothing behind (neither FILE nor a temporary file). Needs root to mount a small
/// tmpfs: skipped, saying so, otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_onto_a_full_disk_fails_cleanly_and_leaves_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("data");
    instance_with(&d, 100).await;
    let small = tmp.path().join("small");
    let Some(_mount) = common::Mounted::tmpfs(&small, "1m") else {
        return;
    };
    // Leave 64 KiB free: less than the log stores' snapshots need.
    let filler = small.join("filler");
    std::fs::write(&filler, vec![1u8; (1 << 20) - (64 << 10)]).unwrap();
    let target = small.join("b.tar");
    let o = backup_to(&d, &target);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{}", common::output_text(&o));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("No space left on device") || err.contains("disk is full"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&small)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "filler")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A tar header for a regular file at the raw path `name` (no validation, as an attacker
/// writes it).
fn raw_member(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_old();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

/// Archives whose members escape the target directory (`../evil`, an absolute path, a symlink)
/// or do not match their manifest are refused; nothing is written outside, and the target is
/// not created.
#[test]
fn restore_refuses_escaping_or_tampered_archives() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, name) in [&b"../evil"[..], b"/tmp/backup-evil-abs", b"log/../../evil"]
        .iter()
        .enumerate()
    {
        let mut bytes = raw_member(name, b"pwned");
        bytes.extend([0u8; 1024]);
        let a = tmp.path().join(format!("evil{i}.tar"));
        std::fs::write(&a, bytes).unwrap();
        let to = tmp.path().join(format!("d{i}"));
        let o = restore_to(&a, &to);
        assert!(!o.status.success());
        assert!(
            common::output_text(&o).contains("not a plain relative path"),
            "{}",
            common::output_text(&o)
        );
        assert!(!to.exists());
        assert!(!tmp.path().join("evil").exists());
    }
    assert!(!Path::new("/tmp/backup-evil-abs").exists());

    // A symlink member.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "log", "/etc").unwrap();
    let a = tmp.path().join("link.tar");
    std::fs::write(&a, b.into_inner().unwrap()).unwrap();
    let o = restore_to(&a, &tmp.path().join("dl"));
    assert!(!o.status.success());
    assert!(common::output_text(&o).contains("not a regular file"));

    // A real backup with one byte of a key changed inside the archive.
    let d = tmp.path().join("data");
    let o = common::signet_in(&d, &["init", "--data-dir", d.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::output_text(&o));
    let a = tmp.path().join("good.tar");
    let o = backup_to(&d, &a);
    assert!(o.status.success(), "{}", common::output_text(&o));
    // Refuses to overwrite without --force.
    let o = backup_to(&d, &a);
    assert!(!o.status.success());
    assert!(common::output_text(&o).contains("--force"));
    // Refuses to write into the data directory it reads.
    let o = backup_to(&d, &d.join("log/b.tar"));
    assert!(!o.status.success());
    assert!(common::output_text(&o).contains("inside the data directory"));
    assert!(!d.join("log/b.tar").exists());
    let mut bytes = std::fs::read(&a).unwrap();
    let key = std::fs::read(d.join("ca/root.key")).unwrap();
    let at = bytes
        .windows(key.len())
        .position(|w| w == &key[..])
        .unwrap();
    bytes[at + 40] ^= 1;
    let bad = tmp.path().join("bad.tar");
    std::fs::write(&bad, bytes).unwrap();
    let to = tmp.path().join("dt");
    let o = restore_to(&bad, &to);
    assert!(!o.status.success());
    assert!(
        common::output_text(&o).contains("ca/root.key does not match its manifest"),
        "{}",
        common::output_text(&o)
    );
    assert!(!to.exists());
    // A truncated archive (no manifest).
    let good = std::fs::read(&a).unwrap();
    let cut = tmp.path().join("cut.tar");
    std::fs::write(&cut, &good[..good.len() / 2 / 512 * 512]).unwrap();
    let o = restore_to(&cut, &to);
    assert!(!o.status.success());
    assert!(!to.exists());
}
