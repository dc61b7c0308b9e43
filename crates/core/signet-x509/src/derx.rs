//! signet's one DER helper module. A minimal walker over raw bytes, for the few places where the
//! exact encoded bytes matter (the TBS that a signature covers, removing one extension for SCT
//! verification, the CMS structures of RFC 3161 tokens); encoding and typed decoding go through
//! the `der` / `x509-cert` crates. Other crates use it through [`sequence_contains_oid`] (the CT
//! log's EKU check) and the SCT codec in `crate::sct`.

use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use x509_cert::ext::pkix::ExtendedKeyUsage;

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

/// `tag` + length + `value`, encoded by the `der` crate.
pub(crate) fn wrap(tag: u8, value: &[u8]) -> Result<Vec<u8>, X509Error> {
    let tag = der::Tag::from_der(&[tag]).map_err(|e| err(&format!("tag {tag:#04x}: {e}")))?;
    der::asn1::AnyRef::new(tag, value)
        .and_then(|v| v.to_der())
        .map_err(|e| err(&format!("encoding: {e}")))
}

/// Whether `der`, a DER `SEQUENCE OF OBJECT IDENTIFIER` such as an extended key usage
/// extension's value, lists `oid`. Decoded by `x509-cert` as path validation decodes the
/// extension, so the CT log and the verifier read it alike; anything that is not exactly such a
/// sequence does not list it.
pub fn sequence_contains_oid(der: &[u8], oid: &ObjectIdentifier) -> bool {
    ExtendedKeyUsage::from_der(der).is_ok_and(|eku| eku.0.contains(oid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let long = vec![7u8; 300];
        let enc = wrap(0x04, &long).unwrap();
        assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2c]);
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
        // Short and one-byte long forms, constructed context tags.
        assert_eq!(wrap(0xa3, &[0x05, 0x00]).unwrap(), [0xa3, 0x02, 0x05, 0x00]);
        let enc = wrap(0x30, &[0u8; 200]).unwrap();
        assert_eq!(&enc[..3], &[0x30, 0x81, 200]);
        assert_eq!(read_all(&enc).unwrap().value, &[0u8; 200][..]);
    }

    const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");

    #[test]
    fn eku_scan() {
        // SEQUENCE { codeSigning }
        let mut v = vec![0x30, 10, 0x06, 8];
        v.extend_from_slice(CODE_SIGNING.as_bytes());
        assert!(sequence_contains_oid(&v, &CODE_SIGNING));
        // serverAuth only
        let server = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
        let mut s = vec![0x30, 10, 0x06, 8];
        s.extend_from_slice(server.as_bytes());
        assert!(!sequence_contains_oid(&s, &CODE_SIGNING));
        assert!(!sequence_contains_oid(&[0x30, 5, 0x06], &CODE_SIGNING));
        assert!(!sequence_contains_oid(&[], &CODE_SIGNING));
    }

    #[test]
    fn eku_scan_of_every_truncation_and_corruption_answers() {
        // SEQUENCE { serverAuth, codeSigning }
        let server = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
        let mut body = Vec::new();
        for oid in [&server, &CODE_SIGNING] {
            body.extend_from_slice(&[0x06, oid.as_bytes().len() as u8]);
            body.extend_from_slice(oid.as_bytes());
        }
        // A long-form length where DER wants the short form: not DER, so path validation
        // (x509-cert) would refuse this extension; the CT log now refuses it too.
        let mut long_form = vec![0x30, 0x81, body.len() as u8];
        long_form.extend_from_slice(&body);
        assert!(!sequence_contains_oid(&long_form, &CODE_SIGNING));
        let short = wrap(0x30, &body).unwrap();
        assert!(sequence_contains_oid(&short, &CODE_SIGNING));
        for i in 0..short.len() {
            assert!(
                !sequence_contains_oid(&short[..i], &CODE_SIGNING),
                "cut at {i}"
            );
            for b in [0x00, 0x06, 0x7f, 0x80, 0x81, 0xff] {
                let mut m = short.clone();
                m[i] = b;
                let _ = sequence_contains_oid(&m, &CODE_SIGNING);
            }
        }
    }
}
