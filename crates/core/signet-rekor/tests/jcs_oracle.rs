//! RFC 8785 canonicalization against an independent oracle (Python `rfc8785`), see
//! testdata/README.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn canonical_json_matches_python_rfc8785() {
    let mut n = 0;
    for line in include_str!("../testdata/jcs_vectors.jsonl").lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let input: serde_json::Value = serde_json::from_str(v["input"].as_str().unwrap()).unwrap();
        let got = signet_rekor::canonical_json(&input).unwrap();
        assert_eq!(
            String::from_utf8(got).unwrap(),
            v["canonical"].as_str().unwrap(),
            "input {}",
            v["input"]
        );
        n += 1;
    }
    assert!(n >= 40);
}
