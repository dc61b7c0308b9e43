//! Our proofs against an independent oracle: the Python RFC 6962 reference in
//! shared/vectors/rekor/merkle_ref.py, whose outputs are pinned in testdata/oracle_digests.txt
//! (regenerate with testdata/gen_oracle.py). Every tree size 1..=300, every leaf index, every
//! older size.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use signet_crypto::Sha256Stream;
use signet_tlog::{
    MemoryHashStore, Tree, leaf_hash, stored_hashes_for_leaf, verify_consistency, verify_inclusion,
};
use signet_types::{LogIndex, Sha256Hash, TreeSize};

fn flip(h: &Sha256Hash, bit: usize) -> Sha256Hash {
    let mut x = *h;
    x.0[bit / 8 % 32] ^= 1 << (bit % 8);
    x
}

#[test]
fn proofs_match_python_reference_for_every_size_up_to_300() {
    let text = include_str!("../testdata/oracle_digests.txt");
    let leaves: Vec<Sha256Hash> = (0..300)
        .map(|i: u32| leaf_hash(i.to_string().as_bytes()))
        .collect();
    let mut store = MemoryHashStore::new();
    for (i, l) in leaves.iter().enumerate() {
        let new = stored_hashes_for_leaf(i as u64, *l, &store).unwrap();
        store.extend(new);
    }
    let tree = Tree::new(&store);
    let mut lines = 0;
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let n: u64 = f[0].parse().unwrap();
        let size = TreeSize(n);
        let root = tree.root(size).unwrap();
        assert_eq!(root.to_hex(), f[1], "root of size {n}");

        let mut incl = Sha256Stream::new();
        for m in 0..n {
            let p = tree.inclusion_proof(LogIndex(m), size).unwrap();
            verify_inclusion(LogIndex(m), size, &leaves[m as usize], &p, &root).unwrap();
            // Any single-bit change in any proof element, the leaf or the root must be rejected.
            if m % 7 == 0 {
                for (j, _) in p.iter().enumerate() {
                    let mut bad = p.clone();
                    bad[j] = flip(&bad[j], j * 13 + m as usize);
                    assert!(
                        verify_inclusion(LogIndex(m), size, &leaves[m as usize], &bad, &root)
                            .is_err()
                    );
                }
                assert!(
                    verify_inclusion(LogIndex(m), size, &flip(&leaves[m as usize], 3), &p, &root)
                        .is_err()
                );
                assert!(
                    verify_inclusion(LogIndex(m), size, &leaves[m as usize], &p, &flip(&root, 9))
                        .is_err()
                );
                if n > 1 {
                    assert!(
                        verify_inclusion(
                            LogIndex((m + 1) % n),
                            size,
                            &leaves[m as usize],
                            &p,
                            &root
                        )
                        .is_err()
                    );
                }
            }
            for h in &p {
                incl.update(&h.0);
            }
        }
        assert_eq!(incl.finish().to_hex(), f[2], "inclusion proofs of size {n}");

        let mut cons = Sha256Stream::new();
        for m in 1..=n {
            let p = tree.consistency_proof(TreeSize(m), size).unwrap();
            let r1 = tree.root(TreeSize(m)).unwrap();
            verify_consistency(TreeSize(m), size, &p, &r1, &root).unwrap();
            if m % 5 == 0 && !p.is_empty() {
                let mut bad = p.clone();
                bad[0] = flip(&bad[0], m as usize);
                assert!(verify_consistency(TreeSize(m), size, &bad, &r1, &root).is_err());
                assert!(verify_consistency(TreeSize(m), size, &p, &flip(&r1, 1), &root).is_err());
                let mut short = p.clone();
                short.pop();
                assert!(verify_consistency(TreeSize(m), size, &short, &r1, &root).is_err());
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
