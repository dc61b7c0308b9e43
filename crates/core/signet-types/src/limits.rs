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

/// Largest key file read (bytes): a PEM public or private key. An RSA-16384 key in PEM is under
/// 4 KiB.
pub const MAX_KEY_FILE: u64 = 64 * 1024;

/// Largest detached signature or certificate file read (bytes): a `.sig` (base64 of a DER
/// signature, under 1 KiB) or a `.cert` / certificate chain PEM (a few KiB).
pub const MAX_MATERIAL_FILE: u64 = 1024 * 1024;

/// A kind of file signet reads whole into memory, and the most bytes it reads of one. Every such
/// file goes through one capped reader (`signet_crypto::read_capped`), which stops after
/// `max_bytes + 1` bytes whatever the file claims to be (so `/dev/zero` or a FIFO cannot exhaust
/// memory) and names the file, its kind and the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileLimit {
    /// What the file is, as error messages name it (`bundle`, `trusted root`, `SHA256SUMS`).
    pub what: &'static str,
    /// The most bytes accepted.
    pub max_bytes: u64,
}

impl FileLimit {
    /// A limit of `max_bytes` for files of kind `what`.
    #[must_use]
    pub const fn new(what: &'static str, max_bytes: u64) -> Self {
        Self { what, max_bytes }
    }

    /// A limit of `max_bytes` taken from a parser's `usize` limit (widening is lossless on every
    /// supported target), so the file limit and the parser's cannot drift apart.
    #[must_use]
    pub const fn from_usize(what: &'static str, max_bytes: usize) -> Self {
        Self::new(what, max_bytes as u64)
    }

    /// A private key file (PKCS#8 PEM or DER).
    pub const PRIVATE_KEY: Self = Self::new("private key", MAX_KEY_FILE);
}

/// `n` bytes the way limits are written in documentation: `32 MiB`, `64 KiB`, or `100 bytes`.
#[must_use]
pub fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * 1024 * 1024;
    if n >= GIB && n.is_multiple_of(GIB) {
        format!("{} GiB", n / GIB)
    } else if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_documented() {
        assert_eq!(human_bytes(32 * 1024 * 1024), "32 MiB");
        assert_eq!(human_bytes(64 * 1024), "64 KiB");
        assert_eq!(human_bytes(1 << 30), "1 GiB");
        assert_eq!(human_bytes(1025), "1025 bytes");
        assert_eq!(human_bytes(0), "0 bytes");
    }
}
