//! Writes a consistent-snapshot TUF repository with this crate's writer, for the interop test
//! (`tests/interop/tuf_python.sh`: python-tuf's ngclient refreshes it).
//!
//! Usage: `tuf_write_repo OUT FILE...` writes `OUT/root.json` (version 1, to bootstrap from),
//! `OUT/repo/` (roots 1 and 2 — 2 rotates the root and online keys and is signed by the old and
//! new root keys —, targets listing each FILE by its base name, snapshot, timestamp, targets
//! under their hash-prefixed names) and `OUT/bad-repo/` (the same, but root 2 is signed by the
//! new root keys only, which a client must refuse). Expiry: 30 days from now.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use signet_crypto::SigningKey;
use signet_tuf::repo::{self, Publication, RoleKeys, RootKeys};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn role(keys: &[&SigningKey], threshold: u64) -> RoleKeys {
    RoleKeys::of(keys, threshold)
}

fn write(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    for (path, bytes) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().ok_or("no parent")?)?;
        std::fs::write(p, bytes)?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, inputs) = args
        .split_first()
        .ok_or("usage: tuf_write_repo OUT FILE...")?;
    let out = Path::new(out);
    let expires = time::OffsetDateTime::now_utc() + time::Duration::days(30);
    let new_key = SigningKey::generate_p256;
    let (r1, r2, r3, targets_key, online1) =
        (new_key()?, new_key()?, new_key()?, new_key()?, new_key()?);
    let (n1, n2, online2) = (new_key()?, new_key()?, new_key()?);

    let v1 = repo::root(
        &RootKeys {
            root: role(&[&r1, &r2, &r3], 2),
            targets: role(&[&targets_key], 1),
            snapshot: role(&[&online1], 1),
            timestamp: role(&[&online1], 1),
        },
        1,
        expires,
    )?;
    let v1 = repo::sign(&v1, &[&r1, &r3])?;
    let v2 = repo::root(
        &RootKeys {
            root: role(&[&n1, &n2], 2),
            targets: role(&[&targets_key], 1),
            snapshot: role(&[&online2], 1),
            timestamp: role(&[&online2], 1),
        },
        2,
        expires,
    )?;
    let only_new = repo::sign(&v2, &[&n1, &n2])?;
    let rotated = repo::add_signature(&repo::add_signature(&only_new, &r1)?, &r2)?;

    let mut contents = Vec::new();
    for input in inputs {
        let name = Path::new(input)
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("bad file name")?
            .to_string();
        contents.push((name, std::fs::read(input)?));
    }
    let listed: Vec<(&str, &[u8])> = contents
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let targets = repo::sign(&repo::targets(&listed, 1, expires), &[&targets_key])?;
    let meta = BTreeMap::from([(
        "targets.json".to_string(),
        repo::meta_file(1, Some(&targets)),
    )]);
    let snapshot = repo::sign(&repo::snapshot(meta, 1, expires), &[&online2])?;
    let timestamp = repo::sign(
        &repo::timestamp(repo::meta_file(1, Some(&snapshot)), 1, expires),
        &[&online2],
    )?;

    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("root.json"), &v1)?;
    for (dir, root2) in [("repo", &rotated), ("bad-repo", &only_new)] {
        let publication = Publication {
            roots: vec![&v1, root2],
            targets: vec![("targets", &targets)],
            snapshot: Some(&snapshot),
            timestamp: Some(&timestamp),
            files: listed.clone(),
        };
        write(&out.join(dir), &publication.files()?)?;
    }
    Ok(())
}
