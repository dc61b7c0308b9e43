//! Untrusted input never panics: arbitrary and mutated signed notes, checkpoints and verifier
//! keys, and arbitrary indexes, sizes and proofs for the Merkle verifiers and proof builders.
//! Results may be errors; valid input keeps verifying.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use signet_tlog::{
    Checkpoint, Ed25519NoteSigner, Ed25519NoteVerifier, MemoryHashStore, MerkleTree, NoteSigner,
    NoteVerifier, SignedNote, Tree, leaf_hash, root_from_inclusion_proof, sign_note,
    verify_checkpoint, verify_consistency, verify_inclusion,
};
use signet_types::{LogIndex, Sha256Hash, TreeSize, limits};

fn signer() -> Ed25519NoteSigner {
    Ed25519NoteSigner::from_seed("log.example", &[7; 32]).unwrap()
}

/// A valid signed checkpoint with an extension line.
fn valid_note() -> String {
    let cp = Checkpoint {
        origin: "log.example - 1234".to_string(),
        size: TreeSize(42),
        root_hash: leaf_hash(b"root"),
        extensions: vec!["Timestamp: 1700000000000000000".to_string()],
    };
    let s = signer();
    sign_note(&cp.to_text(), &[&s as &dyn NoteSigner]).unwrap()
}

/// Feeds a string to every note parser; nothing may panic.
fn parse_all(s: &str) {
    let s1 = signer();
    let v = s1.verifier();
    let _ = SignedNote::parse(s).map(|n| n.encode());
    let _ = Checkpoint::parse(s).map(|c| c.to_text());
    let _ = verify_checkpoint(s, &[&v as &dyn NoteVerifier]);
    let _ = Ed25519NoteVerifier::from_vkey(s);
}

/// Sizes spread over the whole `u64` range, with extra weight at the edges.
fn size() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        0..70u64,
        (u64::MAX - 70)..=u64::MAX,
        ((1u64 << 63) - 35)..((1u64 << 63) + 35),
    ]
}

fn hashes(max: usize) -> impl Strategy<Value = Vec<Sha256Hash>> {
    prop::collection::vec(any::<[u8; 32]>().prop_map(Sha256Hash), 0..=max)
}

#[test]
fn valid_note_round_trips() {
    let note = valid_note();
    let v = signer().verifier();
    let cp = verify_checkpoint(&note, &[&v as &dyn NoteVerifier]).unwrap();
    assert_eq!(cp.size(), TreeSize(42));
    assert_eq!(SignedNote::parse(&note).unwrap().encode(), note);
    assert!(Ed25519NoteVerifier::from_vkey(&v.vkey()).is_ok());
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,300}") {
        parse_all(&s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        parse_all(&String::from_utf8_lossy(&bytes));
    }

    /// Note-shaped text: lines of digits, base64 and em-dash signature lines.
    #[test]
    fn note_shaped_strings_never_panic(
        origin in "[a-z. -]{0,12}",
        size in "[0-9+-]{0,22}",
        root in "[A-Za-z0-9+/=]{0,48}",
        ext in prop::collection::vec("[A-Za-z: 0-9]{0,12}", 0..3),
        sigs in prop::collection::vec(("[a-z.+ ]{0,8}", "[A-Za-z0-9+/=]{0,40}"), 0..4),
        blank in any::<bool>(),
    ) {
        let mut s = format!("{origin}\n{size}\n{root}\n");
        for e in &ext {
            s.push_str(e);
            s.push('\n');
        }
        if blank {
            s.push('\n');
        }
        for (name, sig) in &sigs {
            s.push_str(&format!("\u{2014} {name} {sig}\n"));
        }
        parse_all(&s);
    }

    /// A valid signed checkpoint with characters replaced, inserted or removed anywhere
    /// (including multi-byte ones next to the em dash and the blank line).
    #[test]
    fn mutated_valid_notes_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..3u8, any::<char>()), 1..4),
    ) {
        let mut chars: Vec<char> = valid_note().chars().collect();
        for (at, op, c) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 if i < chars.len() => chars[i] = c,
                1 => chars.insert(i, c),
                _ if i < chars.len() => { chars.remove(i); }
                _ => chars.push(c),
            }
        }
        parse_all(&chars.into_iter().collect::<String>());
    }

    /// Any index, size and proof (up to one past the length limit): an answer, never a panic.
    #[test]
    fn inclusion_verifier_never_panics(
        index in size(), size in size(), leaf in any::<[u8; 32]>(), root in any::<[u8; 32]>(),
        proof in hashes(limits::MAX_PROOF_HASHES + 1),
    ) {
        let (leaf, root) = (Sha256Hash(leaf), Sha256Hash(root));
        let _ = root_from_inclusion_proof(LogIndex(index), TreeSize(size), &leaf, &proof);
        let _ = verify_inclusion(LogIndex(index), TreeSize(size), &leaf, &proof, &root);
    }

    #[test]
    fn consistency_verifier_never_panics(
        size1 in size(), size2 in size(), root1 in any::<[u8; 32]>(), root2 in any::<[u8; 32]>(),
        proof in hashes(limits::MAX_PROOF_HASHES + 1),
    ) {
        let (r1, r2) = (Sha256Hash(root1), Sha256Hash(root2));
        let _ = verify_consistency(TreeSize(size1), TreeSize(size2), &proof, &r1, &r2);
        let _ = verify_consistency(TreeSize(size2), TreeSize(size1), &proof, &r2, &r1);
    }

    /// Proof construction over a store that lacks the hashes: errors for any sizes.
    #[test]
    fn proof_builders_never_panic(index in size(), size1 in size(), size2 in size()) {
        let store = MemoryHashStore::new();
        let tree = Tree::new(&store);
        let _ = tree.root(TreeSize(size2));
        let _ = tree.inclusion_proof(LogIndex(index), TreeSize(size2));
        let _ = tree.consistency_proof(TreeSize(size1), TreeSize(size2));
    }

    /// Real proofs from a small tree verify, and any single-bit change to the proof is refused.
    #[test]
    fn real_proofs_verify_and_tampering_is_refused(
        n in 1..40u64, i in any::<prop::sample::Index>(), j in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let mut tree = MerkleTree::new();
        for k in 0..n {
            tree.append(leaf_hash(&k.to_be_bytes())).unwrap();
        }
        let index = i.index(n as usize) as u64;
        let size1 = j.index(n as usize) as u64 + 1;
        let root = tree.current_root();
        let leaf = tree.leaf(LogIndex(index)).unwrap();
        let mut proof = tree.inclusion_proof(LogIndex(index), TreeSize(n)).unwrap();
        prop_assert!(verify_inclusion(LogIndex(index), TreeSize(n), &leaf, &proof, &root).is_ok());
        let root1 = tree.root(TreeSize(size1)).unwrap();
        let mut cproof = tree.consistency_proof(TreeSize(size1), TreeSize(n)).unwrap();
        prop_assert!(verify_consistency(TreeSize(size1), TreeSize(n), &cproof, &root1, &root).is_ok());
        if !proof.is_empty() {
            let bit = flip.index(proof.len() * 256);
            proof[bit / 256].0[bit % 256 / 8] ^= 1 << (bit % 8);
            prop_assert!(verify_inclusion(LogIndex(index), TreeSize(n), &leaf, &proof, &root).is_err());
        }
        if !cproof.is_empty() {
            let bit = flip.index(cproof.len() * 256);
            cproof[bit / 256].0[bit % 256 / 8] ^= 1 << (bit % 8);
            prop_assert!(verify_consistency(TreeSize(size1), TreeSize(n), &cproof, &root1, &root).is_err());
        }
    }
}
