//! A minimal DER walker over raw bytes, for the few places where the exact encoded bytes
//! matter: the TBS that a signature covers, removing one extension for SCT verification, and
//! the CMS structures of RFC 3161 tokens.

use crate::X509Error;

/// One TLV element.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    /// Tag byte (single-byte tags only; all we need).
    pub(crate) tag: u8,
    /// The whole element, header included.
    pub(crate) raw: &'a [u8],
    /// The contents.
    pub(crate) value: &'a [u8],
}

fn err(what: &str) -> X509Error {
    X509Error::Malformed(format!("DER: {what}"))
}

/// Reads one element from the front of `input`; returns it and the rest.
pub(crate) fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), X509Error> {
    let tag = *input.first().ok_or_else(|| err("unexpected end"))?;
    if tag & 0x1f == 0x1f {
        return Err(err("multi-byte tags are not supported"));
    }
    let first = *input.get(1).ok_or_else(|| err("missing length"))?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(err("unsupported length encoding"));
        }
        let bytes = input
            .get(2..)
            .and_then(|r| r.get(..n))
            .ok_or_else(|| err("truncated length"))?;
        if bytes.first() == Some(&0) {
            return Err(err("non-minimal length"));
        }
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        if len < 0x80 {
            return Err(err("non-minimal length"));
        }
        (len, n.checked_add(2).ok_or_else(|| err("length overflow"))?)
    };
    let end = hdr.checked_add(len).ok_or_else(|| err("length overflow"))?;
    let truncated = || err("truncated element");
    let (raw, rest) = input.split_at_checked(end).ok_or_else(truncated)?;
    let value = raw.get(hdr..).ok_or_else(truncated)?;
    Ok((Tlv { tag, raw, value }, rest))
}

/// Reads exactly one element that must fill `input`.
pub(crate) fn read_all(input: &[u8]) -> Result<Tlv<'_>, X509Error> {
    let (t, rest) = read(input)?;
    if !rest.is_empty() {
        return Err(err("trailing data"));
    }
    Ok(t)
}

/// All elements inside `value`.
pub(crate) fn children(value: &[u8]) -> Result<Vec<Tlv<'_>>, X509Error> {
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (t, r) = read(rest)?;
        out.push(t);
        rest = r;
        if out.len() > 4096 {
            return Err(err("too many elements"));
        }
    }
    Ok(out)
}

/// Encodes a DER header for `tag` and `len`.
pub(crate) fn header(tag: u8, len: usize) -> Vec<u8> {
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        // `len >= 0x80`, so some byte is non-zero.
        let significant = bytes
            .iter()
            .position(|b| *b != 0)
            .and_then(|i| bytes.get(i..))
            .unwrap_or(&bytes);
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out
}

/// `tag` + length + `value`.
pub(crate) fn wrap(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = header(tag, value.len());
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let long = vec![7u8; 300];
        let enc = wrap(0x04, &long);
        let t = read_all(&enc).unwrap();
        assert_eq!(t.value, &long[..]);
        assert_eq!(t.tag, 0x04);
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 1],
            &[0x30, 0x81, 0x05, 0, 0, 0, 0, 0],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
        ] {
            assert!(read_all(bad).is_err(), "{bad:?}");
        }
        assert!(read_all(&[0x05, 0x00, 0x00]).is_err());
    }
}
