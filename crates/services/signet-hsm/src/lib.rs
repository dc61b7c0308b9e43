//! Signing keys in a PKCS#11 token (a hardware security module; SoftHSM2 in tests).
//!
//! A key is named by an RFC 7512 `pkcs11:` URI ([`Pkcs11Uri`]). [`open_key`] loads the module,
//! finds the token and the private key, logs in, and returns a [`signet_crypto::SigningKey`]
//! whose signatures the token makes: signet hashes the message (SHA-256; keys are ECDSA P-256),
//! the token signs the digest with `CKM_ECDSA`, and its raw `r‖s` is re-encoded as the DER
//! `SEQUENCE { r, s }` every signet verifier and Sigstore client expects — the same bytes a file
//! key produces. [`create_key`] generates a P-256 key pair in the token (private half sensitive
//! and never extractable). Services take the [`signet_crypto::SigningKey`] and do not know where
//! the key lives.

mod uri;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use signet_crypto::{ExternalSigner, PublicKey, SigningKey};

pub use uri::{Pin, Pkcs11Uri, mask_pin};

/// DER of the P-256 curve OID (`CKA_EC_PARAMS` of a P-256 key).
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// The DER SubjectPublicKeyInfo of a P-256 key up to its 65-byte uncompressed point.
const P256_SPKI_PREFIX: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// The most bytes of a PIN file read.
const MAX_PIN_FILE: u64 = 1024;

/// Errors of the HSM layer. Each names what is wrong in one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HsmError {
    /// The `pkcs11:` URI is malformed.
    #[error("PKCS#11 URI: {0}")]
    Uri(String),
    /// The module could not be loaded or initialised.
    #[error("PKCS#11 module {path}: {reason}")]
    Module {
        /// The module path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No token matches the URI.
    #[error("PKCS#11 token not found: no token with {0}")]
    TokenNotFound(String),
    /// The PIN was refused.
    #[error("PKCS#11 login to token {token} failed: wrong PIN (CKR_PIN_INCORRECT)")]
    WrongPin {
        /// The token.
        token: String,
    },
    /// The PIN file could not be read.
    #[error("PKCS#11 PIN file {path}: {reason}")]
    PinFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No (or more than one) key matches the URI.
    #[error("PKCS#11 key {0}")]
    Key(String),
    /// Any other PKCS#11 failure.
    #[error("PKCS#11 {0}")]
    Pkcs11(String),
}

fn p11(what: &str) -> impl Fn(P11Error) -> HsmError + '_ {
    move |e| HsmError::Pkcs11(format!("{what}: {e}"))
}

/// One initialised context per module per process (`C_Initialize` may run only once).
fn context(path: &Path) -> Result<Pkcs11, HsmError> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let module = |reason: String| HsmError::Module {
        path: path.to_path_buf(),
        reason,
    };
    let mut map = MODULES
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| module("module table poisoned".into()))?;
    if let Some(c) = map.get(path) {
        return Ok(c.clone());
    }
    if !path.is_file() {
        return Err(module("no such file (check module-path)".into()));
    }
    let ctx = Pkcs11::new(path).map_err(|e| module(format!("cannot load: {e}")))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(P11Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(module(format!(
                "C_Initialize failed: {e} (for SoftHSM2: is SOFTHSM2_CONF set, and its token \
                 directory there?)"
            )));
        }
    }
    map.insert(path.to_path_buf(), ctx.clone());
    Ok(ctx)
}

fn token_desc(uri: &Pkcs11Uri) -> String {
    let mut d = Vec::new();
    if let Some(t) = &uri.token {
        d.push(format!("label {t:?}"));
    }
    if let Some(s) = &uri.serial {
        d.push(format!("serial {s:?}"));
    }
    if let Some(s) = uri.slot_id {
        d.push(format!("slot-id {s}"));
    }
    d.join(", ")
}

fn find_slot(ctx: &Pkcs11, uri: &Pkcs11Uri) -> Result<Slot, HsmError> {
    let slots = ctx
        .get_slots_with_initialized_token()
        .map_err(p11("listing slots"))?;
    let mut found = Vec::new();
    for slot in slots {
        let info = ctx
            .get_token_info(slot)
            .map_err(p11("reading token info"))?;
        let ok = uri.token.as_deref().is_none_or(|t| info.label() == t)
            && uri
                .serial
                .as_deref()
                .is_none_or(|s| info.serial_number() == s)
            && uri.slot_id.is_none_or(|id| slot.id() == id);
        if ok {
            found.push(slot);
        }
    }
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(HsmError::TokenNotFound(token_desc(uri))),
        _ => Err(HsmError::TokenNotFound(format!(
            "{} only: {} tokens match, name one by serial=",
            token_desc(uri),
            found.len()
        ))),
    }
}

fn read_pin(uri: &Pkcs11Uri) -> Result<Option<AuthPin>, HsmError> {
    match &uri.pin {
        Pin::Value(p) => Ok(Some(p.clone())),
        Pin::None => Ok(None),
        Pin::File(path) => {
            let err = |reason: String| HsmError::PinFile {
                path: path.clone(),
                reason,
            };
            use std::io::Read;
            let f = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
            let mut text = String::new();
            f.take(MAX_PIN_FILE)
                .read_to_string(&mut text)
                .map_err(|e| err(e.to_string()))?;
            let pin = text.lines().next().unwrap_or("").to_string();
            if pin.is_empty() {
                return Err(err("empty".into()));
            }
            Ok(Some(AuthPin::new(pin.into())))
        }
    }
}

fn login(session: &Session, uri: &Pkcs11Uri) -> Result<(), HsmError> {
    let pin = read_pin(uri)?;
    match session.login(UserType::User, pin.as_ref()) {
        // Login is per token and process: another key of this token may have logged in.
        Ok(()) | Err(P11Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(P11Error::Pkcs11(RvError::PinIncorrect, _)) => Err(HsmError::WrongPin {
            token: token_desc(uri),
        }),
        Err(P11Error::Pkcs11(RvError::PinLocked, _)) => Err(HsmError::Pkcs11(format!(
            "login to token {}: the PIN is locked (too many wrong PINs)",
            token_desc(uri)
        ))),
        Err(e) => Err(HsmError::Pkcs11(format!(
            "login to token {}: {e}",
            token_desc(uri)
        ))),
    }
}

fn key_desc(uri: &Pkcs11Uri) -> String {
    let mut d = Vec::new();
    if let Some(o) = &uri.object {
        d.push(format!("object={o:?}"));
    }
    if let Some(i) = &uri.id {
        let hex: String = i.iter().map(|b| format!("{b:02x}")).collect();
        d.push(format!("id={hex}"));
    }
    format!("{} in token {}", d.join(" "), token_desc(uri))
}

fn template(uri: &Pkcs11Uri, class: ObjectClass) -> Vec<Attribute> {
    let mut t = vec![Attribute::Class(class)];
    if let Some(o) = &uri.object {
        t.push(Attribute::Label(o.as_bytes().to_vec()));
    }
    if let Some(i) = &uri.id {
        t.push(Attribute::Id(i.clone()));
    }
    t
}

fn find_one(
    session: &Session,
    uri: &Pkcs11Uri,
    class: ObjectClass,
    what: &str,
) -> Result<ObjectHandle, HsmError> {
    let found = session
        .find_objects(&template(uri, class))
        .map_err(p11("finding the key"))?;
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(HsmError::Key(format!(
            "not found: no {what} with {}",
            key_desc(uri)
        ))),
        _ => Err(HsmError::Key(format!(
            "ambiguous: {} {what}s match {}; name one by id=",
            found.len(),
            key_desc(uri)
        ))),
    }
}

/// The public key of the key pair `uri` names: the public object with the private key's
/// `CKA_ID` (or the URI's label/ID), which must be ECDSA P-256.
fn public_key(
    session: &Session,
    uri: &Pkcs11Uri,
    private: ObjectHandle,
) -> Result<PublicKey, HsmError> {
    let id = session
        .get_attributes(private, &[AttributeType::Id])
        .map_err(p11("reading the key's CKA_ID"))?
        .into_iter()
        .find_map(|a| match a {
            Attribute::Id(id) if !id.is_empty() => Some(id),
            _ => None,
        });
    let mut by = uri.clone();
    if id.is_some() {
        by.id = id;
    }
    let public = find_one(session, &by, ObjectClass::PUBLIC_KEY, "public key")?;
    let attrs = session
        .get_attributes(public, &[AttributeType::EcParams, AttributeType::EcPoint])
        .map_err(p11("reading the public key"))?;
    let mut params = None;
    let mut point = None;
    for a in attrs {
        match a {
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(p),
            _ => {}
        }
    }
    let (Some(params), Some(point)) = (params, point) else {
        return Err(HsmError::Key(format!(
            "{} is not an EC key (no CKA_EC_PARAMS/CKA_EC_POINT)",
            key_desc(uri)
        )));
    };
    if params != P256_PARAMS {
        return Err(HsmError::Key(format!(
            "{} is not on curve P-256 (signet's HSM keys are ECDSA P-256)",
            key_desc(uri)
        )));
    }
    // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point (some modules give the
    // bare point).
    use der::Decode;
    let raw = match <&der::asn1::OctetStringRef>::from_der(&point) {
        Ok(o) => o.as_bytes().to_vec(),
        Err(_) => point.clone(),
    };
    let mut spki = P256_SPKI_PREFIX.to_vec();
    spki.extend_from_slice(&raw);
    PublicKey::from_spki_der(&spki)
        .map_err(|e| HsmError::Key(format!("{}: bad public key: {e}", key_desc(uri))))
}

/// Re-encodes a raw ECDSA signature `r‖s` (as `CKM_ECDSA` returns it) as DER
/// `SEQUENCE { INTEGER r, INTEGER s }`.
pub fn raw_to_der(raw: &[u8]) -> Result<Vec<u8>, HsmError> {
    use der::Encode;
    #[derive(der::Sequence)]
    struct EcdsaSig<'a> {
        r: der::asn1::UintRef<'a>,
        s: der::asn1::UintRef<'a>,
    }
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return Err(HsmError::Pkcs11(format!(
            "the token returned a {}-byte ECDSA signature (expected r||s of even length)",
            raw.len()
        )));
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let bad = |e: der::Error| HsmError::Pkcs11(format!("ECDSA signature: {e}"));
    EcdsaSig {
        r: der::asn1::UintRef::new(r).map_err(bad)?,
        s: der::asn1::UintRef::new(s).map_err(bad)?,
    }
    .to_der()
    .map_err(bad)
}

/// A private key in a token: a logged-in session (one at a time signs) and the key's handle.
struct TokenKey {
    session: Mutex<Session>,
    handle: ObjectHandle,
}

impl ExternalSigner for TokenKey {
    fn sign_sha256_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, String> {
        let session = self
            .session
            .lock()
            .map_err(|_| "PKCS#11 session poisoned".to_string())?;
        let raw = session
            .sign(&Mechanism::Ecdsa, self.handle, digest)
            .map_err(|e| format!("PKCS#11 C_Sign: {e}"))?;
        raw_to_der(&raw).map_err(|e| e.to_string())
    }
}

/// Opens the key `uri` names: loads the module, finds the token, logs in, finds the private key
/// and its public key, and checks they are a pair by signing a probe.
pub fn open_key(uri: &Pkcs11Uri) -> Result<SigningKey, HsmError> {
    let ctx = context(&uri.module_path)?;
    let slot = find_slot(&ctx, uri)?;
    let session = ctx
        .open_ro_session(slot)
        .map_err(p11("opening a session"))?;
    login(&session, uri)?;
    let private = find_one(&session, uri, ObjectClass::PRIVATE_KEY, "private key")?;
    let public = public_key(&session, uri, private)?;
    let key = SigningKey::external(
        public,
        Arc::new(TokenKey {
            session: Mutex::new(session),
            handle: private,
        }),
    )
    .map_err(|e| HsmError::Key(format!("{}: {e}", key_desc(uri))))?;
    key.check()
        .map_err(|e| HsmError::Key(format!("{}: {e}", key_desc(uri))))?;
    Ok(key)
}

/// Generates an ECDSA P-256 key pair in the token `uri` names, labelled by its `object` and with
/// its `id` (a random 8-byte `CKA_ID` when the URI gives none, so the halves pair by ID): the
/// private half sensitive, never extractable, for signing only. Refuses when a key with that
/// label or ID exists. Returns the public key.
pub fn create_key(uri: &Pkcs11Uri) -> Result<PublicKey, HsmError> {
    let ctx = context(&uri.module_path)?;
    let slot = find_slot(&ctx, uri)?;
    let session = ctx
        .open_rw_session(slot)
        .map_err(p11("opening a read-write session"))?;
    login(&session, uri)?;
    for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
        for t in [
            uri.object.as_ref().map(|o| {
                vec![
                    Attribute::Class(class),
                    Attribute::Label(o.as_bytes().to_vec()),
                ]
            }),
            uri.id
                .as_ref()
                .map(|i| vec![Attribute::Class(class), Attribute::Id(i.clone())]),
        ]
        .into_iter()
        .flatten()
        {
            let found = session.find_objects(&t).map_err(p11("finding keys"))?;
            if !found.is_empty() {
                return Err(HsmError::Key(format!(
                    "{} already exists: choose another object= label (keys are never replaced)",
                    key_desc(uri)
                )));
            }
        }
    }
    let id = match &uri.id {
        Some(i) => i.clone(),
        None => session
            .generate_random_vec(8)
            .map_err(p11("generating a key ID"))?,
    };
    let mut public_t = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::KeyType(KeyType::EC),
        Attribute::Verify(true),
        Attribute::EcParams(P256_PARAMS.to_vec()),
        Attribute::Id(id.clone()),
    ];
    let mut private_t = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::KeyType(KeyType::EC),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Id(id.clone()),
    ];
    if let Some(o) = &uri.object {
        public_t.push(Attribute::Label(o.as_bytes().to_vec()));
        private_t.push(Attribute::Label(o.as_bytes().to_vec()));
    }
    let (_, private) = session
        .generate_key_pair(&Mechanism::EccKeyPairGen, &public_t, &private_t)
        .map_err(p11("generating the key pair"))?;
    let mut by = uri.clone();
    by.id = Some(id);
    public_key(&session, &by, private)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_signatures_become_der() {
        // Top bit set in r (needs a 0x00), leading zero in s (stripped).
        let mut raw = vec![0x80; 32];
        raw.extend([0x00, 0x01]);
        raw.extend([0x7f; 30]);
        let der = raw_to_der(&raw).unwrap();
        assert_eq!(der.first(), Some(&0x30));
        assert_eq!(&der[2..5], &[0x02, 0x21, 0x00]);
        assert_eq!(&der[37..39], &[0x02, 0x1f]);
        assert_eq!(der.len(), 2 + 35 + 33);
        assert!(raw_to_der(&[1, 2, 3]).is_err());
        assert!(raw_to_der(&[]).is_err());
    }

    #[test]
    fn der_signature_from_raw_verifies() {
        // A raw signature from aws-lc's fixed-length signer, converted, verifies as DER.
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let mut spki = P256_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(pair.public_key().as_ref());
        let public = PublicKey::from_spki_der(&spki).unwrap();
        for _ in 0..64 {
            let raw = pair.sign(&rng, b"msg").unwrap();
            let der = raw_to_der(raw.as_ref()).unwrap();
            public.verify(b"msg", &der).unwrap();
            assert!(public.verify(b"msh", &der).is_err());
        }
    }
}
