//! The transparency-log core shared by the verifier and the log server.
//!
//! * RFC 6962 / RFC 9162 Merkle hashing ([`leaf_hash`], [`node_hash`]), inclusion and
//!   consistency proof verification, and proof construction over any [`HashStore`] that keeps
//!   the log's *stored hashes* (the `golang.org/x/mod/sumdb/tlog` layout: every complete subtree,
//!   indexed by level and position, so that any root or proof for any historical size needs only
//!   O(log n) reads).
//! * C2SP signed notes and checkpoints ([`SignedNote`], [`Checkpoint`]) with Ed25519 and ECDSA
//!   (Rekor v1) verifiers and signers, and the proof-carrying [`VerifiedCheckpoint`].
//!
//! No I/O: storage is behind [`HashStore`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod merkle;
mod note;
mod store;

pub use error::TlogError;
pub use merkle::{
    empty_root, leaf_hash, node_hash, root_from_inclusion_proof, verify_consistency,
    verify_inclusion,
};
pub use note::{
    Checkpoint, EcdsaNoteSigner, EcdsaNoteVerifier, Ed25519NoteVerifier, NoteSignature, NoteSigner,
    NoteVerifier, SignedNote, VerifiedCheckpoint, ed25519_key_id, sign_note, verify_checkpoint,
    verify_note,
};
pub use store::{HashStore, MemoryHashStore, StoredIndex, Tree, stored_hashes_for_leaf};
