//! Our proofs against an independent oracle: the Python RFC 6962 reference in
//! testdata/rekor-vectors/merkle_ref.py (written from the RFC's recursive definitions), whose
//! outputs are pinned in testdata/oracle_digests.txt by testdata/gen_oracle.py. Every tree size
//! 1..=300, every leaf index, every older size; plus bit-flip negatives.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use signet_crypto::Sha256Stream;
use signet_tlog::{MerkleTree, leaf_hash, verify_consistency, verify_inclusion};
use signet_types::{LogIndex, Sha256Hash, TreeSize};

const FIXTURE: &str = include_str!("../testdata/oracle_digests.txt");

fn flip(h: &Sha256Hash, bit: usize) -> Sha256Hash {
    let mut x = *h;
    x.0[bit / 8 % 32] ^= 1 << (bit % 8);
    x
}

#[test]
fn proofs_match_python_reference_for_every_size_up_to_300() {
    let leaves: Vec<Sha256Hash> = (0..300)
        .map(|i: u32| leaf_hash(i.to_string().as_bytes()))
        .collect();
    let mut tree = MerkleTree::new();
    for l in &leaves {
        tree.append(*l).unwrap();
    }
    let mut lines = 0;
    for line in FIXTURE.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let n: u64 = f[0].parse().unwrap();
        let size = TreeSize(n);
        let root = tree.root(size).unwrap();
        assert_eq!(root.to_hex(), f[1], "root of size {n}");

        let mut incl = Sha256Stream::new();
        for m in 0..n {
            let (index, leaf) = (LogIndex(m), &leaves[m as usize]);
            let p = tree.inclusion_proof(index, size).unwrap();
            verify_inclusion(index, size, leaf, &p, &root).unwrap();
            // A single-bit change in any proof element, the leaf, the root or the index fails.
            if m % 7 == 0 {
                for j in 0..p.len() {
                    let mut bad = p.clone();
                    bad[j] = flip(&bad[j], j * 13 + m as usize);
                    assert!(verify_inclusion(index, size, leaf, &bad, &root).is_err());
                }
                assert!(verify_inclusion(index, size, &flip(leaf, 3), &p, &root).is_err());
                assert!(verify_inclusion(index, size, leaf, &p, &flip(&root, 9)).is_err());
                if n > 1 {
                    let other = LogIndex((m + 1) % n);
                    assert!(verify_inclusion(other, size, leaf, &p, &root).is_err());
                }
            }
            for h in &p {
                incl.update(&h.0);
            }
        }
        assert_eq!(incl.finish().to_hex(), f[2], "inclusion proofs of size {n}");

        let mut cons = Sha256Stream::new();
        for m in 1..=n {
            let s1 = TreeSize(m);
            let p = tree.consistency_proof(s1, size).unwrap();
            let r1 = tree.root(s1).unwrap();
            verify_consistency(s1, size, &p, &r1, &root).unwrap();
            if m % 5 == 0 && !p.is_empty() {
                for j in 0..p.len() {
                    let mut bad = p.clone();
                    bad[j] = flip(&bad[j], j * 7 + m as usize);
                    assert!(verify_consistency(s1, size, &bad, &r1, &root).is_err());
                }
                assert!(verify_consistency(s1, size, &p, &flip(&r1, 1), &root).is_err());
                assert!(verify_consistency(s1, size, &p, &r1, &flip(&root, 2)).is_err());
                let mut short = p.clone();
                short.pop();
                assert!(verify_consistency(s1, size, &short, &r1, &root).is_err());
                let mut long = p.clone();
                long.push(root);
                assert!(verify_consistency(s1, size, &long, &r1, &root).is_err());
            }
            for h in &p {
                cons.update(&h.0);
            }
        }
        assert_eq!(
            cons.finish().to_hex(),
            f[3],
            "consistency proofs into size {n}"
        );
        lines += 1;
    }
    assert_eq!(lines, 300);
}

/// The fixture is reproducible: regenerating it with the Python oracle gives the same bytes.
#[test]
fn fixture_regenerates_from_the_python_oracle() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let out = match Command::new("python3")
        .arg("gen_oracle.py")
        .current_dir(&dir)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipping: python3 not runnable ({e})");
            return;
        }
    };
    assert!(
        out.status.success(),
        "gen_oracle.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8(out.stdout).unwrap() == FIXTURE,
        "testdata/oracle_digests.txt is stale: rerun gen_oracle.py"
    );
}
