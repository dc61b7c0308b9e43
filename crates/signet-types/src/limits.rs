//! Fixed budgets for attacker-controlled input. Every parser in signet checks against these.
//!
//! Each limit is far above anything the public-good Sigstore instance produces and far below what
//! would let a hostile input exhaust memory or CPU.

/// Largest bundle or trusted-root JSON document accepted (bytes). sigstore-go reads bundles whole;
/// real bundles are under 20 KiB, DSSE attestations reach a few hundred KiB (Rekor's public instance
/// caps attestations at 100 KB).
pub const MAX_JSON_DOCUMENT: usize = 32 * 1024 * 1024;

/// Deepest certificate chain accepted, leaf included. Fulcio chains are 2-3 deep; webpki's budget
/// and Go's x509 both stop well short of anything like this.
pub const MAX_CHAIN_DEPTH: usize = 8;

/// Most certificates accepted in one chain or trusted CA entry.
pub const MAX_CERTS_PER_CHAIN: usize = 16;

/// Largest single DER certificate (bytes).
pub const MAX_CERT_DER: usize = 64 * 1024;

/// Most transparency-log entries in a bundle (sigstore-go `internal/limits`: 32).
pub const MAX_TLOG_ENTRIES: usize = 32;

/// Most RFC 3161 timestamps in a bundle (sigstore-go `internal/limits`: 32).
pub const MAX_TIMESTAMPS: usize = 32;

/// Most hashes in an inclusion or consistency proof. A tree of 2^64 leaves needs 64 (plus one
/// for consistency proofs); anything longer is malformed.
pub const MAX_PROOF_HASHES: usize = 65;

/// Most signature lines on a signed note (C2SP signed-note: verifiers MUST accept at least 16).
pub const MAX_NOTE_SIGNATURES: usize = 100;

/// Largest signed note (checkpoint) text, bytes.
pub const MAX_NOTE_BYTES: usize = 1024 * 1024;

/// Most embedded SCTs read from one certificate.
pub const MAX_SCTS: usize = 64;

/// Most entries of each kind in a trusted root.
pub const MAX_TRUST_ENTRIES: usize = 256;
