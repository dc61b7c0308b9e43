//! ID-token (JWS compact serialization) verification. No I/O: keys come in as a [`Jwks`] and
//! the current time as a number of seconds since the Unix epoch.
//!
//! The checks follow coreos/go-oidc as Fulcio uses it (`pkg/identity/issuerpool.go`): exactly one
//! signature, an asymmetric algorithm, `iss` equal to the issuer, `aud` containing the client
//! id, `exp` required and not passed, `nbf`/`iat` not in the future.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use crate::OidcError;
use crate::config::{Issuer, IssuerUrl};
use signet_types::jwt;

/// Largest token accepted, in bytes (Fulcio fixed an OOM on huge tokens, GHSA-f83f-xpx7-ffpw).
pub use signet_types::jwt::MAX_TOKEN_LEN;
/// Largest JWKS document accepted, in bytes.
pub const MAX_JWKS_LEN: usize = 256 * 1024;
/// Most keys kept from one JWKS.
pub const MAX_JWKS_KEYS: usize = 64;

/// Algorithms accepted in the JWS header. `none` and the HMAC algorithms never are.
const ALLOWED: &[(&str, Algorithm)] = &[
    ("RS256", Algorithm::RS256),
    ("RS384", Algorithm::RS384),
    ("RS512", Algorithm::RS512),
    ("PS256", Algorithm::PS256),
    ("ES256", Algorithm::ES256),
    ("ES384", Algorithm::ES384),
    ("EdDSA", Algorithm::EdDSA),
];

fn allowed_alg(name: &str) -> Option<Algorithm> {
    ALLOWED.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

fn malformed(why: impl Into<String>) -> OidcError {
    OidcError::Malformed(why.into())
}

fn split(token: &str) -> Result<jwt::Parts<'_>, OidcError> {
    jwt::split(token).map_err(|e| OidcError::Malformed(e.0))
}

fn decode_json_object(part: &str, what: &str) -> Result<Map<String, Value>, OidcError> {
    jwt::decode_json_object(part, what).map_err(|e| OidcError::Malformed(e.0))
}

/// The payload claims of a token **without verifying anything** (a signer picking its proof
/// of possession subject; the CA verifies the token). Bounded; never panics.
pub fn unverified_claims(token: &str) -> Result<serde_json::Map<String, Value>, OidcError> {
    jwt::unverified_claims(token).map_err(|e| OidcError::Malformed(e.0))
}

/// Reads `iss` from a token **without verifying anything**, to pick the issuer whose keys
/// will verify it. Never panics, whatever the input.
pub fn unverified_issuer(token: &str) -> Result<String, OidcError> {
    let payload = unverified_claims(token)?;
    match payload.get("iss") {
        Some(Value::String(iss)) if !iss.is_empty() => Ok(iss.clone()),
        _ => Err(OidcError::MissingClaim("iss".into())),
    }
}

/// One usable verification key from a JWKS.
#[derive(Clone)]
struct JwkEntry {
    kid: Option<String>,
    /// `alg` from the JWK, when given; the token's algorithm must then be the same.
    alg: Option<Algorithm>,
    kind: KeyKind,
    key: DecodingKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyKind {
    fn fits(self, alg: Algorithm) -> bool {
        match self {
            Self::Rsa => matches!(
                alg,
                Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256
            ),
            Self::P256 => alg == Algorithm::ES256,
            Self::P384 => alg == Algorithm::ES384,
            Self::Ed25519 => alg == Algorithm::EdDSA,
        }
    }
}

/// A parsed JSON Web Key Set, keeping only keys this crate can verify with.
#[derive(Clone, Default)]
pub struct Jwks {
    keys: Vec<JwkEntry>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<_> = self
            .keys
            .iter()
            .map(|k| (k.kid.as_deref(), k.kind))
            .collect();
        f.debug_struct("Jwks").field("keys", &kids).finish()
    }
}

impl Jwks {
    /// Parses `{"keys": [...]}`. Keys with an unsupported `kty`, curve or `alg`, with
    /// `use` other than `sig`, or with bad parameters are skipped; a document that is not a
    /// JWKS at all is an error. Never panics, whatever the input.
    pub fn from_json(bytes: &[u8]) -> Result<Self, OidcError> {
        if bytes.len() > MAX_JWKS_LEN {
            return Err(malformed(format!("JWKS larger than {MAX_JWKS_LEN} bytes")));
        }
        let doc: Value =
            serde_json::from_slice(bytes).map_err(|e| malformed(format!("JWKS: {e}")))?;
        let Some(Value::Array(keys)) = doc.get("keys") else {
            return Err(malformed("JWKS has no \"keys\" array"));
        };
        let keys = keys
            .iter()
            .filter_map(parse_jwk)
            .take(MAX_JWKS_KEYS)
            .collect();
        Ok(Self { keys })
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key was usable.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether a key with this `kid` is present.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    fn select(&self, kid: Option<&str>, alg: Algorithm) -> Result<&JwkEntry, OidcError> {
        let fits = |k: &&JwkEntry| k.kind.fits(alg) && k.alg.is_none_or(|a| a == alg);
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .filter(|k| k.kid.as_deref() == Some(kid))
                .find(fits)
                .ok_or(OidcError::UnknownKey),
            None => match self.keys.as_slice() {
                [only] if fits(&only) => Ok(only),
                _ => Err(OidcError::UnknownKey),
            },
        }
    }
}

fn b64_len(s: &str) -> Option<usize> {
    URL_SAFE_NO_PAD.decode(s).ok().map(|b| b.len())
}

fn parse_jwk(v: &Value) -> Option<JwkEntry> {
    let str_field = |name: &str| v.get(name).and_then(Value::as_str);
    if v.get("use").is_some_and(|u| u.as_str() != Some("sig")) {
        return None;
    }
    let alg = match v.get("alg") {
        None => None,
        Some(a) => Some(allowed_alg(a.as_str()?)?),
    };
    let kid = match v.get("kid") {
        None => None,
        Some(k) => Some(k.as_str()?.to_owned()),
    };
    let (kind, key) = match str_field("kty")? {
        "RSA" => {
            let (n, e) = (str_field("n")?, str_field("e")?);
            let n_len = b64_len(n)?;
            let e_len = b64_len(e)?;
            if !(256..=1024).contains(&n_len) || e_len == 0 || e_len > 8 {
                return None; // 2048..8192-bit moduli only
            }
            (KeyKind::Rsa, DecodingKey::from_rsa_components(n, e).ok()?)
        }
        "EC" => {
            let (kind, len) = match str_field("crv")? {
                "P-256" => (KeyKind::P256, 32),
                "P-384" => (KeyKind::P384, 48),
                _ => return None,
            };
            let (x, y) = (str_field("x")?, str_field("y")?);
            if b64_len(x)? != len || b64_len(y)? != len {
                return None;
            }
            (kind, DecodingKey::from_ec_components(x, y).ok()?)
        }
        "OKP" => {
            if str_field("crv")? != "Ed25519" {
                return None;
            }
            let x = str_field("x")?;
            if b64_len(x)? != 32 {
                return None;
            }
            (KeyKind::Ed25519, DecodingKey::from_ed_components(x).ok()?)
        }
        _ => return None,
    };
    if alg.is_some_and(|a| !kind.fits(a)) {
        return None;
    }
    Some(JwkEntry {
        kid,
        alg,
        kind,
        key,
    })
}

/// The claims of a token that passed [`verify`]. Keeps the whole JSON object so that templates
/// and issuer-claim paths can read any claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    map: Map<String, Value>,
}

impl Claims {
    /// Only [`verify`] (and tests) build claims.
    pub(crate) fn from_map(map: Map<String, Value>) -> Self {
        Self { map }
    }

    /// The raw claims object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// One claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }

    /// A string claim; `MissingClaim` when absent, empty or not a string.
    pub fn string(&self, name: &str) -> Result<&str, OidcError> {
        match self.map.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s),
            _ => Err(OidcError::MissingClaim(name.to_owned())),
        }
    }

    /// `iss` (always present after verification).
    pub fn issuer(&self) -> Result<&str, OidcError> {
        self.string("iss")
    }

    /// `sub`.
    pub fn subject(&self) -> Result<&str, OidcError> {
        self.string("sub")
    }
}

/// A NumericDate claim as whole seconds; absent ⇒ `None`, non-numeric ⇒ malformed.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, OidcError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite()) {
                // Saturating float-to-int conversion; fractional seconds are truncated.
                Ok(Some(f.floor() as i64))
            } else {
                Err(malformed(format!("{name} is not a number")))
            }
        }
        Some(_) => Err(malformed(format!("{name} is not a number"))),
    }
}

/// Verifies `token` for `issuer` with `jwks` at time `now_unix`, allowing `max_skew_secs` of
/// clock skew on `exp`, `nbf` and `iat`.
///
/// For an exact issuer `iss` must equal its URL; for a meta issuer `iss` must match the
/// pattern as a whole (and is then the token's own value).
pub fn verify(
    token: &str,
    issuer: &Issuer,
    jwks: &Jwks,
    now_unix: i64,
    max_skew_secs: i64,
) -> Result<Claims, OidcError> {
    let parts = split(token)?;
    let header = decode_json_object(parts.header, "header")?;
    let alg_name = match header.get("alg") {
        Some(Value::String(a)) => a.as_str(),
        _ => return Err(malformed("header has no alg")),
    };
    let alg = allowed_alg(alg_name)
        .ok_or_else(|| OidcError::UnsupportedAlgorithm(alg_name.to_owned()))?;
    if header.contains_key("crit") {
        return Err(malformed("critical header parameters are not supported"));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.as_str()),
        Some(_) => return Err(malformed("kid is not a string")),
    };
    let key = jwks.select(kid, alg)?;

    let message = parts.signed.as_bytes();
    if URL_SAFE_NO_PAD.decode(parts.signature).is_err() {
        return Err(malformed("signature is not base64url"));
    }
    match jsonwebtoken::crypto::verify(parts.signature, message, &key.key, alg) {
        Ok(true) => {}
        Ok(false) | Err(_) => return Err(OidcError::BadSignature),
    }

    // Only now is the payload trusted enough to look at.
    let claims = decode_json_object(parts.payload, "payload")?;
    let iss = match claims.get("iss") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(OidcError::MissingClaim("iss".into())),
    };
    let iss_ok = match issuer.url() {
        IssuerUrl::Exact(url) => iss == url,
        wildcard @ IssuerUrl::Wildcard { .. } => wildcard.matches(iss),
    };
    if !iss_ok {
        return Err(OidcError::WrongIssuer);
    }

    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == issuer.client_id(),
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(issuer.client_id())),
        None => return Err(OidcError::MissingClaim("aud".into())),
        Some(_) => return Err(malformed("aud is neither a string nor an array")),
    };
    if !aud_ok {
        return Err(OidcError::WrongAudience);
    }

    let skew = max_skew_secs.max(0);
    let exp = numeric_date(&claims, "exp")?.ok_or_else(|| OidcError::MissingClaim("exp".into()))?;
    if now_unix >= exp.saturating_add(skew) {
        return Err(OidcError::Expired);
    }
    for name in ["nbf", "iat"] {
        if numeric_date(&claims, name)?.is_some_and(|t| t > now_unix.saturating_add(skew)) {
            return Err(OidcError::NotYetValid);
        }
    }
    Ok(Claims::from_map(claims))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::config::IssuerType;
    use crate::dev::DevIssuer;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    const NOW: i64 = 1_750_000_000;
    const URL: &str = "https://dev.example";

    fn setup() -> (DevIssuer, Issuer, Jwks) {
        let dev = DevIssuer::generate(URL).unwrap();
        let issuer = dev.issuer_config(IssuerType::Email);
        let jwks = Jwks::from_json(dev.jwks_json().to_string().as_bytes()).unwrap();
        (dev, issuer, jwks)
    }

    fn extra(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn mint_then_verify_round_trips() {
        let (dev, issuer, jwks) = setup();
        let token = dev
            .mint(
                "alice",
                Some("alice@example.com"),
                "sigstore",
                NOW,
                300,
                extra(json!({"x": 1})),
            )
            .unwrap();
        assert_eq!(unverified_issuer(&token).unwrap(), URL);
        let claims = verify(&token, &issuer, &jwks, NOW + 10, 0).unwrap();
        assert_eq!(claims.subject().unwrap(), "alice");
        assert_eq!(claims.issuer().unwrap(), URL);
        assert_eq!(claims.get("email"), Some(&json!("alice@example.com")));
        assert_eq!(claims.get("x"), Some(&json!(1)));
    }

    #[test]
    fn expiry_and_skew() {
        let (dev, issuer, jwks) = setup();
        let token = dev
            .mint("a", None, "sigstore", NOW, 300, Map::new())
            .unwrap();
        assert!(verify(&token, &issuer, &jwks, NOW + 299, 0).is_ok());
        assert_eq!(
            verify(&token, &issuer, &jwks, NOW + 300, 0),
            Err(OidcError::Expired)
        );
        assert_eq!(
            verify(&token, &issuer, &jwks, NOW + 1000, 0),
            Err(OidcError::Expired)
        );
        assert!(verify(&token, &issuer, &jwks, NOW + 330, 60).is_ok());
        assert_eq!(
            verify(&token, &issuer, &jwks, NOW + 360, 60),
            Err(OidcError::Expired)
        );
        let no_exp = dev
            .mint("a", None, "sigstore", NOW, 300, extra(json!({"exp": null})))
            .unwrap();
        assert!(matches!(
            verify(&no_exp, &issuer, &jwks, NOW, 0),
            Err(OidcError::Malformed(_))
        ));
    }

    #[test]
    fn exp_is_required_and_numeric() {
        let (dev, issuer, jwks) = setup();
        let key = dev.encoding_key();
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(dev.kid().into());
        let t = jsonwebtoken::encode(&h, &json!({"iss": URL, "sub": "a", "aud": "sigstore"}), key)
            .unwrap();
        assert_eq!(
            verify(&t, &issuer, &jwks, NOW, 0),
            Err(OidcError::MissingClaim("exp".into()))
        );
        let t = dev
            .mint("a", None, "sigstore", NOW, 1, extra(json!({"exp": "soon"})))
            .unwrap();
        assert!(matches!(
            verify(&t, &issuer, &jwks, NOW, 0),
            Err(OidcError::Malformed(_))
        ));
        let t = dev
            .mint(
                "a",
                None,
                "sigstore",
                NOW,
                1,
                extra(json!({"exp": 1.75e9 + 100.5})),
            )
            .unwrap();
        assert!(verify(&t, &issuer, &jwks, NOW, 0).is_ok());
    }

    #[test]
    fn not_yet_valid() {
        let (dev, issuer, jwks) = setup();
        let nbf = dev
            .mint(
                "a",
                None,
                "sigstore",
                NOW,
                900,
                extra(json!({"nbf": NOW + 600})),
            )
            .unwrap();
        assert_eq!(
            verify(&nbf, &issuer, &jwks, NOW, 60),
            Err(OidcError::NotYetValid)
        );
        assert!(verify(&nbf, &issuer, &jwks, NOW + 550, 60).is_ok());
        let iat = dev
            .mint(
                "a",
                None,
                "sigstore",
                NOW,
                900,
                extra(json!({"iat": NOW + 600})),
            )
            .unwrap();
        assert_eq!(
            verify(&iat, &issuer, &jwks, NOW, 60),
            Err(OidcError::NotYetValid)
        );
    }

    #[test]
    fn audience() {
        let (dev, issuer, jwks) = setup();
        let t = dev.mint("a", None, "other", NOW, 300, Map::new()).unwrap();
        assert_eq!(
            verify(&t, &issuer, &jwks, NOW, 0),
            Err(OidcError::WrongAudience)
        );
        let t = dev
            .mint(
                "a",
                None,
                "x",
                NOW,
                300,
                extra(json!({"aud": ["x", "sigstore"]})),
            )
            .unwrap();
        assert!(verify(&t, &issuer, &jwks, NOW, 0).is_ok());
        let t = dev
            .mint("a", None, "x", NOW, 300, extra(json!({"aud": ["x", "y"]})))
            .unwrap();
        assert_eq!(
            verify(&t, &issuer, &jwks, NOW, 0),
            Err(OidcError::WrongAudience)
        );
        let t = dev
            .mint("a", None, "x", NOW, 300, extra(json!({"aud": 5})))
            .unwrap();
        assert!(matches!(
            verify(&t, &issuer, &jwks, NOW, 0),
            Err(OidcError::Malformed(_))
        ));
        let t = dev
            .mint("a", None, "x", NOW, 300, extra(json!({"aud": null})))
            .unwrap();
        assert!(matches!(
            verify(&t, &issuer, &jwks, NOW, 0),
            Err(OidcError::Malformed(_))
        ));
        let custom = issuer.clone().with_client_id("other");
        let t = dev.mint("a", None, "other", NOW, 300, Map::new()).unwrap();
        assert!(verify(&t, &custom, &jwks, NOW, 0).is_ok());
    }

    #[test]
    fn wrong_issuer() {
        let (dev, issuer, jwks) = setup();
        let t = dev
            .mint(
                "a",
                None,
                "sigstore",
                NOW,
                300,
                extra(json!({"iss": "https://evil.example"})),
            )
            .unwrap();
        assert_eq!(
            verify(&t, &issuer, &jwks, NOW, 0),
            Err(OidcError::WrongIssuer)
        );
        let t = dev
            .mint(
                "a",
                None,
                "sigstore",
                NOW,
                300,
                extra(json!({"iss": "https://dev.example/"})),
            )
            .unwrap();
        assert_eq!(
            verify(&t, &issuer, &jwks, NOW, 0),
            Err(OidcError::WrongIssuer)
        );
    }

    #[test]
    fn meta_issuer_uses_the_tokens_own_iss() {
        let (dev, _, jwks) = setup();
        let meta = Issuer::new(
            IssuerUrl::wildcard("https://oidc.eks.*.amazonaws.com/id/*").unwrap(),
            IssuerType::Kubernetes,
        );
        let ok = "https://oidc.eks.us-west-2.amazonaws.com/id/ABC123";
        let t = dev
            .mint("a", None, "sigstore", NOW, 300, extra(json!({"iss": ok})))
            .unwrap();
        assert_eq!(
            verify(&t, &meta, &jwks, NOW, 0).unwrap().issuer().unwrap(),
            ok
        );
        for bad in [
            "https://oidc.eks.x.amazonaws.com/id/y/extra",
            "https://evil.com/?https://oidc.eks.x.amazonaws.com/id/y",
            "https://oidc.eks.x.y.amazonaws.com/id/z",
        ] {
            let t = dev
                .mint("a", None, "sigstore", NOW, 300, extra(json!({"iss": bad})))
                .unwrap();
            assert_eq!(
                verify(&t, &meta, &jwks, NOW, 0),
                Err(OidcError::WrongIssuer),
                "{bad}"
            );
        }
    }

    #[test]
    fn alg_none_is_rejected() {
        let (_, issuer, jwks) = setup();
        let claims = json!({"iss": URL, "sub": "a", "aud": "sigstore", "exp": NOW + 300});
        for alg in ["none", "None", "NONE"] {
            let t = format!(
                "{}.{}.",
                b64(&json!({"alg": alg, "typ": "JWT"})),
                b64(&claims)
            );
            assert_eq!(
                verify(&t, &issuer, &jwks, NOW, 0),
                Err(OidcError::UnsupportedAlgorithm(alg.into()))
            );
        }
        let t = format!("{}.{}.", b64(&json!({"typ": "JWT"})), b64(&claims));
        assert!(matches!(
            verify(&t, &issuer, &jwks, NOW, 0),
            Err(OidcError::Malformed(_))
        ));
    }

    #[test]
    fn hmac_is_rejected_even_with_the_public_key_as_secret() {
        let (dev, issuer, jwks) = setup();
        let claims = json!({"iss": URL, "sub": "a", "aud": "sigstore", "exp": NOW + 300});
        let secret = dev.jwks_json().to_string();
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let mut h = Header::new(alg);
            h.kid = Some(dev.kid().into());
            let t = jsonwebtoken::encode(&h, &claims, &EncodingKey::from_secret(secret.as_bytes()))
                .unwrap();
            assert!(matches!(
                verify(&t, &issuer, &jwks, NOW, 0),
                Err(OidcError::UnsupportedAlgorithm(_))
            ));
        }
    }

    #[test]
    fn tampering_is_detected() {
        let (dev, issuer, jwks) = setup();
        let t = dev
            .mint("alice", None, "sigstore", NOW, 300, Map::new())
            .unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let forged = json!({"iss": URL, "sub": "mallory", "aud": "sigstore", "exp": NOW + 300});
        let t2 = format!("{}.{}.{}", parts[0], b64(&forged), parts[2]);
        assert_eq!(
            verify(&t2, &issuer, &jwks, NOW, 0),
            Err(OidcError::BadSignature)
        );
        // Flip one signature byte.
        let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        sig[10] ^= 1;
        let t3 = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig));
        assert_eq!(
            verify(&t3, &issuer, &jwks, NOW, 0),
            Err(OidcError::BadSignature)
        );
        // Another key with the same kid in the header.
        let other = DevIssuer::generate(URL).unwrap();
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(dev.kid().into());
        let t4 = jsonwebtoken::encode(&h, &forged, other.encoding_key()).unwrap();
        assert_eq!(
            verify(&t4, &issuer, &jwks, NOW, 0),
            Err(OidcError::BadSignature)
        );
    }

    #[test]
    fn key_selection() {
        let (dev, issuer, jwks) = setup();
        let other = DevIssuer::generate(URL).unwrap();
        let t = other
            .mint("a", None, "sigstore", NOW, 300, Map::new())
            .unwrap();
        assert_eq!(
            verify(&t, &issuer, &jwks, NOW, 0),
            Err(OidcError::UnknownKey)
        );
        // No kid, single key: used.
        let claims = json!({"iss": URL, "sub": "a", "aud": "sigstore", "exp": NOW + 300});
        let t = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, dev.encoding_key())
            .unwrap();
        assert!(verify(&t, &issuer, &jwks, NOW, 0).is_ok());
        // No kid, two keys: ambiguous.
        let mut both = dev.jwks_json();
        let second = other.jwks_json()["keys"][0].clone();
        if let Some(Value::Array(keys)) = both.get_mut("keys") {
            keys.push(second);
        }
        let two = Jwks::from_json(both.to_string().as_bytes()).unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(
            verify(&t, &issuer, &two, NOW, 0),
            Err(OidcError::UnknownKey)
        );
        // Algorithm that does not fit the key (ES384 header, P-256 key).
        let h = json!({"alg": "ES384", "kid": dev.kid()});
        let fake = format!(
            "{}.{}.{}",
            b64(&h),
            b64(&claims),
            URL_SAFE_NO_PAD.encode([0u8; 96])
        );
        assert_eq!(
            verify(&fake, &issuer, &jwks, NOW, 0),
            Err(OidcError::UnknownKey)
        );
        // kid must be a string.
        let h = json!({"alg": "ES256", "kid": 7});
        let fake = format!(
            "{}.{}.{}",
            b64(&h),
            b64(&claims),
            URL_SAFE_NO_PAD.encode([0u8; 64])
        );
        assert!(matches!(
            verify(&fake, &issuer, &jwks, NOW, 0),
            Err(OidcError::Malformed(_))
        ));
    }

    #[test]
    fn crit_header_is_rejected() {
        let (dev, issuer, jwks) = setup();
        let claims = json!({"iss": URL, "sub": "a", "aud": "sigstore", "exp": NOW + 300});
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(dev.kid().into());
        h.crit = Some(vec!["exp".into()]);
        let t = jsonwebtoken::encode(&h, &claims, dev.encoding_key()).unwrap();
        assert!(matches!(
            verify(&t, &issuer, &jwks, NOW, 0),
            Err(OidcError::Malformed(_))
        ));
    }

    #[test]
    fn malformed_tokens() {
        let (dev, issuer, jwks) = setup();
        let good = dev
            .mint("a", None, "sigstore", NOW, 300, Map::new())
            .unwrap();
        let padded = format!("{good}==");
        let long = format!("{good}{}", "A".repeat(MAX_TOKEN_LEN));
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "....",
            "!!.!!.!!",
            long.as_str(),
            padded.as_str(),
            &good[..good.len() / 2],
        ] {
            let r = verify(bad, &issuer, &jwks, NOW, 0);
            assert!(
                matches!(
                    r,
                    Err(OidcError::Malformed(_)) | Err(OidcError::BadSignature)
                ),
                "{bad:?}: {r:?}"
            );
        }
        assert!(matches!(
            unverified_issuer("a.b"),
            Err(OidcError::Malformed(_))
        ));
        let no_iss = format!("x.{}.y", b64(&json!({"sub": "a"})));
        assert_eq!(
            unverified_issuer(&no_iss),
            Err(OidcError::MissingClaim("iss".into()))
        );
        let num_iss = format!("x.{}.y", b64(&json!({"iss": 5})));
        assert_eq!(
            unverified_issuer(&num_iss),
            Err(OidcError::MissingClaim("iss".into()))
        );
        let array = format!("x.{}.y", b64(&json!(["iss"])));
        assert!(matches!(
            unverified_issuer(&array),
            Err(OidcError::Malformed(_))
        ));
    }

    #[test]
    fn jwks_skips_unusable_keys() {
        let (dev, _, _) = setup();
        let good = dev.jwks_json()["keys"][0].clone();
        let mut enc = good.clone();
        enc["use"] = json!("enc");
        let mut hs = good.clone();
        hs["alg"] = json!("HS256");
        let mut rs_on_ec = good.clone();
        rs_on_ec["alg"] = json!("RS256");
        let mut p521 = good.clone();
        p521["crv"] = json!("P-521");
        let mut short_x = good.clone();
        short_x["x"] = json!("AAAA");
        let doc = json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0"},
            {"kty": "XYZ"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            {"kty": "OKP", "crv": "X25519", "x": URL_SAFE_NO_PAD.encode([1u8; 32])},
            {"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode([1u8; 32]), "kid": "ed"},
            enc, hs, rs_on_ec, p521, short_x, 17, null, good
        ]});
        let jwks = Jwks::from_json(doc.to_string().as_bytes()).unwrap();
        assert_eq!(jwks.len(), 2, "{jwks:?}");
        assert!(jwks.contains_kid(dev.kid()));
        assert!(jwks.contains_kid("ed"));
        assert!(Jwks::from_json(b"{}").is_err());
        assert!(Jwks::from_json(b"[]").is_err());
        assert!(Jwks::from_json(br#"{"keys": {}}"#).is_err());
        assert!(Jwks::from_json(br#"{"keys": []}"#).unwrap().is_empty());
        let huge = format!(r#"{{"keys": [], "pad": "{}"}}"#, "a".repeat(MAX_JWKS_LEN));
        assert!(Jwks::from_json(huge.as_bytes()).is_err());
    }

    /// Deterministic xorshift so the loop needs no extra dependency and is reproducible.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn parsers_are_total_on_truncations_and_mutations() {
        let (dev, issuer, jwks) = setup();
        let token = dev
            .mint("a", Some("a@example.com"), "sigstore", NOW, 300, Map::new())
            .unwrap();
        let jwks_text = dev.jwks_json().to_string();
        for inputs in [token.as_bytes(), jwks_text.as_bytes()] {
            for cut in 0..=inputs.len() {
                let s = String::from_utf8_lossy(&inputs[..cut]);
                let _ = unverified_issuer(&s);
                let _ = verify(&s, &issuer, &jwks, NOW, 0);
                let _ = Jwks::from_json(&inputs[..cut]);
            }
            let mut state = 0x9e37_79b9_7f4a_7c15_u64;
            for _ in 0..2000 {
                let mut bytes = inputs.to_vec();
                for _ in 0..(1 + xorshift(&mut state) % 4) {
                    let i = (xorshift(&mut state) as usize) % bytes.len();
                    bytes[i] = xorshift(&mut state) as u8;
                }
                let s = String::from_utf8_lossy(&bytes);
                let _ = unverified_issuer(&s);
                let _ = Jwks::from_json(&bytes);
                assert!(
                    verify(&s, &issuer, &jwks, NOW, 0)
                        .map(|c| c.subject().is_ok())
                        .unwrap_or(true)
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn unverified_issuer_never_panics(s in ".{0,600}") {
            let _ = unverified_issuer(&s);
        }

        #[test]
        fn unverified_issuer_never_panics_on_dotted(a in "[A-Za-z0-9_=-]{0,80}", b in "[A-Za-z0-9_=-]{0,200}", c in "[A-Za-z0-9_=.-]{0,80}") {
            let _ = unverified_issuer(&format!("{a}.{b}.{c}"));
        }

        #[test]
        fn jwks_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _ = Jwks::from_json(&bytes);
        }

        #[test]
        fn jwks_never_panics_on_json_shaped(kty in "(RSA|EC|OKP|oct|x)", crv in "(P-256|P-384|Ed25519|P-521)", x in "[A-Za-z0-9_-]{0,90}", y in "[A-Za-z0-9_-]{0,90}") {
            let doc = json!({"keys": [{"kty": kty, "crv": crv, "x": x, "y": y, "n": x, "e": y}]});
            let _ = Jwks::from_json(doc.to_string().as_bytes());
        }
    }
}
