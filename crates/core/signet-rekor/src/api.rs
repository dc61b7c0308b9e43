//! Rekor v1 wire types. Field order is Rekor's (alphabetical, from go-swagger models).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `LogEntry`: one key, the entry ID.
pub type LogEntry = BTreeMap<String, LogEntryAnon>;

/// `LogEntryAnon`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntryAnon {
    /// Base64 canonical body.
    pub body: String,
    /// Unix seconds.
    pub integrated_time: i64,
    /// Hex log ID.
    #[serde(rename = "logID")]
    pub log_id: String,
    /// Global index.
    pub log_index: i64,
    /// SET and inclusion proof.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
}

/// `LogEntryAnon.verification`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Inclusion proof against the latest checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inclusion_proof: Option<InclusionProof>,
    /// Base64 SET.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_entry_timestamp: Option<String>,
}

/// `InclusionProof`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// Signed checkpoint for `treeSize`/`rootHash`.
    pub checkpoint: String,
    /// Hex hashes, leaf to root.
    pub hashes: Vec<String>,
    /// Index within the tree.
    pub log_index: i64,
    /// Hex root.
    pub root_hash: String,
    /// Tree size.
    pub tree_size: i64,
}

/// `LogInfo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogInfo {
    /// The log's earlier, frozen shards, oldest first; `null` when there are none (Rekor emits
    /// the key either way).
    pub inactive_shards: Option<Vec<InactiveShardLogInfo>>,
    /// Hex root.
    pub root_hash: String,
    /// Signed checkpoint.
    pub signed_tree_head: String,
    /// Decimal tree ID.
    #[serde(rename = "treeID")]
    pub tree_id: String,
    /// Tree size.
    pub tree_size: i64,
}

/// `InactiveShardLogInfo`: a frozen shard of a sharded log, as `LogInfo.inactiveShards` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InactiveShardLogInfo {
    /// Hex root of the shard's (final) tree.
    pub root_hash: String,
    /// The shard's signed checkpoint, signed with the shard's key.
    pub signed_tree_head: String,
    /// Decimal tree ID of the shard.
    #[serde(rename = "treeID")]
    pub tree_id: String,
    /// Size of the shard's tree.
    pub tree_size: i64,
}

/// `ConsistencyProof`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsistencyProof {
    /// Hex hashes.
    pub hashes: Vec<String>,
    /// Hex root of the tree at `lastSize`.
    pub root_hash: String,
}

/// `SearchLogQuery`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchLogQuery {
    /// UUIDs or entry IDs.
    #[serde(
        default,
        rename = "entryUUIDs",
        skip_serializing_if = "Option::is_none"
    )]
    pub entry_uuids: Option<Vec<String>>,
    /// Global indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_indexes: Option<Vec<i64>>,
    /// Proposed entries, looked up by their canonical leaf hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<serde_json::Value>>,
}

/// `SearchIndex`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchIndex {
    /// Email SAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// URI SAN / subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Public key (x509 format: base64 of PEM key or certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<SearchKey>,
    /// `sha256:<hex>` or bare hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// `and` or `or` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

/// `SearchIndex.publicKey`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchKey {
    /// Only `x509` is supported.
    pub format: String,
    /// Base64 of the PEM.
    #[serde(default)]
    pub content: String,
}

/// `Error`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// HTTP status.
    pub code: u16,
    /// Message.
    pub message: String,
}
