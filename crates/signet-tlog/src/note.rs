//! C2SP signed notes (`signed-note.md`) and checkpoints (`tlog-checkpoint.md`).

use aws_lc_rs::signature::{ED25519, UnparsedPublicKey};
use signet_crypto::{KeyAlgorithm, PublicKey, SigningKey, sha256};
use signet_types::{Sha256Hash, TreeSize, b64, limits};

use crate::TlogError;

const SIG_PREFIX: &str = "\u{2014} ";

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// First four bytes of the key ID.
    pub key_hint: [u8; 4],
    /// Signature bytes (after the hint).
    pub signature: Vec<u8>,
}

/// A signed note: text plus signature lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedNote {
    /// The signed text, ending in `\n`.
    pub text: String,
    /// Signature lines in order.
    pub signatures: Vec<NoteSignature>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains([' ', '+', '\n', '\t'])
}

impl SignedNote {
    /// Parses a signed note. The text and signatures are split at the last blank line.
    pub fn parse(note: &str) -> Result<Self, TlogError> {
        let bad = |m: &str| TlogError::MalformedNote(m.to_string());
        if note.len() > limits::MAX_NOTE_BYTES {
            return Err(bad("note too large"));
        }
        if note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(bad("note contains control characters"));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| bad("no blank line before signatures"))?;
        let text = &note[..split + 1];
        let sigs = &note[split + 2..];
        if sigs.is_empty() {
            return Err(bad("note has no signature lines"));
        }
        if !sigs.ends_with('\n') {
            return Err(bad("signature block does not end with a newline"));
        }
        let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
        if lines.len() > limits::MAX_NOTE_SIGNATURES {
            return Err(bad("too many signatures"));
        }
        let mut signatures = Vec::with_capacity(lines.len());
        for line in lines {
            let rest = line
                .strip_prefix(SIG_PREFIX)
                .ok_or_else(|| bad("signature line does not start with an em dash"))?;
            let (name, sig_b64) = rest
                .split_once(' ')
                .ok_or_else(|| bad("signature line has no signature"))?;
            if !valid_name(name) {
                return Err(bad("invalid key name"));
            }
            let raw = b64::decode(sig_b64).map_err(|e| bad(&e.to_string()))?;
            if raw.len() < 5 {
                return Err(bad("signature too short"));
            }
            let mut key_hint = [0u8; 4];
            key_hint.copy_from_slice(&raw[..4]);
            signatures.push(NoteSignature {
                name: name.to_string(),
                key_hint,
                signature: raw[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(bad("no signatures"));
        }
        Ok(Self {
            text: text.to_string(),
            signatures,
        })
    }

    /// Serializes the note.
    pub fn encode(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for s in &self.signatures {
            let mut raw = s.key_hint.to_vec();
            raw.extend_from_slice(&s.signature);
            out.push_str(SIG_PREFIX);
            out.push_str(&s.name);
            out.push(' ');
            out.push_str(&b64::encode(raw));
            out.push('\n');
        }
        out
    }
}

/// A checkpoint body: origin, size, root hash, extension lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log origin line.
    pub origin: String,
    /// Tree size.
    pub size: TreeSize,
    /// Root hash.
    pub root_hash: Sha256Hash,
    /// Extension lines (legacy Rekor v1 `Timestamp: …`, for example).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// Parses checkpoint text (a note's text part).
    pub fn parse(text: &str) -> Result<Self, TlogError> {
        let bad = |m: &str| TlogError::MalformedCheckpoint(m.to_string());
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("text does not end with a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| bad("missing origin"))?;
        let size_s = lines.next().ok_or_else(|| bad("missing tree size"))?;
        if size_s.is_empty()
            || !size_s.bytes().all(|b| b.is_ascii_digit())
            || (size_s.len() > 1 && size_s.starts_with('0'))
        {
            return Err(bad("tree size is not a canonical decimal number"));
        }
        let size = size_s
            .parse::<u64>()
            .map_err(|_| bad("tree size out of range"))?;
        let root_s = lines.next().ok_or_else(|| bad("missing root hash"))?;
        let root = b64::decode(root_s).map_err(|_| bad("root hash is not base64"))?;
        let root_hash =
            Sha256Hash::from_slice(&root).map_err(|_| bad("root hash is not 32 bytes"))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("empty extension line"));
        }
        Ok(Self {
            origin: origin.to_string(),
            size: TreeSize(size),
            root_hash,
            extensions,
        })
    }

    /// Checkpoint text, ready to sign.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size.0,
            b64::encode(self.root_hash.0)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }
}

/// A key that can verify note signatures.
pub trait NoteVerifier {
    /// Key name; `None` accepts a signature line of any name (Rekor v1 names its key with the
    /// host only, which a verifier holding just the key does not know).
    fn name(&self) -> Option<&str>;
    /// First four bytes of the key ID.
    fn key_hint(&self) -> [u8; 4];
    /// Whether `sig` is a valid signature over `text`.
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool;
}

fn hint(id: &Sha256Hash) -> [u8; 4] {
    [id.0[0], id.0[1], id.0[2], id.0[3]]
}

/// The C2SP key ID of an Ed25519 note key: `SHA-256(name || 0x0A || 0x01 || key)`. This is also
/// the Rekor v2 log ID.
pub fn ed25519_key_id(name: &str, raw_key: &[u8]) -> Sha256Hash {
    let mut buf = Vec::with_capacity(name.len() + 2 + raw_key.len());
    buf.extend_from_slice(name.as_bytes());
    buf.push(0x0a);
    buf.push(0x01);
    buf.extend_from_slice(raw_key);
    sha256(&buf)
}

/// Ed25519 note verifier (C2SP signature type 0x01).
#[derive(Clone, Debug)]
pub struct Ed25519NoteVerifier {
    name: String,
    raw: Vec<u8>,
    hint: [u8; 4],
}

impl Ed25519NoteVerifier {
    /// A verifier for the Ed25519 `key` under `name`.
    pub fn new(name: &str, key: &PublicKey) -> Result<Self, TlogError> {
        if key.algorithm() != KeyAlgorithm::Ed25519 {
            return Err(TlogError::Key(format!(
                "expected an Ed25519 key, got {:?}",
                key.algorithm()
            )));
        }
        if !valid_name(name) {
            return Err(TlogError::Key(format!("invalid key name {name:?}")));
        }
        let raw = key.raw().to_vec();
        Ok(Self {
            hint: hint(&ed25519_key_id(name, &raw)),
            name: name.to_string(),
            raw,
        })
    }
}

impl NoteVerifier for Ed25519NoteVerifier {
    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
    fn key_hint(&self) -> [u8; 4] {
        self.hint
    }
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.raw)
            .verify(text, sig)
            .is_ok()
    }
}

/// ECDSA note verifier as Rekor v1 signs checkpoints: key hint = `SHA-256(SPKI)[:4]`, signature
/// = ASN.1 ECDSA over the note text with the key's default hash.
#[derive(Clone, Debug)]
pub struct EcdsaNoteVerifier {
    name: Option<String>,
    key: PublicKey,
}

impl EcdsaNoteVerifier {
    /// A verifier that requires the signature line's name to be `name`.
    pub fn new(name: &str, key: PublicKey) -> Self {
        Self {
            name: Some(name.to_string()),
            key,
        }
    }

    /// A verifier that matches signature lines by key hint alone.
    pub fn any_name(key: PublicKey) -> Self {
        Self { name: None, key }
    }
}

impl NoteVerifier for EcdsaNoteVerifier {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn key_hint(&self) -> [u8; 4] {
        hint(&self.key.key_id())
    }
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        self.key.verify(text, sig).is_ok()
    }
}

/// A key that signs notes.
pub trait NoteSigner {
    /// Key name for the signature line.
    fn name(&self) -> &str;
    /// First four bytes of the key ID.
    fn key_hint(&self) -> [u8; 4];
    /// Signs the note text.
    fn sign(&self, text: &[u8]) -> Result<Vec<u8>, TlogError>;
}

/// ECDSA P-256 note signer (Rekor v1 style).
#[derive(Debug)]
pub struct EcdsaNoteSigner {
    name: String,
    key: SigningKey,
}

impl EcdsaNoteSigner {
    /// A signer named `name` (Rekor v1 uses the host name).
    pub fn new(name: &str, key: SigningKey) -> Result<Self, TlogError> {
        if !valid_name(name) {
            return Err(TlogError::Key(format!("invalid key name {name:?}")));
        }
        Ok(Self {
            name: name.to_string(),
            key,
        })
    }
}

impl NoteSigner for EcdsaNoteSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_hint(&self) -> [u8; 4] {
        hint(&self.key.public_key().key_id())
    }
    fn sign(&self, text: &[u8]) -> Result<Vec<u8>, TlogError> {
        self.key
            .sign(text)
            .map_err(|e| TlogError::Key(e.to_string()))
    }
}

/// Signs `text` with every signer and returns the encoded note.
pub fn sign_note(text: &str, signers: &[&dyn NoteSigner]) -> Result<String, TlogError> {
    if !text.ends_with('\n') {
        return Err(TlogError::MalformedNote(
            "text must end with a newline".into(),
        ));
    }
    let signatures = signers
        .iter()
        .map(|s| {
            Ok(NoteSignature {
                name: s.name().to_string(),
                key_hint: s.key_hint(),
                signature: s.sign(text.as_bytes())?,
            })
        })
        .collect::<Result<Vec<_>, TlogError>>()?;
    Ok(SignedNote {
        text: text.to_string(),
        signatures,
    }
    .encode())
}

/// Verifies a note: at least one signature line from a known key must verify, a line that names a
/// known key but fails is an error, and lines from unknown keys (witness cosignatures) are ignored.
pub fn verify_note(note: &SignedNote, verifiers: &[&dyn NoteVerifier]) -> Result<(), TlogError> {
    let mut verified = false;
    for sig in &note.signatures {
        let known = verifiers
            .iter()
            .find(|v| v.key_hint() == sig.key_hint && v.name().is_none_or(|n| n == sig.name));
        if let Some(v) = known {
            if !v.verify(note.text.as_bytes(), &sig.signature) {
                return Err(TlogError::BadSignature {
                    name: sig.name.clone(),
                });
            }
            verified = true;
        }
    }
    if verified {
        Ok(())
    } else {
        Err(TlogError::NoVerifiedSignature)
    }
}

/// A checkpoint whose signature verified. Only [`verify_checkpoint`] creates one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    checkpoint: Checkpoint,
}

impl VerifiedCheckpoint {
    /// The verified checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }
    /// Tree size.
    pub fn size(&self) -> TreeSize {
        self.checkpoint.size
    }
    /// Root hash.
    pub fn root_hash(&self) -> &Sha256Hash {
        &self.checkpoint.root_hash
    }
    /// Origin line.
    pub fn origin(&self) -> &str {
        &self.checkpoint.origin
    }
}

/// Parses and verifies a signed checkpoint.
pub fn verify_checkpoint(
    note: &str,
    verifiers: &[&dyn NoteVerifier],
) -> Result<VerifiedCheckpoint, TlogError> {
    let note = SignedNote::parse(note)?;
    verify_note(&note, verifiers)?;
    Ok(VerifiedCheckpoint {
        checkpoint: Checkpoint::parse(&note.text)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

    #[test]
    fn real_rekor_v1_checkpoint_verifies() {
        let note = "rekor.sigstore.dev - 1193050959916656506\n53604735\nnd/V1IEweXlu0reIQGaGK1d51xW4Rj8fUyTrmcUkrMY=\n\n\u{2014} rekor.sigstore.dev wNI9ajBFAiEAuh6liXP/rBKWjuO/W8jooM66eVHSXo3Cf8kEAIryZLACIAfCuhLOHpSnU3WA68gZci57o2JuwX7S5H6ANbGePH58\n";
        let pem = std::fs::read_to_string(format!("{SHARED}/vectors/rekor/rekor.pub")).unwrap();
        let key = PublicKey::from_pem(&pem).unwrap();
        let v = EcdsaNoteVerifier::any_name(key.clone());
        let cp = verify_checkpoint(note, &[&v]).unwrap();
        assert_eq!(cp.size(), TreeSize(53604735));
        assert_eq!(cp.origin(), "rekor.sigstore.dev - 1193050959916656506");
        assert_eq!(SignedNote::parse(note).unwrap().encode(), note);
        // Name-bound verifier: right name works, wrong name finds no key.
        assert!(
            verify_checkpoint(
                note,
                &[&EcdsaNoteVerifier::new("rekor.sigstore.dev", key.clone())]
            )
            .is_ok()
        );
        assert_eq!(
            verify_checkpoint(note, &[&EcdsaNoteVerifier::new("other", key)]),
            Err(TlogError::NoVerifiedSignature)
        );
        // A flipped byte in the text fails with the matching key.
        let tampered = note.replace("53604735", "53604736");
        assert!(matches!(
            verify_checkpoint(&tampered, &[&v]),
            Err(TlogError::BadSignature { .. })
        ));
    }

    #[test]
    fn sign_and_verify_round_trip_with_cosignatures() {
        let key = SigningKey::generate_p256().unwrap();
        let other = SigningKey::generate_p256().unwrap();
        let cp = Checkpoint {
            origin: "log.example - 1".into(),
            size: TreeSize(3),
            root_hash: Sha256Hash([7; 32]),
            extensions: vec![],
        };
        let s1 = EcdsaNoteSigner::new("log.example", key).unwrap();
        let s2 = EcdsaNoteSigner::new("witness.example", other).unwrap();
        let note = sign_note(&cp.to_text(), &[&s2, &s1]).unwrap();
        let v = EcdsaNoteVerifier::any_name(s1.key.public_key().clone());
        let verified = verify_checkpoint(&note, &[&v]).unwrap();
        assert_eq!(verified.checkpoint(), &cp);
    }

    #[test]
    fn malformed_notes_and_checkpoints() {
        for bad in [
            "",
            "a\n1\nAA==\n",
            "origin\n1\nroot\n\n- name AAAAAAA=\n",
            "origin\n1\nroot\n\n\u{2014} name AAAA\n",
            "origin\n1\nroot\n\n\u{2014} na me AAAAAAA=\n",
            "origin\n1\nroot\n\n\u{2014} name AAAAAAA=",
            "ori\u{7}gin\n1\nroot\n\n\u{2014} name AAAAAAA=\n",
        ] {
            assert!(SignedNote::parse(bad).is_err(), "{bad:?}");
        }
        let root = b64::encode([0u8; 32]);
        assert!(Checkpoint::parse(&format!("o\n1\n{root}\n")).is_ok());
        assert!(
            Checkpoint::parse(&format!("o\n1\n{root}\nTimestamp: 1661810402204554901\n")).is_ok()
        );
        for bad in [
            format!("\n1\n{root}\n"),
            format!("o\n01\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("o\n\n{root}\n"),
            "o\n1\nAAAA\n".to_string(),
            format!("o\n1\n{root}"),
            "o\n1\n".to_string(),
        ] {
            assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
        }
    }
}
