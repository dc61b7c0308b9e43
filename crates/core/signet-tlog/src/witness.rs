//! C2SP `tlog-cosignature` (Ed25519, type 0x04: timestamped cosignatures) and the checks of a
//! C2SP `tlog-witness` `add-checkpoint` request. No I/O: the witness's stored state and the
//! time are inputs.
//!
//! A cosignature line is `— <name> base64(key hint ‖ u64 timestamp ‖ Ed25519 signature)`, the
//! key hint being `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]` and the signed message
//! `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint text.

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use signet_crypto::sha256;
use signet_types::{Sha256Hash, TreeSize, UnixSeconds};

use crate::note::{NoteSignature, SignedNote};
use crate::{Checkpoint, NoteVerifier, TlogError, VerifiedCheckpoint, verify_checkpoint};

/// C2SP signature type of timestamped Ed25519 cosignatures.
const COSIGNATURE_TYPE: u8 = 0x04;
/// The most consistency-proof lines a request may carry (the spec's limit).
pub const MAX_PROOF_LINES: usize = 63;

/// `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)`: the key ID of an Ed25519 cosigner.
pub fn cosigner_key_id(name: &str, key: &[u8; 32]) -> Sha256Hash {
    let mut buf = Vec::with_capacity(name.len().saturating_add(34));
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(&[b'\n', COSIGNATURE_TYPE]);
    buf.extend_from_slice(key);
    sha256(&buf)
}

fn hint(id: &Sha256Hash) -> [u8; 4] {
    let [a, b, c, d, ..] = id.0;
    [a, b, c, d]
}

/// The message an Ed25519 cosignature at `time` signs over the checkpoint `text`.
fn cosigned_message(time: u64, text: &[u8]) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {time}\n").into_bytes();
    m.extend_from_slice(text);
    m
}

/// A witness's Ed25519 cosigning key.
#[derive(Debug)]
pub struct Cosigner {
    name: String,
    pair: Ed25519KeyPair,
    key: [u8; 32],
}

impl Cosigner {
    /// The cosigner `name` with the key of PKCS#8 DER `der`.
    pub fn from_pkcs8_der(name: &str, der: &[u8]) -> Result<Self, TlogError> {
        let bad = |reason: String| TlogError::InvalidKey { reason };
        let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|e| bad(e.to_string()))?;
        let key = <[u8; 32]>::try_from(pair.public_key().as_ref())
            .map_err(|_| bad("Ed25519 public key is not 32 bytes".into()))?;
        if !crate::note::valid_name(name) {
            return Err(TlogError::InvalidKeyName {
                name: name.to_string(),
            });
        }
        Ok(Self {
            name: name.to_string(),
            pair,
            key,
        })
    }

    /// A new key, as PKCS#8 DER (to store, then load with [`Cosigner::from_pkcs8_der`]).
    pub fn generate_pkcs8() -> Result<Vec<u8>, TlogError> {
        Ed25519KeyPair::generate()
            .and_then(|p| p.to_pkcs8())
            .map(|d| d.as_ref().to_vec())
            .map_err(|e| TlogError::InvalidKey {
                reason: e.to_string(),
            })
    }

    /// The verifier for this cosigner.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key: self.key,
            hint: hint(&cosigner_key_id(&self.name, &self.key)),
        }
    }

    /// The signature line (without its newline) cosigning checkpoint `text` at `time`.
    pub fn cosign(&self, text: &str, time: UnixSeconds) -> Result<String, TlogError> {
        let t = u64::try_from(time.0).map_err(|_| TlogError::Signing)?;
        let mut sig = t.to_be_bytes().to_vec();
        sig.extend_from_slice(
            self.pair
                .sign(&cosigned_message(t, text.as_bytes()))
                .as_ref(),
        );
        let line = SignedNote {
            text: String::new(),
            signatures: vec![NoteSignature {
                name: self.name.clone(),
                key_hint: self.verifier().hint,
                signature: sig,
            }],
        }
        .encode();
        // `encode` writes "\n— name sig\n" after the (empty) text.
        Ok(line.trim_matches('\n').to_string())
    }
}

/// The verifier of a timestamped Ed25519 cosignature (C2SP type 0x04).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key: [u8; 32],
    hint: [u8; 4],
}

impl CosignatureVerifier {
    /// The cosigner `name` with the raw Ed25519 `key`.
    pub fn new(name: &str, key: [u8; 32]) -> Result<Self, TlogError> {
        if !crate::note::valid_name(name) {
            return Err(TlogError::InvalidKeyName {
                name: name.to_string(),
            });
        }
        Ok(Self {
            name: name.to_string(),
            key,
            hint: hint(&cosigner_key_id(name, &key)),
        })
    }

    /// Reads a vkey `<name>+<hex hint>+<base64(0x04 ‖ key)>`, checking the hint.
    pub fn from_vkey(vkey: &str) -> Result<Self, TlogError> {
        crate::note::parse_vkey(vkey, COSIGNATURE_TYPE, Self::new, |v| v.hint)
    }

    /// The vkey text form.
    pub fn vkey(&self) -> String {
        let mut typed = vec![COSIGNATURE_TYPE];
        typed.extend_from_slice(&self.key);
        format!(
            "{}+{:08x}+{}",
            self.name,
            u32::from_be_bytes(self.hint),
            STANDARD.encode(typed)
        )
    }

    /// The cosigner's name.
    pub fn cosigner_name(&self) -> &str {
        &self.name
    }
}

impl NoteVerifier for CosignatureVerifier {
    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
    fn key_hint(&self) -> [u8; 4] {
        self.hint
    }
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        let Some((ts, ed)) = sig.split_first_chunk::<8>() else {
            return false;
        };
        let t = u64::from_be_bytes(*ts);
        i64::try_from(t).is_ok()
            && ed.len() == 64
            && UnparsedPublicKey::new(&ED25519, &self.key)
                .verify(&cosigned_message(t, text), ed)
                .is_ok()
    }
}

/// Counts the distinct cosigners among `witnesses` whose cosignature on the signed checkpoint
/// `note` verifies (lines from other keys are ignored; a line from a listed key that does not
/// verify is an error, as for any note).
pub fn count_cosignatures(
    note: &str,
    witnesses: &[CosignatureVerifier],
) -> Result<usize, TlogError> {
    let parsed = SignedNote::parse(note)?;
    let mut n = 0usize;
    for w in witnesses {
        let one: [&dyn NoteVerifier; 1] = [w];
        match crate::verify_note(&parsed, &one) {
            Ok(_) => n = n.saturating_add(1),
            Err(TlogError::NoVerifiedSignature) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A parsed `add-checkpoint` request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the tree the client believes the witness last cosigned.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Sha256Hash>,
    /// The signed checkpoint, as sent.
    pub checkpoint: String,
}

impl AddCheckpoint {
    /// Parses `old <size>\n`, up to 63 base64 hash lines, an empty line, then the checkpoint.
    pub fn parse(body: &str) -> Result<Self, TlogError> {
        let bad = |reason: &'static str| TlogError::MalformedNote { reason };
        let (first, mut rest) = body.split_once('\n').ok_or(bad("no old size line"))?;
        let size = first
            .strip_prefix("old ")
            .ok_or(bad("first line is not `old <size>`"))?;
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(bad("old size is not a decimal without leading zeros"));
        }
        let old_size = size.parse::<u64>().map_err(|_| bad("old size too large"))?;
        let mut proof = Vec::new();
        loop {
            let (line, next) = rest
                .split_once('\n')
                .ok_or(bad("no empty line before the checkpoint"))?;
            rest = next;
            if line.is_empty() {
                break;
            }
            if proof.len() >= MAX_PROOF_LINES {
                return Err(bad("more than 63 consistency proof lines"));
            }
            let raw = STANDARD
                .decode(line)
                .map_err(|_| bad("a proof line is not base64"))?;
            let h = <[u8; 32]>::try_from(raw.as_slice())
                .map_err(|_| bad("a proof line is not a 32-byte hash"))?;
            proof.push(Sha256Hash(h));
        }
        Ok(Self {
            old_size,
            proof,
            checkpoint: rest.to_string(),
        })
    }
}

impl AddCheckpoint {
    /// The request body: `old <size>`, one base64 line per proof hash, an empty line, then the
    /// signed checkpoint (as [`AddCheckpoint::parse`] reads it).
    pub fn encode(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for h in &self.proof {
            body.push_str(&STANDARD.encode(h.0));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body
    }
}

/// The body of a `409 Conflict` answered as `text/x.tlog.size`: the witness's latest cosigned
/// size, a decimal and a newline.
pub fn parse_tlog_size(body: &str) -> Result<u64, TlogError> {
    let bad = || TlogError::MalformedNote {
        reason: "a text/x.tlog.size body is not one decimal size on a line",
    };
    let n = body.strip_suffix('\n').unwrap_or(body);
    if n.is_empty() || n.len() > 20 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    n.parse::<u64>().map_err(|_| bad())
}

/// Picks the cosignature of `witness` out of an `add-checkpoint` answer (one or more note
/// signature lines) and verifies it over `checkpoint_text` (the checkpoint's signed text, without
/// its signatures). Lines of other keys are skipped; no line from `witness`, or one that does not
/// verify, is an error: such an answer must never be published.
pub fn witness_cosignature(
    answer: &str,
    checkpoint_text: &str,
    witness: &CosignatureVerifier,
) -> Result<NoteSignature, TlogError> {
    // The answer's lines are the signature block of a note over the checkpoint text.
    let note = SignedNote::parse(&format!("{checkpoint_text}\n{answer}"))?;
    if note.text != checkpoint_text {
        return Err(TlogError::MalformedNote {
            reason: "the witness answer is not only signature lines",
        });
    }
    let one: [&dyn NoteVerifier; 1] = [witness];
    let verified = crate::verify_note(&note, &one)?;
    verified
        .verified_signatures()
        .first()
        .cloned()
        .ok_or(TlogError::NoVerifiedSignature)
}

/// The witness's record of a log: the latest checkpoint it cosigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witnessed {
    /// Size.
    pub size: u64,
    /// Root.
    pub root: Sha256Hash,
}

/// Why a witness refuses a request, with the HTTP status the spec gives it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum WitnessRefusal {
    /// Body does not parse (400).
    #[error("malformed request: {0}")]
    Malformed(String),
    /// Unknown origin (404).
    #[error("unknown log origin {0:?}")]
    UnknownLog(String),
    /// No signature from a trusted key of the log (403).
    #[error("the checkpoint is not signed by a trusted key of {origin:?}: {reason}")]
    NotSigned {
        /// Origin.
        origin: String,
        /// Why.
        reason: String,
    },
    /// Old size beyond the checkpoint (400).
    #[error("old size {old} is larger than the checkpoint size {size}")]
    OldSizeTooLarge {
        /// Old size.
        old: u64,
        /// Checkpoint size.
        size: u64,
    },
    /// Old size is not the latest cosigned size (409, body: the current size).
    #[error("old size {old} is not the latest cosigned size {current}")]
    Conflict {
        /// Old size sent.
        old: u64,
        /// Latest cosigned size.
        current: u64,
    },
    /// Same size as the latest cosigned, another root: a fork (409).
    #[error("checkpoint of size {size} has another root than the one cosigned: the log forked")]
    SameSizeOtherRoot {
        /// Size.
        size: u64,
    },
    /// The consistency proof does not verify (422).
    #[error("the consistency proof from {old} to {size} does not verify: {reason}")]
    BadProof {
        /// Old size.
        old: u64,
        /// Checkpoint size.
        size: u64,
        /// Why.
        reason: String,
    },
}

impl WitnessRefusal {
    /// The HTTP status for this refusal (C2SP tlog-witness).
    pub fn status(&self) -> u16 {
        match self {
            Self::Malformed(_) | Self::OldSizeTooLarge { .. } => 400,
            Self::UnknownLog(_) => 404,
            Self::NotSigned { .. } => 403,
            Self::Conflict { .. } | Self::SameSizeOtherRoot { .. } => 409,
            Self::BadProof { .. } => 422,
        }
    }
}

/// The checks of `add-checkpoint`, in the spec's order: the log's `verifiers` (`None`: unknown
/// origin) must sign the checkpoint, the old size must not exceed its size and must be the size
/// of `latest` (the last cosigned checkpoint of that origin, `None`: never), and the proof must
/// show the checkpoint extends `latest` (same size: same root). On success, the checkpoint to
/// record (and cosign).
pub fn check_add_checkpoint(
    req: &AddCheckpoint,
    verifiers: Option<&[&dyn NoteVerifier]>,
    latest: Option<&Witnessed>,
) -> Result<VerifiedCheckpoint, WitnessRefusal> {
    let parsed =
        SignedNote::parse(&req.checkpoint).map_err(|e| WitnessRefusal::Malformed(e.to_string()))?;
    let cp =
        Checkpoint::parse(&parsed.text).map_err(|e| WitnessRefusal::Malformed(e.to_string()))?;
    let verifiers = verifiers.ok_or_else(|| WitnessRefusal::UnknownLog(cp.origin.clone()))?;
    let verified =
        verify_checkpoint(&req.checkpoint, verifiers).map_err(|e| WitnessRefusal::NotSigned {
            origin: cp.origin.clone(),
            reason: e.to_string(),
        })?;
    let size = verified.size().0;
    if req.old_size > size {
        return Err(WitnessRefusal::OldSizeTooLarge {
            old: req.old_size,
            size,
        });
    }
    let current = latest.map_or(0, |w| w.size);
    if req.old_size != current {
        return Err(WitnessRefusal::Conflict {
            old: req.old_size,
            current,
        });
    }
    match latest {
        None => {
            if !req.proof.is_empty() {
                return Err(WitnessRefusal::BadProof {
                    old: 0,
                    size,
                    reason: "the proof must be empty from size 0".into(),
                });
            }
        }
        Some(w) if w.size == size => {
            if w.root != *verified.root_hash() {
                return Err(WitnessRefusal::SameSizeOtherRoot { size });
            }
        }
        Some(w) => crate::verify_consistency(
            TreeSize(w.size),
            TreeSize(size),
            &req.proof,
            &w.root,
            verified.root_hash(),
        )
        .map_err(|e| WitnessRefusal::BadProof {
            old: w.size,
            size,
            reason: e.to_string(),
        })?,
    }
    Ok(verified)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::{EcdsaNoteSigner, MerkleTree, NoteSigner, Tree, sign_note};
    use signet_crypto::SigningKey;

    fn cosigner() -> Cosigner {
        Cosigner::from_pkcs8_der("witness.test/w1", &Cosigner::generate_pkcs8().unwrap()).unwrap()
    }

    struct Log {
        signer: EcdsaNoteSigner,
        tree: MerkleTree,
    }

    impl Log {
        fn new(key: SigningKey) -> Self {
            Self {
                signer: EcdsaNoteSigner::new("log.test", key).unwrap(),
                tree: MerkleTree::new(),
            }
        }
        fn grow(&mut self, tag: &str, n: u32) {
            for i in 0..n {
                self.tree
                    .append(crate::leaf_hash(format!("{tag}{i}").as_bytes()))
                    .unwrap();
            }
        }
        fn checkpoint(&self) -> String {
            let cp = Checkpoint {
                origin: "log.test - 1".into(),
                size: self.tree.size(),
                root_hash: self.tree.current_root(),
                extensions: vec![],
            };
            sign_note(&cp.to_text(), &[&self.signer as &dyn NoteSigner]).unwrap()
        }
        fn request(&self, old: u64) -> String {
            let proof = if old == 0 || old == self.tree.size().0 {
                vec![]
            } else {
                Tree::new(self.tree.store())
                    .consistency_proof(TreeSize(old), self.tree.size())
                    .unwrap()
            };
            AddCheckpoint {
                old_size: old,
                proof,
                checkpoint: self.checkpoint(),
            }
            .encode()
        }
    }

    /// The spec's example body parses as the spec describes.
    #[test]
    fn parses_the_spec_example_request() {
        let body = "old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\njrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
        let r = AddCheckpoint::parse(body).unwrap();
        assert_eq!(r.old_size, 20852014);
        assert_eq!(r.proof.len(), 2);
        assert!(
            r.checkpoint
                .starts_with("example.com/behind-the-sofa\n20852163\n")
        );
        for bad in [
            "old 01\n\n",
            "old x\n\n",
            "new 1\n\n",
            "old 1\nnotbase64!\n\n",
            "old 1\n",
        ] {
            assert!(AddCheckpoint::parse(bad).is_err(), "{bad:?}");
        }
        let many = format!(
            "old 1\n{}\n",
            "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n".repeat(64)
        );
        assert!(AddCheckpoint::parse(&many).is_err());
    }

    /// A published Ed25519 cosigner key (the witness `remora.n621.de`, as
    /// transparency-dev/formats' `note/note_cosigv1_test.go` lists it): its key hint is
    /// `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]` as computed here, and its text form round-trips.
    #[test]
    fn key_hint_of_a_published_witness_key() {
        const REMORA: &str = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";
        let v = CosignatureVerifier::from_vkey(REMORA).unwrap();
        assert_eq!(v.key_hint(), [0xda, 0x77, 0xad, 0xe7]);
        assert_eq!(v.vkey(), REMORA);
        // The same key under an Ed25519 note key type (0x01) is not a cosigner key.
        let as_note_key = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6";
        assert!(CosignatureVerifier::from_vkey(as_note_key).is_err());
        crate::Ed25519NoteVerifier::from_vkey(as_note_key).unwrap();
    }

    /// A request body encodes as it parses; a 409 size body parses strictly.
    #[test]
    fn request_encoding_round_trips_and_sizes_parse() {
        let mut log = Log::new(SigningKey::generate_p256().unwrap());
        log.grow("a", 7);
        let body = log.request(3);
        let req = AddCheckpoint::parse(&body).unwrap();
        assert_eq!(req.old_size, 3);
        assert!(!req.proof.is_empty());
        assert_eq!(req.encode(), body);
        assert_eq!(parse_tlog_size("42\n").unwrap(), 42);
        assert_eq!(parse_tlog_size("0").unwrap(), 0);
        for bad in [
            "",
            "\n",
            "-1\n",
            "4 2\n",
            "42\n\n",
            "x",
            "99999999999999999999999\n",
        ] {
            assert!(parse_tlog_size(bad).is_err(), "{bad:?}");
        }
    }

    /// The cosignature of the configured witness is taken from an answer and verified; an
    /// answer without it, with a bad one, or with anything but signature lines is refused.
    #[test]
    fn witness_answers_are_checked_against_the_configured_key() {
        let c = cosigner();
        let v = c.verifier();
        let mut log = Log::new(SigningKey::generate_p256().unwrap());
        log.grow("a", 3);
        let text = SignedNote::parse(&log.checkpoint()).unwrap().text;
        let line = c.cosign(&text, UnixSeconds(1_700_000_000)).unwrap();
        let other = cosigner()
            .cosign(&text, UnixSeconds(1_700_000_000))
            .unwrap();
        let sig = witness_cosignature(&format!("{line}\n"), &text, &v).unwrap();
        assert_eq!(sig.name, "witness.test/w1");
        // Other keys' lines are skipped.
        let both = format!("{other}\n{line}\n");
        assert_eq!(witness_cosignature(&both, &text, &v).unwrap(), sig);
        // Same name, another key (another hint): not this witness's cosignature.
        assert!(witness_cosignature(&format!("{other}\n"), &text, &v).is_err());
        // A cosignature over another checkpoint does not verify.
        log.grow("b", 1);
        let newer = SignedNote::parse(&log.checkpoint()).unwrap().text;
        assert!(matches!(
            witness_cosignature(&format!("{line}\n"), &newer, &v),
            Err(TlogError::BadSignature { .. })
        ));
        for garbage in [
            "",
            "hello\n",
            "ok",
            line.as_str(),
            &format!("\n{line}\n"),
            &format!("x\n\n{line}\n"),
        ] {
            assert!(
                witness_cosignature(garbage, &text, &v).is_err(),
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn cosignature_round_trip_and_key_id() {
        let c = cosigner();
        let v = c.verifier();
        assert_eq!(CosignatureVerifier::from_vkey(&v.vkey()).unwrap(), v);
        let mut log = Log::new(SigningKey::generate_p256().unwrap());
        log.grow("a", 3);
        let cp = log.checkpoint();
        let line = c
            .cosign(
                &SignedNote::parse(&cp).unwrap().text,
                UnixSeconds(1_700_000_000),
            )
            .unwrap();
        assert!(line.starts_with("\u{2014} witness.test/w1 "));
        let cosigned = format!("{cp}{line}\n");
        assert_eq!(
            count_cosignatures(&cosigned, std::slice::from_ref(&v)).unwrap(),
            1
        );
        // Not counted without the line, nor for another witness.
        assert_eq!(
            count_cosignatures(&cp, std::slice::from_ref(&v)).unwrap(),
            0
        );
        assert_eq!(
            count_cosignatures(&cosigned, &[cosigner().verifier()]).unwrap(),
            0
        );
        // The timestamp is signed: changing it breaks the cosignature.
        let parsed = SignedNote::parse(&cosigned).unwrap();
        let mut tampered = parsed.clone();
        tampered.signatures[1].signature[7] ^= 1;
        assert!(count_cosignatures(&tampered.encode(), &[v]).is_err());
    }

    #[test]
    fn witness_cosigns_growth_and_refuses_rollback_fork_and_strangers() {
        let key = SigningKey::generate_p256().unwrap();
        let mut log = Log::new(SigningKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap());
        let v = log.signer.verifier();
        let trusted: [&dyn NoteVerifier; 1] = [&v];
        log.grow("a", 5);
        let req = AddCheckpoint::parse(&log.request(0)).unwrap();
        let cp = check_add_checkpoint(&req, Some(&trusted), None).unwrap();
        let mut latest = Witnessed {
            size: cp.size().0,
            root: *cp.root_hash(),
        };
        // Growth with a valid proof.
        log.grow("b", 4);
        let cp = check_add_checkpoint(
            &AddCheckpoint::parse(&log.request(5)).unwrap(),
            Some(&trusted),
            Some(&latest),
        )
        .unwrap();
        assert_eq!(cp.size().0, 9);
        let at9 = log.checkpoint();
        latest = Witnessed {
            size: 9,
            root: *cp.root_hash(),
        };
        // Stale old size: 409 with the current size.
        let e = check_add_checkpoint(
            &AddCheckpoint::parse(&log.request(5)).unwrap(),
            Some(&trusted),
            Some(&latest),
        )
        .unwrap_err();
        assert_eq!(e, WitnessRefusal::Conflict { old: 5, current: 9 });
        assert_eq!(e.status(), 409);
        // Rollback: a genuine older checkpoint (size 5) with old 9 → 400 (old > size).
        let mut old_log =
            Log::new(SigningKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap());
        old_log.grow("a", 5);
        let mut body = String::from("old 9\n\n");
        body.push_str(&old_log.checkpoint());
        let e = check_add_checkpoint(
            &AddCheckpoint::parse(&body).unwrap(),
            Some(&trusted),
            Some(&latest),
        )
        .unwrap_err();
        assert_eq!(e.status(), 400, "{e}");
        // Fork: same key, same first 5 entries, different next ones.
        let mut fork = Log::new(SigningKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap());
        fork.grow("a", 5);
        fork.grow("x", 6);
        let mut forged = fork.request(9);
        // The fork's own proof from 9 is about its own tree; it cannot lead from the witnessed root.
        let e = check_add_checkpoint(
            &AddCheckpoint::parse(&forged).unwrap(),
            Some(&trusted),
            Some(&latest),
        )
        .unwrap_err();
        assert_eq!(e.status(), 422, "{e}");
        // Same size, other root.
        let mut fork9 = Log::new(SigningKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap());
        fork9.grow("z", 9);
        forged = fork9.request(9);
        let e = check_add_checkpoint(
            &AddCheckpoint::parse(&forged).unwrap(),
            Some(&trusted),
            Some(&latest),
        )
        .unwrap_err();
        assert_eq!(e, WitnessRefusal::SameSizeOtherRoot { size: 9 });
        // The same checkpoint again is fine (idempotent).
        let again = format!("old 9\n\n{at9}");
        check_add_checkpoint(
            &AddCheckpoint::parse(&again).unwrap(),
            Some(&trusted),
            Some(&latest),
        )
        .unwrap();
        // Unknown origin → 404; another key → 403.
        let e = check_add_checkpoint(&AddCheckpoint::parse(&again).unwrap(), None, Some(&latest))
            .unwrap_err();
        assert_eq!(e.status(), 404);
        let stranger = Log::new(SigningKey::generate_p256().unwrap())
            .signer
            .verifier();
        let other: [&dyn NoteVerifier; 1] = [&stranger];
        let e = check_add_checkpoint(
            &AddCheckpoint::parse(&again).unwrap(),
            Some(&other),
            Some(&latest),
        )
        .unwrap_err();
        assert_eq!(e.status(), 403);
    }
}
