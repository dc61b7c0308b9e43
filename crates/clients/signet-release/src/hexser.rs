//! Serde helpers: fixed-size byte arrays as lowercase hex strings.

use serde::{Deserialize, Deserializer, Serializer, de::Error};

pub(crate) fn serialize<S: Serializer, const N: usize>(
    v: &[u8; N],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(v))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
    d: D,
) -> Result<[u8; N], D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    let mut out = [0u8; N];
    hex::decode_to_slice(s.as_bytes(), &mut out).map_err(|_| {
        D::Error::custom(format!(
            "expected {} hexadecimal digits",
            N.saturating_mul(2)
        ))
    })?;
    Ok(out)
}
