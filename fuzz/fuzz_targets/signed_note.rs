#![no_main]
//! Signed-note parsing must never panic, and must round-trip what it accepts.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(note) = signet_tlog::SignedNote::parse(text)
    {
        let again = signet_tlog::SignedNote::parse(&note.encode()).expect("re-parse");
        assert_eq!(again, note);
    }
});
