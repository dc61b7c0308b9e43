//! C2SP signed notes (`signed-note.md`) and checkpoints (`tlog-checkpoint.md`), with the Rekor v1
//! dialect (ECDSA key hint = `SHA-256(SPKI)[:4]`, key name = host while the origin is
//! `"<host> - <tree ID>"`, optional legacy `Timestamp: <nanos>` extension line).

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use signet_crypto::{KeyAlgorithm, PublicKey, SigningKey, sha256};
use signet_types::{LogIndex, Sha256Hash, TreeSize, limits};

use crate::TlogError;

/// Em dash and space: the start of every signature line.
const SIG_PREFIX: &str = "\u{2014} ";
/// C2SP signature type of Ed25519 note keys.
const ED25519_TYPE: u8 = 0x01;

fn malformed(reason: &'static str) -> TlogError {
    TlogError::MalformedNote { reason }
}

fn has_control(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_control() && b != b'\n')
}

/// C2SP key names: non-empty, no Unicode whitespace, no `+` (nor any control character).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+')
}

fn check_name(name: &str) -> Result<(), TlogError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(TlogError::InvalidKeyName {
            name: name.to_string(),
        })
    }
}

fn hint_of(id: &Sha256Hash) -> [u8; 4] {
    [id.0[0], id.0[1], id.0[2], id.0[3]]
}

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

impl SignedNote {
    /// Parses a signed note: the text and the signature block are split at the last blank line;
    /// every line of the block is `— <name> <base64(key hint ‖ signature)>`. Strict: padded
    /// standard base64, no control characters but `\n`, at most
    /// [`limits::MAX_NOTE_SIGNATURES`] lines and [`limits::MAX_NOTE_BYTES`] bytes, so
    /// `parse(x)?.encode() == x`.
    pub fn parse(note: &str) -> Result<Self, TlogError> {
        if note.len() > limits::MAX_NOTE_BYTES {
            return Err(TlogError::NoteTooLarge {
                size: note.len(),
                max: limits::MAX_NOTE_BYTES,
            });
        }
        if has_control(note) {
            return Err(malformed("contains a control character other than newline"));
        }
        let (head, block) = note
            .rsplit_once("\n\n")
            .ok_or(malformed("no blank line before the signatures"))?;
        let block = block.strip_suffix('\n').ok_or(malformed(
            "no signature lines, or the last one lacks its newline",
        ))?;
        let count = block.split('\n').count();
        if count > limits::MAX_NOTE_SIGNATURES {
            return Err(TlogError::TooManySignatures {
                count,
                max: limits::MAX_NOTE_SIGNATURES,
            });
        }
        let signatures = block
            .split('\n')
            .enumerate()
            .map(|(i, line)| {
                parse_signature_line(line).map_err(|reason| TlogError::MalformedSignatureLine {
                    // `i < MAX_NOTE_SIGNATURES`: never saturates.
                    line: i.saturating_add(1),
                    reason,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            // The text keeps the first newline of the blank-line separator.
            text: format!("{head}\n"),
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
            out.push_str(&STANDARD.encode(raw));
            out.push('\n');
        }
        out
    }
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, &'static str> {
    let rest = line
        .strip_prefix(SIG_PREFIX)
        .ok_or("does not start with an em dash and a space")?;
    let (name, sig) = rest.split_once(' ').ok_or("has no signature")?;
    if !valid_name(name) {
        return Err("key name is empty or contains whitespace or '+'");
    }
    let raw = STANDARD
        .decode(sig)
        .map_err(|_| "signature is not padded standard base64")?;
    match raw.split_first_chunk::<4>() {
        Some((hint, signature)) if !signature.is_empty() => Ok(NoteSignature {
            name: name.to_string(),
            key_hint: *hint,
            signature: signature.to_vec(),
        }),
        _ => Err("signature is shorter than five bytes"),
    }
}

/// A checkpoint body (C2SP `tlog-checkpoint`): origin, size, root hash, extension lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log origin line (Rekor v1: `"<host> - <tree ID>"`; Rekor v2: the host).
    pub origin: String,
    /// Tree size.
    pub size: TreeSize,
    /// Root hash.
    pub root_hash: Sha256Hash,
    /// Extension lines (for example Rekor v1's legacy `Timestamp: <unix nanos>`).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// Parses checkpoint text (a note's text): at least three lines, a non-empty origin, a
    /// decimal size without leading zeros, a padded standard base64 32-byte root hash, then
    /// non-empty extension lines.
    pub fn parse(text: &str) -> Result<Self, TlogError> {
        let bad = |reason| TlogError::MalformedCheckpoint { reason };
        if has_control(text) {
            return Err(bad("contains a control character other than newline"));
        }
        let body = text
            .strip_suffix('\n')
            .ok_or(bad("text does not end with a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or(bad("missing origin"))?;
        let size = lines.next().ok_or(bad("missing tree size"))?;
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(bad("tree size is not a canonical decimal number"));
        }
        let size = size.parse().map_err(|_| bad("tree size out of range"))?;
        let root = lines.next().ok_or(bad("missing root hash"))?;
        let root = STANDARD
            .decode(root)
            .map_err(|_| bad("root hash is not padded standard base64"))?;
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
            STANDARD.encode(self.root_hash.0)
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
    /// Key name the signature line must carry; `None` matches any name, by key hint alone (Rekor
    /// v1 names its key with the bare host, which a verifier holding only the key does not know).
    fn name(&self) -> Option<&str>;
    /// First four bytes of the key ID.
    fn key_hint(&self) -> [u8; 4];
    /// Whether `sig` is a valid signature over `text`.
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool;
}

/// The C2SP key ID of an Ed25519 note key, `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)`; its first four
/// bytes are the key hint. This is also the Rekor v2 log ID.
pub fn ed25519_key_id(name: &str, key: &[u8; 32]) -> Sha256Hash {
    let mut buf = Vec::with_capacity(name.len().saturating_add(2).saturating_add(key.len()));
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(&[b'\n', ED25519_TYPE]);
    buf.extend_from_slice(key);
    sha256(&buf)
}

fn vkey(name: &str, key: &[u8; 32]) -> String {
    let mut typed = vec![ED25519_TYPE];
    typed.extend_from_slice(key);
    let hint = u32::from_be_bytes(hint_of(&ed25519_key_id(name, key)));
    format!("{name}+{hint:08x}+{}", STANDARD.encode(typed))
}

/// Reads a vkey `<name>+<hex key hint>+<base64(key_type ‖ 32-byte key)>` into a verifier made
/// by `make`, checking that the hint is the verifier's (`hint_of`).
pub(crate) fn parse_vkey<V>(
    vkey: &str,
    key_type: u8,
    make: impl FnOnce(&str, [u8; 32]) -> Result<V, TlogError>,
    hint_of: impl FnOnce(&V) -> [u8; 4],
) -> Result<V, TlogError> {
    let bad = |reason: String| TlogError::InvalidKey { reason };
    let mut parts = vkey.trim().splitn(3, '+');
    let (Some(name), Some(hint), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("verifier key is not name+hint+key".into()));
    };
    let typed = STANDARD
        .decode(key)
        .map_err(|_| bad("verifier key is not base64".into()))?;
    let raw = match typed.split_first() {
        Some((t, raw)) if *t == key_type => <[u8; 32]>::try_from(raw)
            .map_err(|_| bad("Ed25519 verifier key is not 32 bytes".into()))?,
        _ => return Err(bad(format!("verifier key is not of type {key_type:#04x}"))),
    };
    let v = make(name, raw)?;
    if hint.len() != 8
        || u32::from_str_radix(hint, 16).ok() != Some(u32::from_be_bytes(hint_of(&v)))
    {
        return Err(bad("verifier key hint does not match the key".into()));
    }
    Ok(v)
}

/// Ed25519 note verifier (C2SP signature type 0x01), as Rekor v2 and witnesses sign.
#[derive(Clone, Debug)]
pub struct Ed25519NoteVerifier {
    name: String,
    key: [u8; 32],
    id: Sha256Hash,
}

impl Ed25519NoteVerifier {
    /// A verifier for the Ed25519 `key` (from an SPKI, as trusted roots carry it) under `name`.
    pub fn new(name: &str, key: &PublicKey) -> Result<Self, TlogError> {
        if key.algorithm() != KeyAlgorithm::Ed25519 {
            return Err(TlogError::WrongKeyType {
                expected: KeyAlgorithm::Ed25519,
                actual: key.algorithm(),
            });
        }
        let raw = <[u8; 32]>::try_from(key.raw()).map_err(|_| TlogError::InvalidKey {
            reason: "Ed25519 key is not 32 bytes".into(),
        })?;
        Self::from_raw(name, raw)
    }

    /// A verifier for the raw 32-byte Ed25519 `key` under `name`.
    pub fn from_raw(name: &str, key: [u8; 32]) -> Result<Self, TlogError> {
        check_name(name)?;
        Ok(Self {
            id: ed25519_key_id(name, &key),
            name: name.to_string(),
            key,
        })
    }

    /// Reads a verifier key in the `golang.org/x/mod/sumdb/note` text form
    /// `<name>+<hex key hint>+<base64(0x01 ‖ key)>`, checking the hint.
    pub fn from_vkey(vkey: &str) -> Result<Self, TlogError> {
        parse_vkey(vkey, ED25519_TYPE, Self::from_raw, Self::key_hint)
    }

    /// The full key ID (the Rekor v2 log ID).
    pub fn key_id(&self) -> Sha256Hash {
        self.id
    }

    /// The `<name>+<hex hint>+<base64 key>` text form.
    pub fn vkey(&self) -> String {
        vkey(&self.name, &self.key)
    }
}

impl NoteVerifier for Ed25519NoteVerifier {
    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
    fn key_hint(&self) -> [u8; 4] {
        hint_of(&self.id)
    }
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.key)
            .verify(text, sig)
            .is_ok()
    }
}

/// Note verifier as Rekor v1 signs checkpoints (and C2SP type 0x02 for ECDSA): key hint =
/// `SHA-256(SPKI DER)[:4]`, signature with the key's default scheme over the note text (ASN.1
/// ECDSA with SHA-256 for P-256). Other key types Rekor v1 accepts work the same way.
#[derive(Clone, Debug)]
pub struct EcdsaNoteVerifier {
    name: Option<String>,
    hint: [u8; 4],
    key: PublicKey,
}

impl EcdsaNoteVerifier {
    /// A verifier that requires the signature line's name to be `name` (Rekor v1: the host).
    pub fn new(name: &str, key: PublicKey) -> Self {
        Self {
            name: Some(name.to_string()),
            hint: hint_of(&key.key_id()),
            key,
        }
    }

    /// A verifier that matches signature lines by key hint alone, whatever their name.
    pub fn any_name(key: PublicKey) -> Self {
        Self {
            name: None,
            hint: hint_of(&key.key_id()),
            key,
        }
    }
}

impl NoteVerifier for EcdsaNoteVerifier {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn key_hint(&self) -> [u8; 4] {
        self.hint
    }
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        self.key.verify(text, sig).is_ok()
    }
}

/// The verifier of a log's checkpoint key as a trusted root carries it: an Ed25519 key under the
/// log's key `name` (C2SP type 0x01, whose key ID covers the name), any other key by its
/// `SHA-256(SPKI)` hint whatever the name (C2SP type 0x02, Rekor v1).
pub fn checkpoint_verifier(
    name: &str,
    key: &PublicKey,
) -> Result<Box<dyn NoteVerifier>, TlogError> {
    Ok(match key.algorithm() {
        KeyAlgorithm::Ed25519 => Box::new(Ed25519NoteVerifier::new(name, key)?),
        _ => Box::new(EcdsaNoteVerifier::any_name(key.clone())),
    })
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

/// ECDSA P-256 note signer, Rekor v1 style (see [`EcdsaNoteVerifier`]).
#[derive(Debug)]
pub struct EcdsaNoteSigner {
    name: String,
    hint: [u8; 4],
    key: SigningKey,
}

impl EcdsaNoteSigner {
    /// A signer named `name` (Rekor v1 uses the host name).
    pub fn new(name: &str, key: SigningKey) -> Result<Self, TlogError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_string(),
            hint: hint_of(&key.public_key().key_id()),
            key,
        })
    }

    /// The matching verifier, bound to this signer's name.
    pub fn verifier(&self) -> EcdsaNoteVerifier {
        EcdsaNoteVerifier::new(&self.name, self.key.public_key().clone())
    }
}

impl NoteSigner for EcdsaNoteSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_hint(&self) -> [u8; 4] {
        self.hint
    }
    fn sign(&self, text: &[u8]) -> Result<Vec<u8>, TlogError> {
        self.key.sign(text).map_err(|_| TlogError::Signing)
    }
}

/// Ed25519 note signer (C2SP type 0x01), as Rekor v2 signs checkpoints.
#[derive(Debug)]
pub struct Ed25519NoteSigner {
    name: String,
    pair: Ed25519KeyPair,
    key: [u8; 32],
}

impl Ed25519NoteSigner {
    fn from_pair(name: &str, pair: Ed25519KeyPair) -> Result<Self, TlogError> {
        check_name(name)?;
        let key = <[u8; 32]>::try_from(pair.public_key().as_ref()).map_err(|_| {
            TlogError::InvalidKey {
                reason: "Ed25519 public key is not 32 bytes".into(),
            }
        })?;
        Ok(Self {
            name: name.to_string(),
            pair,
            key,
        })
    }

    /// A fresh key named `name`.
    pub fn generate(name: &str) -> Result<Self, TlogError> {
        let pair = Ed25519KeyPair::generate().map_err(|e| TlogError::InvalidKey {
            reason: e.to_string(),
        })?;
        Self::from_pair(name, pair)
    }

    /// A key from its 32-byte seed (RFC 8032 private key).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, TlogError> {
        let pair =
            Ed25519KeyPair::from_seed_unchecked(seed).map_err(|e| TlogError::InvalidKey {
                reason: e.to_string(),
            })?;
        Self::from_pair(name, pair)
    }

    /// A key from PKCS#8 DER.
    pub fn from_pkcs8_der(name: &str, der: &[u8]) -> Result<Self, TlogError> {
        let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|e| TlogError::InvalidKey {
            reason: e.to_string(),
        })?;
        Self::from_pair(name, pair)
    }

    /// The raw public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Ed25519NoteVerifier {
        Ed25519NoteVerifier {
            name: self.name.clone(),
            key: self.key,
            id: ed25519_key_id(&self.name, &self.key),
        }
    }
}

impl NoteSigner for Ed25519NoteSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_hint(&self) -> [u8; 4] {
        hint_of(&ed25519_key_id(&self.name, &self.key))
    }
    fn sign(&self, text: &[u8]) -> Result<Vec<u8>, TlogError> {
        Ok(self.pair.sign(text).as_ref().to_vec())
    }
}

/// Signs `text` (which must end in `\n` and hold no other control character) with every signer,
/// in order, and returns the encoded note.
pub fn sign_note(text: &str, signers: &[&dyn NoteSigner]) -> Result<String, TlogError> {
    if !text.ends_with('\n') {
        return Err(malformed("text does not end with a newline"));
    }
    if has_control(text) {
        return Err(malformed("contains a control character other than newline"));
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

/// A note with at least one signature from a known key. Only [`verify_note`] creates one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedNote {
    text: String,
    verified: Vec<NoteSignature>,
}

impl VerifiedNote {
    /// The signed text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines that verified, in note order (never empty).
    pub fn verified_signatures(&self) -> &[NoteSignature] {
        &self.verified
    }
}

/// Verifies a note (C2SP rules): a signature line is from a known key when a verifier has its
/// key hint and (unless the verifier takes any name) its name. Lines from unknown keys (witness
/// cosignatures, other logs) are ignored; a line from a known key that does not verify is an
/// error; at least one line must be from a known key.
pub fn verify_note(
    note: &SignedNote,
    verifiers: &[&dyn NoteVerifier],
) -> Result<VerifiedNote, TlogError> {
    let mut verified = Vec::new();
    for sig in &note.signatures {
        let known = verifiers
            .iter()
            .find(|v| v.key_hint() == sig.key_hint && v.name().is_none_or(|n| n == sig.name));
        let Some(v) = known else { continue };
        if !v.verify(note.text.as_bytes(), &sig.signature) {
            return Err(TlogError::BadSignature {
                name: sig.name.clone(),
                key_hint: sig.key_hint,
            });
        }
        verified.push(sig.clone());
    }
    if verified.is_empty() {
        return Err(TlogError::NoVerifiedSignature);
    }
    Ok(VerifiedNote {
        text: note.text.clone(),
        verified,
    })
}

/// A checkpoint whose note verified. Only [`verify_checkpoint`] creates one.
///
/// The origin is not checked against anything: callers that know the log's origin compare it
/// with [`VerifiedCheckpoint::origin`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    checkpoint: Checkpoint,
    note: VerifiedNote,
}

impl VerifiedCheckpoint {
    /// The verified checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }
    /// The verified note it came from.
    pub fn note(&self) -> &VerifiedNote {
        &self.note
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

    /// Verifies that `leaf` is at `index` in this checkpoint's tree.
    pub fn verify_inclusion(
        &self,
        index: LogIndex,
        leaf: &Sha256Hash,
        proof: &[Sha256Hash],
    ) -> Result<(), TlogError> {
        crate::verify_inclusion(index, self.size(), leaf, proof, self.root_hash())
    }

    /// Verifies that `newer` extends this checkpoint's tree.
    pub fn verify_consistency(
        &self,
        newer: &VerifiedCheckpoint,
        proof: &[Sha256Hash],
    ) -> Result<(), TlogError> {
        crate::verify_consistency(
            self.size(),
            newer.size(),
            proof,
            self.root_hash(),
            newer.root_hash(),
        )
    }
}

/// Parses a signed checkpoint, verifies its note with [`verify_note`], and parses the text.
pub fn verify_checkpoint(
    note: &str,
    verifiers: &[&dyn NoteVerifier],
) -> Result<VerifiedCheckpoint, TlogError> {
    let note = verify_note(&SignedNote::parse(note)?, verifiers)?;
    Ok(VerifiedCheckpoint {
        checkpoint: Checkpoint::parse(note.text())?,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of `golang.org/x/mod/sumdb/note` (its docs and `note_test.go`).
    const GO_SEED_B64: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                           then you don't know what your problem is.\n";
    const GO_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    fn go_signer() -> Ed25519NoteSigner {
        let typed = STANDARD.decode(GO_SEED_B64).unwrap();
        assert_eq!(typed[0], ED25519_TYPE);
        Ed25519NoteSigner::from_seed("PeterNeumann", &typed[1..].try_into().unwrap()).unwrap()
    }

    #[test]
    fn reproduces_the_go_reference_note() {
        let signer = go_signer();
        let v = Ed25519NoteVerifier::from_vkey(GO_VKEY).unwrap();
        assert_eq!(signer.verifier().vkey(), GO_VKEY);
        assert_eq!(v.vkey(), GO_VKEY);
        let note = sign_note(GO_TEXT, &[&signer]).unwrap();
        assert_eq!(note, format!("{GO_TEXT}\n{GO_SIG}"));
        let parsed = SignedNote::parse(&note).unwrap();
        assert_eq!(parsed.encode(), note);
        assert_eq!(parsed.signatures[0].key_hint, [0xc7, 0x4f, 0x20, 0xa3]);
        let verified = verify_note(&parsed, &[&v]).unwrap();
        assert_eq!(verified.text(), GO_TEXT);
        assert_eq!(verified.verified_signatures(), &parsed.signatures[..]);
        let tampered = SignedNote::parse(&note.replace("cryptography", "cryptographY")).unwrap();
        assert_eq!(
            verify_note(&tampered, &[&v]),
            Err(TlogError::BadSignature {
                name: "PeterNeumann".into(),
                key_hint: [0xc7, 0x4f, 0x20, 0xa3]
            })
        );
        // Mangled verifier keys are refused.
        for bad in [
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+AhpcMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3",
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",
        ] {
            assert!(Ed25519NoteVerifier::from_vkey(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rekor_v2_log_id_is_the_ed25519_key_id() {
        // log2025-1.rekor.sigstore.dev, from the public-good trusted_root.json.
        let spki = STANDARD
            .decode("MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=")
            .unwrap();
        let key = PublicKey::from_spki_der(&spki).unwrap();
        let v = Ed25519NoteVerifier::new("log2025-1.rekor.sigstore.dev", &key).unwrap();
        assert_eq!(
            STANDARD.encode(v.key_id().0),
            "zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A="
        );
        assert_eq!(v.key_hint(), [0xcf, 0x11, 0x99, 0x15]);
        assert_eq!(
            v.key_id(),
            ed25519_key_id(
                "log2025-1.rekor.sigstore.dev",
                key.raw().try_into().unwrap()
            )
        );
        let ecdsa = SigningKey::generate_p256().unwrap();
        assert!(matches!(
            Ed25519NoteVerifier::new("x", ecdsa.public_key()),
            Err(TlogError::WrongKeyType { .. })
        ));
        assert!(matches!(
            Ed25519NoteVerifier::new("a b", &key),
            Err(TlogError::InvalidKeyName { .. })
        ));
    }

    fn note_with(lines: &[&str]) -> String {
        let mut s = "origin\n".to_string();
        s.push('\n');
        for l in lines {
            s.push_str(l);
            s.push('\n');
        }
        s
    }

    #[test]
    fn parse_is_strict_and_round_trips() {
        let sig = STANDARD.encode([1u8, 2, 3, 4, 5, 6, 7]);
        let good = note_with(&[
            &format!("\u{2014} a.example/w1 {sig}"),
            &format!("\u{2014} rekor.sigstore.dev {sig}"),
        ]);
        let n = SignedNote::parse(&good).unwrap();
        assert_eq!(n.text, "origin\n");
        assert_eq!(n.signatures.len(), 2);
        assert_eq!(n.signatures[0].name, "a.example/w1");
        assert_eq!(n.signatures[0].key_hint, [1, 2, 3, 4]);
        assert_eq!(n.signatures[0].signature, vec![5, 6, 7]);
        assert_eq!(n.encode(), good);

        // Split at the last blank line: earlier blank lines belong to the text.
        let two = format!("a\n\nb\n\n\u{2014} k {sig}\n");
        assert_eq!(SignedNote::parse(&two).unwrap().text, "a\n\nb\n");

        let line_err = |note: &str| match SignedNote::parse(note) {
            Err(TlogError::MalformedSignatureLine { line, .. }) => line,
            other => panic!("{note:?}: {other:?}"),
        };
        assert_eq!(line_err(&note_with(&[&format!("- k {sig}")])), 1);
        assert_eq!(line_err(&note_with(&[&format!("\u{2014}k {sig}")])), 1);
        assert_eq!(line_err(&note_with(&["\u{2014} k AAAAAA=="])), 1); // 4 bytes
        assert_eq!(line_err(&note_with(&["\u{2014} k"])), 1);
        assert_eq!(line_err(&note_with(&["\u{2014} k "])), 1);
        assert_eq!(line_err(&note_with(&[&format!("\u{2014}  {sig}")])), 1); // empty name
        assert_eq!(line_err(&note_with(&[&format!("\u{2014} k  {sig}")])), 1); // two spaces
        assert_eq!(line_err(&note_with(&[&format!("\u{2014} a+b {sig}")])), 1);
        assert_eq!(
            line_err(&note_with(&[&format!("\u{2014} a\u{a0}b {sig}")])),
            1
        );
        assert_eq!(line_err(&note_with(&[&format!("\u{2014} k {sig} ")])), 1);
        assert_eq!(
            line_err(&note_with(&[&format!(
                "\u{2014} k {}",
                sig.trim_end_matches('=')
            )])),
            1
        );
        assert_eq!(
            line_err(&note_with(&[
                &format!("\u{2014} k {sig}"),
                &format!("\u{2014} k {sig}x")
            ])),
            2
        );

        for bad in [
            String::new(),
            "origin\n".into(),
            "origin\n\n".into(),
            format!("origin\n\n\u{2014} k {sig}"),
            format!("origin\n\n\u{2014} k {sig}\n\n"),
            format!("ori\rgin\n\n\u{2014} k {sig}\n"),
            format!("ori\tgin\n\n\u{2014} k {sig}\n"),
            format!("ori\u{7f}gin\n\n\u{2014} k {sig}\n"),
        ] {
            assert!(
                matches!(
                    SignedNote::parse(&bad),
                    Err(TlogError::MalformedNote { .. })
                ),
                "{bad:?}"
            );
        }

        let line = format!("\u{2014} k {sig}");
        let max = vec![line.as_str(); limits::MAX_NOTE_SIGNATURES];
        assert!(SignedNote::parse(&note_with(&max)).is_ok());
        let over = vec![line.as_str(); limits::MAX_NOTE_SIGNATURES + 1];
        assert!(matches!(
            SignedNote::parse(&note_with(&over)),
            Err(TlogError::TooManySignatures { count: 101, .. })
        ));
        let huge = format!("{}\n\n{line}\n", "a".repeat(limits::MAX_NOTE_BYTES));
        assert!(matches!(
            SignedNote::parse(&huge),
            Err(TlogError::NoteTooLarge { .. })
        ));
    }

    #[test]
    fn checkpoints_parse_strictly_and_round_trip() {
        let root = STANDARD.encode([7u8; 32]);
        let plain = format!("log.example\n0\n{root}\n");
        let cp = Checkpoint::parse(&plain).unwrap();
        assert_eq!(cp.size, TreeSize(0));
        assert_eq!(cp.root_hash, Sha256Hash([7; 32]));
        assert_eq!(cp.to_text(), plain);
        let v1 = format!(
            "rekor.sigstore.dev - 2605736670972794746\n23083062\n{root}\nTimestamp: 1689177396617352539\n"
        );
        let cp = Checkpoint::parse(&v1).unwrap();
        assert_eq!(cp.origin, "rekor.sigstore.dev - 2605736670972794746");
        assert_eq!(cp.extensions, vec!["Timestamp: 1689177396617352539"]);
        assert_eq!(cp.to_text(), v1);
        let max = format!("o\n{}\n{root}\n", u64::MAX);
        assert_eq!(Checkpoint::parse(&max).unwrap().size, TreeSize(u64::MAX));

        let unpadded = root.trim_end_matches('=');
        for bad in [
            format!("\n1\n{root}\n"),
            format!("o\n01\n{root}\n"),
            format!("o\n+1\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("o\n1 \n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            format!("o\n\n{root}\n"),
            format!("o\n{root}\n"),
            format!("o\n1\n{unpadded}\n"),
            format!("o\n1\n{}\n", STANDARD.encode([7u8; 31])),
            format!("o\n1\n{root}"),
            format!("o\n1\n{root}\n\next\n"),
            format!("o\r\n1\n{root}\n"),
            "o\n1\n".to_string(),
            "o\n".to_string(),
        ] {
            assert!(
                matches!(
                    Checkpoint::parse(&bad),
                    Err(TlogError::MalformedCheckpoint { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn verify_note_rules() {
        let log =
            EcdsaNoteSigner::new("log.example", SigningKey::generate_p256().unwrap()).unwrap();
        let witness = Ed25519NoteSigner::generate("witness.example/w").unwrap();
        let stranger = Ed25519NoteSigner::generate("log.example").unwrap();
        let cp = Checkpoint {
            origin: "log.example - 7".into(),
            size: TreeSize(3),
            root_hash: Sha256Hash([7; 32]),
            extensions: vec![],
        };
        let text = cp.to_text();
        // The log's line need not come first; unknown keys are ignored.
        let note = sign_note(&text, &[&witness, &stranger, &log]).unwrap();
        let by_name = log.verifier();
        let any_name = EcdsaNoteVerifier::any_name(by_name.key.clone());
        for v in [&by_name as &dyn NoteVerifier, &any_name] {
            let verified = verify_checkpoint(&note, &[v]).unwrap();
            assert_eq!(verified.checkpoint(), &cp);
            assert_eq!(verified.note().verified_signatures().len(), 1);
            assert_eq!(verified.note().verified_signatures()[0].name, "log.example");
        }
        // Both known: both verify and are reported.
        let both = verify_checkpoint(&note, &[&by_name, &witness.verifier()]).unwrap();
        assert_eq!(both.note().verified_signatures().len(), 2);

        // A name-bound verifier does not match another name.
        let other_name = EcdsaNoteVerifier::new("log2.example", by_name.key.clone());
        assert_eq!(
            verify_checkpoint(&note, &[&other_name]),
            Err(TlogError::NoVerifiedSignature)
        );
        // No known key at all.
        assert_eq!(
            verify_checkpoint(&note, &[]),
            Err(TlogError::NoVerifiedSignature)
        );
        // A known key whose signature fails is an error even if another known key verifies.
        let mut parsed = SignedNote::parse(&note).unwrap();
        parsed.signatures[0].signature[0] ^= 1;
        assert!(matches!(
            verify_note(&parsed, &[&by_name, &witness.verifier()]),
            Err(TlogError::BadSignature { .. })
        ));
        assert!(verify_note(&parsed, &[&by_name]).is_ok());
        // Tampered text.
        let tampered = note.replacen("\n3\n", "\n4\n", 1);
        assert!(matches!(
            verify_checkpoint(&tampered, &[&any_name]),
            Err(TlogError::BadSignature { .. })
        ));
        // A verified note whose text is not a checkpoint.
        let not_cp = sign_note("hello\n", &[&log]).unwrap();
        assert!(matches!(
            verify_checkpoint(&not_cp, &[&by_name]),
            Err(TlogError::MalformedCheckpoint { .. })
        ));
        // Signing refuses text that cannot be a note, and bad names.
        assert!(sign_note("no newline", &[&log]).is_err());
        assert!(sign_note("a\u{7}\n", &[&log]).is_err());
        assert!(Ed25519NoteSigner::generate("a+b").is_err());
        assert!(EcdsaNoteSigner::new("", SigningKey::generate_p256().unwrap()).is_err());
        let der = Ed25519KeyPair::generate()
            .unwrap()
            .to_pkcs8()
            .unwrap()
            .as_ref()
            .to_vec();
        let s = Ed25519NoteSigner::from_pkcs8_der("k", &der).unwrap();
        assert_eq!(s.verifier().key_id(), ed25519_key_id("k", &s.public_key()));
        assert!(Ed25519NoteSigner::from_pkcs8_der("k", &der[1..]).is_err());
    }

    #[test]
    fn verified_checkpoint_checks_proofs() {
        let mut tree = crate::MerkleTree::new();
        for i in 0..10u8 {
            tree.append(crate::leaf_hash(&[i])).unwrap();
        }
        let signer = Ed25519NoteSigner::generate("log.example").unwrap();
        let v = signer.verifier();
        let checkpoint = |size: u64| {
            let text = Checkpoint {
                origin: "log.example".into(),
                size: TreeSize(size),
                root_hash: tree.root(TreeSize(size)).unwrap(),
                extensions: vec![],
            }
            .to_text();
            verify_checkpoint(&sign_note(&text, &[&signer]).unwrap(), &[&v]).unwrap()
        };
        let (old, new) = (checkpoint(6), checkpoint(10));
        let proof = tree.inclusion_proof(LogIndex(4), TreeSize(10)).unwrap();
        new.verify_inclusion(LogIndex(4), &crate::leaf_hash(&[4]), &proof)
            .unwrap();
        assert!(
            new.verify_inclusion(LogIndex(4), &crate::leaf_hash(&[5]), &proof)
                .is_err()
        );
        let proof = tree.consistency_proof(TreeSize(6), TreeSize(10)).unwrap();
        old.verify_consistency(&new, &proof).unwrap();
        assert!(new.verify_consistency(&old, &proof).is_err());
    }

    /// Whatever the parsers accept, they give back byte for byte (a cheap in-tree version of the
    /// `signed_note` fuzz target's oracle, over mutations of real notes).
    #[test]
    fn mutated_notes_round_trip_exactly() {
        let seeds = [
            format!("{GO_TEXT}\n{GO_SIG}"),
            "rekor.sigstore.dev - 2605736670972794746\n23083062\ndauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=\nTimestamp: 1689177396617352539\n\n\u{2014} rekor.sigstore.dev wNI9ajBFAiBxaGyEtxkzFLkaCSEJqFuSS3dJjEZCNiyByVs1CNVQ8gIhAOoNnXtmMtTctV2oRnSRUZAo4EWUYPK/vBsqOzAU6TMs\n".to_string(),
            "log2025-alpha1.rekor.sigstage.dev\n736\nrs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=\n\n\u{2014} witness.example O8PH5AAAAABopO8+4O9uzScQrNEnGdKLYXSPoUjH1Se4n92W+wT/j5Kel/4J2XWE4bEe9bpIVUD6EGOeUDFkSWz/rbDhvVcJ/2OrDw==\n\u{2014} log2025-alpha1.rekor.sigstage.dev 8w1amdbj1mjNN674dHAkD92+QZoEgBC7o0mXYSTRluDjQrOPjrps3zQB9ut+ShLepyZPsWBDi5IB3yXyjgjQT6OG9A8=\n".to_string(),
        ];
        let alphabet: Vec<char> = "\n \u{2014}+=/A0z1\r\t\u{a0}-".chars().collect();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut accepted, mut checkpoints) = (0, 0);
        for round in 0..6000 {
            let mut chars: Vec<char> = seeds[round % seeds.len()].chars().collect();
            for _ in 0..1 + next(3) {
                let at = next(chars.len());
                match next(3) {
                    0 => chars[at] = alphabet[next(alphabet.len())],
                    1 => chars.insert(at, alphabet[next(alphabet.len())]),
                    _ => {
                        chars.remove(at);
                    }
                }
            }
            let input: String = chars.into_iter().collect();
            if let Ok(note) = SignedNote::parse(&input) {
                accepted += 1;
                assert_eq!(note.encode(), input);
                if let Ok(cp) = Checkpoint::parse(&note.text) {
                    checkpoints += 1;
                    assert_eq!(cp.to_text(), note.text);
                }
            }
        }
        assert!(
            accepted > 100 && checkpoints > 50,
            "{accepted} {checkpoints}"
        );
    }
}
