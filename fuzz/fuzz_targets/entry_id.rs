#![no_main]
//! Rekor UUIDs (64 hex) and entry IDs (16 hex tree ID + UUID), as `GET
//! /api/v1/log/entries/{id}` and the client parse them: never a panic, and what parses is exactly
//! the hex form (modulo case) the log prints.
use libfuzzer_sys::fuzz_target;
use signet_rekor::{EntryRef, entry_id};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(r) = EntryRef::parse(s) else { return };
    let printed = match r.tree_id {
        Some(tree) => entry_id(tree, &r.uuid.to_hex()),
        None => r.uuid.to_hex(),
    };
    assert_eq!(
        printed,
        s.to_ascii_lowercase(),
        "an accepted ID is its own printed form"
    );
    assert_eq!(
        EntryRef::parse(&printed).ok(),
        Some(r),
        "printed form parses back"
    );
});
