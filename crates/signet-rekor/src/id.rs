use signet_types::Sha256Hash;

use crate::RekorError;

/// RFC 6962 leaf hash of a canonical body: `SHA-256(0x00 || body)`.
pub fn leaf_hash(body: &[u8]) -> Sha256Hash {
    let mut buf = Vec::with_capacity(body.len() + 1);
    buf.push(0);
    buf.extend_from_slice(body);
    signet_crypto::sha256(&buf)
}

/// Rekor UUID: 64 lower-case hex characters of the leaf hash.
pub fn entry_uuid(body: &[u8]) -> String {
    leaf_hash(body).to_hex()
}

/// Rekor entry ID: 16 hex digits of the tree ID followed by the UUID.
pub fn entry_id(tree_id: u64, uuid: &str) -> String {
    format!("{tree_id:016x}{uuid}")
}

/// A parsed UUID or entry ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRef {
    /// Tree ID, when the string was an 80-character entry ID.
    pub tree_id: Option<u64>,
    /// The leaf hash.
    pub uuid: Sha256Hash,
}

impl EntryRef {
    /// Parses 64 hex characters (UUID) or 80 (tree ID + UUID).
    pub fn parse(s: &str) -> Result<Self, RekorError> {
        let bad = || RekorError::BadId(s.chars().take(100).collect());
        match s.len() {
            64 => Ok(Self {
                tree_id: None,
                uuid: Sha256Hash::from_hex(s).map_err(|_| bad())?,
            }),
            80 => Ok(Self {
                tree_id: Some(u64::from_str_radix(&s[..16], 16).map_err(|_| bad())?),
                uuid: Sha256Hash::from_hex(&s[16..]).map_err(|_| bad())?,
            }),
            _ => Err(bad()),
        }
    }
}
