//! The log's metrics, through the [`metrics`] facade (recorded only when the process installed
//! a recorder, as `signet server` does for `/metrics`). Each is labelled `log` with the tree's
//! checkpoint origin: one series per log, never per request.

/// Entries made durable (counter).
pub const APPENDS: &str = "signet_log_appends_total";
/// Entries per committed batch (histogram).
pub const BATCH_SIZE: &str = "signet_log_batch_size";
/// Seconds a batch took to be made durable by the store, failed commits included (histogram).
pub const COMMIT_SECONDS: &str = "signet_log_commit_duration_seconds";
/// The committed tree size (gauge).
pub const TREE_SIZE: &str = "signet_log_tree_size";

/// Records a durable batch of `entries` leaving the tree at `size`.
pub(crate) fn committed(log: &str, entries: usize, size: u64) {
    metrics::counter!(APPENDS, "log" => log.to_string())
        .increment(u64::try_from(entries).unwrap_or(u64::MAX));
    metrics::gauge!(TREE_SIZE, "log" => log.to_string()).set(size as f64);
}
