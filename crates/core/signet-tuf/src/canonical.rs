//! OLPC canonical JSON as securesystemslib writes it (what TUF signatures cover): object keys
//! sorted by their UTF-8 bytes, no insignificant whitespace, integers only, and strings escaping
//! only `"` and `\` (control characters such as the newlines of PEM keys are written raw). Not
//! RFC 8785, and no Unicode normalisation (securesystemslib does none; `olpc-cjson` applies NFC,
//! which would change the bytes of a non-NFC string, so it is not used).

use serde_json::Value;

use crate::TufError;

/// The canonical bytes of `value`.
pub fn canonical_json(value: &Value) -> Result<Vec<u8>, TufError> {
    let mut out = Vec::new();
    write(value, &mut out)?;
    Ok(out)
}

fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), TufError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(TufError::Canonical(format!("number {n} is not an integer")));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sort explicitly: serde_json's map keeps insertion order when `preserve_order` is on.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write(v, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_escapes_only_quote_and_backslash() {
        let v = json!({"b": [1, -2, true, null], "a": "x\"y\\z\nw\t", "é": {}, "B": "ü"});
        let got = canonical_json(&v).unwrap();
        assert_eq!(
            got,
            "{\"B\":\"ü\",\"a\":\"x\\\"y\\\\z\nw\t\",\"b\":[1,-2,true,null],\"é\":{}}".as_bytes()
        );
    }

    #[test]
    fn refuses_floats() {
        assert!(matches!(
            canonical_json(&json!({"a": 1.5})),
            Err(TufError::Canonical(_))
        ));
        assert_eq!(
            canonical_json(&json!(u64::MAX)).unwrap(),
            b"18446744073709551615"
        );
    }
}
