//! Every checkpoint in the sigstore-conformance `bundle-verify` cases
//! (testdata/sigstore-conformance/assets/bundle-verify), verified with the log key from the case's
//! trusted_root.json (or the production trusted root): the checkpoint-specific `_fail` cases must
//! be rejected for their intended reason, every other checkpoint must verify, match its inclusion
//! proof, and (unless the case corrupts the entry or the proof) prove the entry's inclusion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use signet_crypto::{KeyAlgorithm, PublicKey};
use signet_tlog::{
    Checkpoint, EcdsaNoteVerifier, Ed25519NoteVerifier, NoteVerifier, SignedNote, TlogError,
    VerifiedCheckpoint, leaf_hash, verify_checkpoint,
};
use signet_types::{LogIndex, Sha256Hash, TreeSize, b64};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../testdata/sigstore-conformance")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One tlog entry of one case, with the log that the trusted root says produced it.
struct Entry {
    entry: Value,
    log: Option<Value>,
}

impl Entry {
    fn proof(&self) -> &Value {
        &self.entry["inclusionProof"]
    }
    fn note(&self) -> &str {
        self.proof()["checkpoint"]["envelope"].as_str().unwrap()
    }
    fn host(&self) -> String {
        let url = self.log.as_ref().unwrap()["baseUrl"].as_str().unwrap();
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        rest.split('/').next().unwrap().to_string()
    }
    fn key(&self) -> PublicKey {
        let raw = self.log.as_ref().unwrap()["publicKey"]["rawBytes"]
            .as_str()
            .unwrap();
        PublicKey::from_spki_der(&b64::decode(raw).unwrap()).unwrap()
    }
    /// What a bundle verifier knows: the key, and the log's host from its URL. Ed25519 logs
    /// (C2SP, Rekor v2) name their key with the origin (= host); Rekor v1 logs sign with the host
    /// as name but use "<host> - <tree ID>" as origin, so match those by key hint alone.
    fn verifier(&self) -> Box<dyn NoteVerifier> {
        let key = self.key();
        match key.algorithm() {
            KeyAlgorithm::Ed25519 => {
                Box::new(Ed25519NoteVerifier::new(&self.host(), &key).unwrap())
            }
            _ => Box::new(EcdsaNoteVerifier::any_name(key)),
        }
    }
    fn verify(&self) -> Result<VerifiedCheckpoint, TlogError> {
        verify_checkpoint(self.note(), &[self.verifier().as_ref()])
    }
    fn proof_root(&self) -> Sha256Hash {
        let r = b64::decode(self.proof()["rootHash"].as_str().unwrap()).unwrap();
        Sha256Hash::from_slice(&r).unwrap()
    }
    fn proof_size(&self) -> TreeSize {
        TreeSize(self.proof()["treeSize"].as_str().unwrap().parse().unwrap())
    }
    fn prove_inclusion(&self, cp: &VerifiedCheckpoint) -> Result<(), TlogError> {
        let body = b64::decode(self.entry["canonicalizedBody"].as_str().unwrap()).unwrap();
        let index = LogIndex(self.proof()["logIndex"].as_str().unwrap().parse().unwrap());
        let hashes: Vec<Sha256Hash> = self.proof()["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| Sha256Hash::from_slice(&b64::decode(h.as_str().unwrap()).unwrap()).unwrap())
            .collect();
        cp.verify_inclusion(index, &leaf_hash(&body), &hashes)
    }
}

/// Every tlog entry carrying a checkpoint, by case name.
fn entries() -> BTreeMap<String, Entry> {
    let production = read_json(&shared().join("default-trust/production_trusted_root.json"));
    let mut out = BTreeMap::new();
    let dir = shared().join("assets/bundle-verify");
    for case in std::fs::read_dir(&dir).unwrap() {
        let case = case.unwrap().path();
        let Ok(text) = std::fs::read_to_string(case.join("bundle.sigstore.json")) else {
            continue;
        };
        let Ok(bundle) = serde_json::from_str::<Value>(&text) else {
            continue; // bundle-malformed-json_fail
        };
        let root = if case.join("trusted_root.json").exists() {
            read_json(&case.join("trusted_root.json"))
        } else {
            production.clone()
        };
        let name = case.file_name().unwrap().to_str().unwrap().to_string();
        let tlog_entries = bundle["verificationMaterial"]["tlogEntries"].as_array();
        for entry in tlog_entries.into_iter().flatten() {
            if entry["inclusionProof"]["checkpoint"]["envelope"].is_null() {
                continue;
            }
            let log = root["tlogs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["logId"]["keyId"] == entry["logId"]["keyId"])
                .cloned();
            let prev = out.insert(
                name.clone(),
                Entry {
                    entry: entry.clone(),
                    log,
                },
            );
            assert!(prev.is_none(), "{name}: more than one checkpoint");
        }
    }
    out
}

/// Cases whose checkpoint must be rejected, with the reason.
fn expected_rejection(case: &str) -> Option<fn(&TlogError) -> bool> {
    Some(match case {
        // The key hint byte was changed: no line is from the log's key.
        "checkpoint-bad-keyhint_fail" => |e| *e == TlogError::NoVerifiedSignature,
        // A signature byte was changed.
        "invalid-checkpoint-signature_fail" => |e| matches!(e, TlogError::BadSignature { .. }),
        // The signature block is empty.
        "rekor2-checkpoint-missing-log-signature_fail" => {
            |e| matches!(e, TlogError::MalformedNote { .. })
        }
        // A text line was deleted without re-signing; the text is also no checkpoint (below).
        "rekor2-checkpoint-missing-origin_fail"
        | "rekor2-checkpoint-missing-root-hash_fail"
        | "rekor2-checkpoint-missing-size_fail" => |e| matches!(e, TlogError::BadSignature { .. }),
        // Origin and key name were changed to another host: the (name, hint) pair is unknown.
        "rekor2-checkpoint-no-matching-signature_fail" => |e| *e == TlogError::NoVerifiedSignature,
        _ => return None,
    })
}

/// Cases that alter the entry or the proof (not the checkpoint): the checkpoint verifies and
/// matches the proof, but the proof does not lead to it.
const INCLUSION_FAILS: [&str; 3] = [
    "bundle-invalid-base64-signature_fail",
    "incorrect-public-key_fail",
    "inclusion-proof-corrupted-hash_fail",
];

#[test]
fn conformance_checkpoints() {
    let entries = entries();
    assert!(
        entries.len() >= 60,
        "found only {} checkpoints",
        entries.len()
    );
    let mut verified = 0;
    for (name, e) in &entries {
        if e.log.is_none() {
            // A staging bundle checked against the production root: the log is unknown.
            assert_eq!(name, "bundle-from-wrong-instance_fail");
            continue;
        }
        let result = e.verify();
        if let Some(reason) = expected_rejection(name) {
            let err = result.err().unwrap_or_else(|| panic!("{name}: accepted"));
            assert!(
                reason(&err),
                "{name}: rejected for the wrong reason: {err:?}"
            );
            continue;
        }
        let cp = result.unwrap_or_else(|err| panic!("{name}: {err:?}"));
        verified += 1;
        // Real notes round-trip byte for byte.
        assert_eq!(
            SignedNote::parse(e.note()).unwrap().encode(),
            e.note(),
            "{name}"
        );
        // Only the log's own line counts; witness cosignatures and other keys are ignored.
        assert_eq!(cp.note().verified_signatures().len(), 1, "{name}");
        if name == "checkpoint-wrong-roothash_fail" {
            // Self-consistent, but for another tree than the bundle's proof.
            assert_ne!(*cp.root_hash(), e.proof_root(), "{name}");
            assert!(e.prove_inclusion(&cp).is_err(), "{name}");
            continue;
        }
        assert_eq!(cp.size(), e.proof_size(), "{name}");
        assert_eq!(*cp.root_hash(), e.proof_root(), "{name}");
        let inclusion = e.prove_inclusion(&cp);
        if INCLUSION_FAILS.contains(&name.as_str()) {
            assert_eq!(inclusion, Err(TlogError::RootMismatch), "{name}");
        } else {
            inclusion.unwrap_or_else(|err| panic!("{name}: inclusion: {err:?}"));
        }
        // Rekor v1 logs also verify when the verifier knows the host that names the key.
        if e.key().algorithm() != KeyAlgorithm::Ed25519 {
            let host = e.host();
            assert!(cp.origin().starts_with(&format!("{host} - ")), "{name}");
            verify_checkpoint(e.note(), &[&EcdsaNoteVerifier::new(&host, e.key())])
                .unwrap_or_else(|err| panic!("{name}: by host name: {err:?}"));
        } else {
            assert_eq!(cp.origin(), e.host(), "{name}");
        }
    }
    assert!(verified >= 50, "only {verified} checkpoints verified");
}

/// The edited checkpoint texts are also refused by the checkpoint parser on its own.
#[test]
fn edited_checkpoint_texts_do_not_parse() {
    let entries = entries();
    for case in [
        "rekor2-checkpoint-missing-origin_fail",
        "rekor2-checkpoint-missing-root-hash_fail",
        "rekor2-checkpoint-missing-size_fail",
    ] {
        let note = SignedNote::parse(entries[case].note()).unwrap();
        assert!(
            matches!(
                Checkpoint::parse(&note.text),
                Err(TlogError::MalformedCheckpoint { .. })
            ),
            "{case}"
        );
    }
}

/// Matching is by (name, key hint): a second line with the log's name but another key, and
/// witness lines before the log's, are ignored; a hint-only matcher is not needed for Ed25519.
#[test]
fn cosigned_rekor_v2_checkpoints() {
    let entries = entries();
    for case in [
        "rekor2-checkpoint-cosigned",
        "rekor2-checkpoint-multiple-cosigs",
        "rekor2-checkpoint-origin-not-first",
        "rekor2-checkpoint-two-sigs-cosigned",
        "rekor2-checkpoint-two-sigs-from-origin",
        "rekor2-dsse-happy-path",
    ] {
        let e = &entries[case];
        let note = SignedNote::parse(e.note()).unwrap();
        assert!(note.signatures.len() >= 2, "{case}");
        let cp = e.verify().unwrap();
        let line = &cp.note().verified_signatures()[0];
        assert_eq!(line.name, e.host(), "{case}");
        // Timestamped cosignatures (tlog-cosignature): 8-byte timestamp + 64-byte signature.
        for other in note.signatures.iter().filter(|s| s.name != e.host()) {
            assert_eq!(other.signature.len(), 72, "{case}: {}", other.name);
        }
    }
    // The same note with the log's line removed no longer verifies.
    let e = &entries["rekor2-checkpoint-origin-not-first"];
    let mut note = SignedNote::parse(e.note()).unwrap();
    note.signatures.retain(|s| s.name != e.host());
    assert_eq!(
        signet_tlog::verify_note(&note, &[e.verifier().as_ref()]),
        Err(TlogError::NoVerifiedSignature)
    );
}
