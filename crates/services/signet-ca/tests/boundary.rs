//! The CA knows the CT log only through [`signet_ca::fulcio::CtSubmitter`]: nothing it links
//! (directly or through its dependencies, as recorded in the workspace's `Cargo.lock`) is a
//! log, its storage or an async runtime. The server wires the CT log in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

/// Package name → the names of the packages it depends on, from `Cargo.lock` (a name is the
/// first word of an entry: `"base64 0.22.1"` is `base64`).
fn lock_graph() -> BTreeMap<String, Vec<String>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../Cargo.lock");
    let text = std::fs::read_to_string(path).unwrap();
    let mut graph = BTreeMap::new();
    for block in text.split("[[package]]").skip(1) {
        let name = block
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .unwrap()
            .trim_matches('"')
            .to_string();
        let deps = block
            .split_once("dependencies = [")
            .map(|(_, rest)| rest.split(']').next().unwrap_or_default())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().trim_end_matches(',').strip_prefix('"'))
            .map(|d| {
                d.trim_end_matches('"')
                    .split(' ')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        graph
            .entry(name)
            .or_insert_with(Vec::new)
            .extend::<Vec<_>>(deps);
    }
    graph
}

#[test]
fn the_ca_links_no_log_no_sqlite_and_no_runtime() {
    let graph = lock_graph();
    assert!(graph.contains_key("signet-ct") && graph.contains_key("rusqlite"));
    let mut seen = BTreeSet::new();
    let mut todo = vec!["signet-ca".to_string()];
    while let Some(p) = todo.pop() {
        if seen.insert(p.clone()) {
            todo.extend(graph.get(&p).cloned().unwrap_or_default());
        }
    }
    for forbidden in ["signet-ct", "signet-log", "rusqlite", "tokio"] {
        assert!(
            !seen.contains(forbidden),
            "signet-ca depends on {forbidden} (through {:?})",
            graph
                .iter()
                .filter(|(p, d)| seen.contains(*p) && d.iter().any(|x| x == forbidden))
                .map(|(p, _)| p)
                .collect::<Vec<_>>()
        );
    }
}
