//! RFC 7512 `pkcs11:` URIs, parsed strictly: the attributes signet uses, percent-decoded; an
//! unknown or repeated attribute, a bad `%XX` escape, or a URI that cannot name one key in one
//! token is an error.

use std::fmt;
use std::path::PathBuf;

use cryptoki::types::AuthPin;

use crate::HsmError;

/// Where the token's user PIN comes from.
#[derive(Clone)]
pub enum Pin {
    /// `pin-value=…` in the URI itself.
    Value(AuthPin),
    /// `pin-source=file:/path` (or an absolute path): the first line of that file.
    File(PathBuf),
    /// No PIN given (a token that needs no login).
    None,
}

/// A parsed `pkcs11:` URI naming one private key object (or, for key creation, the token and
/// the label/ID the new key gets). Its `Display` form never shows the PIN.
#[derive(Clone)]
pub struct Pkcs11Uri {
    /// `token=`: the token label.
    pub token: Option<String>,
    /// `serial=`: the token serial number.
    pub serial: Option<String>,
    /// `slot-id=`: the PKCS#11 slot ID (decimal).
    pub slot_id: Option<u64>,
    /// `object=`: the key's label (`CKA_LABEL`).
    pub object: Option<String>,
    /// `id=`: the key's `CKA_ID` bytes.
    pub id: Option<Vec<u8>>,
    /// `module-path=`: the PKCS#11 module (shared library) to load.
    pub module_path: PathBuf,
    /// The PIN.
    pub pin: Pin,
}

/// Path attributes signet reads; other RFC 7512 path attributes are accepted only when listed
/// in [`IGNORED_PATH`].
const IGNORED_PATH: &[&str] = &[
    "manufacturer",
    "model",
    "library-manufacturer",
    "library-description",
    "library-version",
    "slot-description",
    "slot-manufacturer",
];

fn bad(uri_err: impl Into<String>) -> HsmError {
    HsmError::Uri(uri_err.into())
}

/// Percent-decodes `v` strictly: every `%` must start a two-digit hex escape.
fn decode(name: &str, v: &str) -> Result<Vec<u8>, HsmError> {
    let b = v.as_bytes();
    let mut i = 0;
    while let Some(pos) = b
        .get(i..)
        .and_then(|rest| rest.iter().position(|c| *c == b'%'))
    {
        let at = i.saturating_add(pos);
        let hex = b.get(at.saturating_add(1)..at.saturating_add(3));
        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
            return Err(bad(format!(
                "attribute {name}: bad percent-encoding (a % must be followed by two hex digits)"
            )));
        }
        i = at.saturating_add(3);
    }
    Ok(percent_encoding::percent_decode_str(v).collect())
}

fn utf8(name: &str, v: Vec<u8>) -> Result<String, HsmError> {
    String::from_utf8(v).map_err(|_| bad(format!("attribute {name} is not UTF-8")))
}

impl Pkcs11Uri {
    /// Parses `text`. The module must be named by `module-path` (an absolute path); a key by
    /// `object` and/or `id`; a token by `token`, `serial` and/or `slot-id`.
    pub fn parse(text: &str) -> Result<Self, HsmError> {
        let rest = text
            .get(..7)
            .filter(|s| s.eq_ignore_ascii_case("pkcs11:"))
            .and_then(|_| text.get(7..))
            .ok_or_else(|| bad("a PKCS#11 URI starts with pkcs11:"))?;
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut uri = Self {
            token: None,
            serial: None,
            slot_id: None,
            object: None,
            id: None,
            module_path: PathBuf::new(),
            pin: Pin::None,
        };
        let mut seen: Vec<String> = Vec::new();
        let mut module = None;
        let mut pin_value = None;
        let mut pin_source = None;
        let attrs = path
            .split(';')
            .filter(|a| !a.is_empty())
            .map(|a| (a, true))
            .chain(
                query
                    .into_iter()
                    .flat_map(|q| q.split('&'))
                    .filter(|a| !a.is_empty())
                    .map(|a| (a, false)),
            );
        for (attr, in_path) in attrs {
            let (name, value) = attr
                .split_once('=')
                .ok_or_else(|| bad(format!("attribute {attr:?} has no '='")))?;
            let name = name.to_ascii_lowercase();
            if seen.contains(&name) {
                return Err(bad(format!("attribute {name} appears twice")));
            }
            seen.push(name.clone());
            let raw = decode(&name, value)?;
            match (name.as_str(), in_path) {
                ("token", true) => uri.token = Some(utf8(&name, raw)?),
                ("serial", true) => uri.serial = Some(utf8(&name, raw)?),
                ("slot-id", true) => {
                    uri.slot_id = Some(
                        utf8(&name, raw)?
                            .parse()
                            .map_err(|_| bad("attribute slot-id is not a decimal number"))?,
                    )
                }
                ("object", true) => uri.object = Some(utf8(&name, raw)?),
                ("id", true) => uri.id = Some(raw),
                ("type", true) => {
                    if raw != b"private" {
                        return Err(bad(
                            "attribute type must be private (signet names private keys)",
                        ));
                    }
                }
                (n, true) if IGNORED_PATH.contains(&n) => {}
                ("module-path", false) => module = Some(PathBuf::from(utf8(&name, raw)?)),
                ("pin-value", false) => pin_value = Some(utf8(&name, raw)?),
                ("pin-source", false) => pin_source = Some(utf8(&name, raw)?),
                ("module-name", false) => {
                    return Err(bad(
                        "module-name is not supported: give the module's module-path",
                    ));
                }
                (n, true) => return Err(bad(format!("unknown path attribute {n}"))),
                (n, false) => return Err(bad(format!("unknown query attribute {n}"))),
            }
        }
        uri.module_path = module
            .ok_or_else(|| bad("no module-path: add ?module-path=/path/to/the/pkcs11/module.so"))?;
        if !uri.module_path.is_absolute() {
            return Err(bad("module-path must be an absolute path"));
        }
        uri.pin = match (pin_value, pin_source) {
            (Some(_), Some(_)) => {
                return Err(bad("give pin-value or pin-source, not both (RFC 7512)"));
            }
            (Some(v), None) => Pin::Value(AuthPin::new(v.into())),
            (None, Some(s)) => {
                let p = s.strip_prefix("file:").unwrap_or(&s);
                if !p.starts_with('/') {
                    return Err(bad(
                        "pin-source must be file:/absolute/path (or an absolute path)",
                    ));
                }
                Pin::File(PathBuf::from(p))
            }
            (None, None) => Pin::None,
        };
        if uri.token.is_none() && uri.serial.is_none() && uri.slot_id.is_none() {
            return Err(bad("no token: name it with token=, serial= or slot-id="));
        }
        if uri.object.is_none() && uri.id.is_none() {
            return Err(bad("no key: name it with object= (its label) or id="));
        }
        Ok(uri)
    }

    /// Whether `text` is meant as a PKCS#11 URI (rather than a file path).
    pub fn is_pkcs11(text: &str) -> bool {
        text.get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("pkcs11:"))
    }
}

const ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A module path keeps its slashes (RFC 7512 allows `/` in the query).
const PATH_ENCODE: &percent_encoding::AsciiSet = &ENCODE.remove(b'/');

impl fmt::Display for Pkcs11Uri {
    /// The URI with its PIN masked (`pin-value=***`); a `pin-source` is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let enc = |b: &[u8]| percent_encoding::percent_encode(b, ENCODE).to_string();
        let mut path = Vec::new();
        if let Some(t) = &self.token {
            path.push(format!("token={}", enc(t.as_bytes())));
        }
        if let Some(s) = &self.serial {
            path.push(format!("serial={}", enc(s.as_bytes())));
        }
        if let Some(s) = self.slot_id {
            path.push(format!("slot-id={s}"));
        }
        if let Some(o) = &self.object {
            path.push(format!("object={}", enc(o.as_bytes())));
        }
        if let Some(i) = &self.id {
            let hex: String = i.iter().map(|b| format!("%{b:02X}")).collect();
            path.push(format!("id={hex}"));
        }
        write!(
            f,
            "pkcs11:{}?module-path={}",
            path.join(";"),
            percent_encoding::percent_encode(
                self.module_path.to_string_lossy().as_bytes(),
                PATH_ENCODE
            )
        )?;
        match &self.pin {
            Pin::Value(_) => write!(f, "&pin-value=***"),
            Pin::File(p) => write!(f, "&pin-source=file:{}", p.display()),
            Pin::None => Ok(()),
        }
    }
}

impl fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Masks the PIN of `text` if it is a `pkcs11:` URI with a `pin-value` (for printing a
/// configuration); any other text is returned as is.
pub fn mask_pin(text: &str) -> String {
    if !Pkcs11Uri::is_pkcs11(text) {
        return text.to_string();
    }
    let Some((head, query)) = text.split_once('?') else {
        return text.to_string();
    };
    let q: Vec<String> = query
        .split('&')
        .map(|a| match a.split_once('=') {
            Some((n, _)) if n.eq_ignore_ascii_case("pin-value") => format!("{n}=***"),
            _ => a.to_string(),
        })
        .collect();
    format!("{head}?{}", q.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "module-path=/usr/lib/softhsm/libsofthsm2.so";

    fn err(s: &str) -> String {
        match Pkcs11Uri::parse(s) {
            Err(e) => e.to_string(),
            Ok(u) => panic!("{s} parsed: {u}"),
        }
    }

    #[test]
    fn parses_p11tool_uris_and_decodes() {
        let u = Pkcs11Uri::parse(&format!(
            "pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial=fa655a3487c14dfb;token=signet-test;id=%A1%b2;object=rel%2Bkey%202026%2F%C3%A1;type=private?{M}&pin-value=1234"
        ))
        .unwrap();
        assert_eq!(u.token.as_deref(), Some("signet-test"));
        assert_eq!(u.serial.as_deref(), Some("fa655a3487c14dfb"));
        assert_eq!(u.object.as_deref(), Some("rel+key 2026/á"));
        assert_eq!(u.id.as_deref(), Some(&[0xa1, 0xb2][..]));
        assert!(matches!(u.pin, Pin::Value(_)));
        let shown = u.to_string();
        assert!(!shown.contains("1234"), "{shown}");
        assert!(shown.contains("pin-value=***"));
        // What Display prints parses back to the same key (PIN aside).
        let again = Pkcs11Uri::parse(&shown.replace("pin-value=***", "pin-value=x")).unwrap();
        assert_eq!(again.object, u.object);
        assert_eq!(again.id, u.id);
        let u = Pkcs11Uri::parse(&format!(
            "PKCS11:token=t;object=k;slot-id=7?{M}&pin-source=file:/run/pin"
        ))
        .unwrap();
        assert_eq!(u.slot_id, Some(7));
        assert!(matches!(&u.pin, Pin::File(p) if p == std::path::Path::new("/run/pin")));
    }

    #[test]
    fn refuses_bad_uris() {
        assert!(err("file:/x").contains("starts with pkcs11:"));
        assert!(
            err(&format!("pkcs11:token=t;object=k;colour=red?{M}"))
                .contains("unknown path attribute colour")
        );
        assert!(
            err(&format!("pkcs11:token=t;object=k?{M}&pin-vlaue=1"))
                .contains("unknown query attribute pin-vlaue")
        );
        assert!(err(&format!("pkcs11:token=t;object=k%2?{M}")).contains("bad percent-encoding"));
        assert!(err(&format!("pkcs11:token=t;object=k%zz?{M}")).contains("bad percent-encoding"));
        assert!(
            err(&format!("pkcs11:token=t;token=u;object=k?{M}")).contains("token appears twice")
        );
        assert!(err("pkcs11:token=t;object=k").contains("no module-path"));
        assert!(err("pkcs11:token=t;object=k?module-path=libsofthsm2.so").contains("absolute"));
        assert!(err(&format!("pkcs11:object=k?{M}")).contains("no token"));
        assert!(err(&format!("pkcs11:token=t?{M}")).contains("no key"));
        assert!(
            err(&format!(
                "pkcs11:token=t;object=k?{M}&pin-value=1&pin-source=file:/p"
            ))
            .contains("not both")
        );
        assert!(
            err(&format!("pkcs11:token=t;object=k?{M}&pin-source=relative")).contains("absolute")
        );
        assert!(
            err(&format!("pkcs11:token=t;object=k;type=cert?{M}")).contains("type must be private")
        );
        assert!(err(&format!("pkcs11:token=t;object;id=1?{M}")).contains("no '='"));
    }

    #[test]
    fn masks_pins() {
        assert_eq!(
            mask_pin(&format!("pkcs11:token=t;object=k?{M}&pin-value=secret")),
            format!("pkcs11:token=t;object=k?{M}&pin-value=***")
        );
        assert_eq!(mask_pin("/data/ca.key"), "/data/ca.key");
    }
}
