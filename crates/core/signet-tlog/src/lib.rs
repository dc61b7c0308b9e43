//! The transparency-log core shared by the verifier and the log server. No I/O.
//!
//! This crate owns:
//!
//! * RFC 6962 / RFC 9162 Merkle hashing ([`leaf_hash`], [`node_hash`], [`empty_root`]) and
//!   verification of inclusion and consistency proofs ([`verify_inclusion`],
//!   [`verify_consistency`]), bounded by [`signet_types::limits::MAX_PROOF_HASHES`].
//! * Proof construction for logs: hashes are kept in the *stored hash* layout of Go's
//!   `golang.org/x/mod/sumdb/tlog` ([`StoredIndex`]), behind the storage-agnostic [`HashStore`]
//!   trait, so that [`Tree`] computes any root, inclusion proof or consistency proof for any
//!   historical size from O(log n) hashes read in one batch. [`Frontier`] (the compact range of
//!   the whole tree) makes appends and the current root O(log n) without reads, and
//!   [`MerkleTree`] is the in-memory combination.
//! * C2SP signed notes ([`SignedNote`]) and checkpoints ([`Checkpoint`]), their verification
//!   ([`verify_note`], [`verify_checkpoint`], yielding the proof-carrying [`VerifiedNote`] and
//!   [`VerifiedCheckpoint`]) with Ed25519 (C2SP, Rekor v2) and Rekor v1 style ECDSA keys, and
//!   the matching signers for servers ([`sign_note`]).
//! * C2SP tlog-tiles ([`tiles`]): tile paths, entry bundles, and [`tiles::TileProver`], which
//!   computes roots, inclusion and consistency proofs from tiles alone (the log serves tiles with
//!   it, clients read a tiled log with it).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::string_slice,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
#![cfg_attr(
    test,
    allow(
        clippy::string_slice,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

mod error;
mod merkle;
mod note;
mod store;
pub mod tiles;
mod witness;

pub use error::TlogError;
pub use merkle::{
    empty_root, leaf_hash, node_hash, root_from_inclusion_proof, verify_consistency,
    verify_inclusion,
};
pub use note::{
    Checkpoint, EcdsaNoteSigner, EcdsaNoteVerifier, Ed25519NoteSigner, Ed25519NoteVerifier,
    NoteSignature, NoteSigner, NoteVerifier, SignedNote, VerifiedCheckpoint, VerifiedNote,
    checkpoint_verifier, ed25519_key_id, sign_note, verify_checkpoint, verify_note,
};
pub use store::{
    Frontier, HashStore, MemoryHashStore, MerkleTree, StoredIndex, Tree, stored_hashes_for_leaf,
};
pub use witness::{
    AddCheckpoint, CosignatureVerifier, Cosigner, MAX_PROOF_LINES, WitnessRefusal, Witnessed,
    check_add_checkpoint, cosigner_key_id, count_cosignatures, parse_tlog_size,
    witness_cosignature,
};
