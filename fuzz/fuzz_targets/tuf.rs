#![no_main]
//! TUF metadata (`signet_tuf`): every role's envelope parser, and the client state machine fed
//! the bytes at each step. Oracle: metadata is accepted only when its canonical `signed` is the
//! one the real Sigstore keys signed (signatures cannot be forged by the fuzzer).
use libfuzzer_sys::fuzz_target;
use signet_tuf::{Root, Signed, Snapshot, Targets, Timestamp, Trusted};
use time::macros::datetime;

macro_rules! meta {
    ($f:literal) => {
        include_bytes!(concat!(
            "../../crates/core/signet-tuf/testdata/sigstore-root-signing/metadata/",
            $f
        ))
    };
}
const ROOT14: &[u8] = meta!("root_history/14.root.json");
const ROOT15: &[u8] = meta!("root_history/15.root.json");
const TIMESTAMP: &[u8] = meta!("timestamp.json");
const SNAPSHOT: &[u8] = meta!("snapshot.json");

fn same_signed<T: signet_tuf::Metadata>(a: &[u8], b: &[u8]) -> bool {
    match (Signed::<T>::from_bytes(a), Signed::<T>::from_bytes(b)) {
        (Ok(a), Ok(b)) => a.canonical_signed() == b.canonical_signed(),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = Signed::<Root>::from_bytes(data);
    let _ = Signed::<Timestamp>::from_bytes(data);
    let _ = Signed::<Snapshot>::from_bytes(data);
    let _ = Signed::<Targets>::from_bytes(data);
    let now = datetime!(2026-08-22 00:00:00 UTC);
    let _ = Trusted::new(data, now);

    let Ok(mut t) = Trusted::new(ROOT14, now) else {
        panic!("root 14 loads")
    };
    if t.update_root(data).is_ok() {
        assert!(same_signed::<Root>(data, ROOT15), "a root not signed by Sigstore was accepted");
    }
    let Ok(mut t) = Trusted::new(ROOT15, now) else {
        panic!("root 15 loads")
    };
    if t.update_timestamp(data).is_ok() {
        assert!(same_signed::<Timestamp>(data, TIMESTAMP), "forged timestamp accepted");
        if t.update_snapshot(SNAPSHOT).is_err() {
            panic!("the real snapshot matches the real timestamp");
        }
    } else if t.update_timestamp(TIMESTAMP).is_ok() && t.update_snapshot(data).is_ok() {
        assert!(same_signed::<Snapshot>(data, SNAPSHOT), "forged snapshot accepted");
        let _ = t.update_targets(data);
    }
});
