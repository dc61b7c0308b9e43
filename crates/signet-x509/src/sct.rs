//! Embedded SCTs (RFC 6962 §3.2, `precert_entry`), verified against the issuing certificate.

use const_oid::ObjectIdentifier;
use signet_crypto::{HashAlgorithm, PublicKey, Scheme, sha256};
use signet_types::{Sha256Hash, UnixSeconds, limits};

use crate::{Certificate, X509Error, derx};

/// RFC 6962 §3.3 embedded SCT list extension.
const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// An SCT whose signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSct {
    log_id: Sha256Hash,
    timestamp_ms: u64,
}

impl VerifiedSct {
    /// The CT log that issued it.
    pub fn log_id(&self) -> &Sha256Hash {
        &self.log_id
    }

    /// When the log promised to include the certificate (milliseconds since the epoch).
    pub fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }
}

struct Sct<'a> {
    version: u8,
    log_id: Sha256Hash,
    timestamp: u64,
    extensions: &'a [u8],
    hash: u8,
    sig_alg: u8,
    signature: &'a [u8],
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn truncated() -> X509Error {
        X509Error::Sct("truncated SCT data".into())
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], X509Error> {
        let (a, b) = self.0.split_at_checked(n).ok_or_else(Self::truncated)?;
        self.0 = b;
        Ok(a)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], X509Error> {
        let (a, b) = self
            .0
            .split_first_chunk::<N>()
            .ok_or_else(Self::truncated)?;
        self.0 = b;
        Ok(*a)
    }
    fn u8(&mut self) -> Result<u8, X509Error> {
        let [b] = self.array()?;
        Ok(b)
    }
    fn u16(&mut self) -> Result<usize, X509Error> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }
    fn u64(&mut self) -> Result<u64, X509Error> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn vec16(&mut self) -> Result<&'a [u8], X509Error> {
        let n = self.u16()?;
        self.take(n)
    }
}

fn parse_list(tls: &[u8]) -> Result<Vec<Sct<'_>>, X509Error> {
    let mut outer = Reader(tls);
    let list = outer.vec16()?;
    if !outer.0.is_empty() {
        return Err(X509Error::Sct("trailing data after SCT list".into()));
    }
    let mut r = Reader(list);
    let mut out = Vec::new();
    while !r.0.is_empty() {
        if out.len() >= limits::MAX_SCTS {
            return Err(X509Error::Limit(format!(
                "more than {} SCTs",
                limits::MAX_SCTS
            )));
        }
        let mut s = Reader(r.vec16()?);
        let version = s.u8()?;
        let log_id =
            Sha256Hash::from_slice(s.take(32)?).map_err(|e| X509Error::Sct(e.to_string()))?;
        let timestamp = s.u64()?;
        let extensions = s.vec16()?;
        let hash = s.u8()?;
        let sig_alg = s.u8()?;
        let signature = s.vec16()?;
        if !s.0.is_empty() {
            return Err(X509Error::Sct("trailing data in SCT".into()));
        }
        out.push(Sct {
            version,
            log_id,
            timestamp,
            extensions,
            hash,
            sig_alg,
            signature,
        });
    }
    Ok(out)
}

/// Removes the extension `oid` from a DER `TBSCertificate` and re-encodes it (the extensions
/// field is dropped when nothing else is left). `None` when the extension is absent.
///
/// This is the RFC 6962 precertificate surgery: a CT log removes the poison extension from a
/// precertificate, a verifier removes the SCT list from a final certificate; both must arrive
/// at the same bytes.
pub fn tbs_without_extension(
    tbs_der: &[u8],
    oid: &ObjectIdentifier,
) -> Result<Option<Vec<u8>>, X509Error> {
    let tbs = derx::read_all(tbs_der)?;
    if tbs.tag != 0x30 {
        return Err(X509Error::Sct("TBSCertificate is not a SEQUENCE".into()));
    }
    let mut body = Vec::with_capacity(tbs.value.len());
    let mut found = false;
    for field in derx::children(tbs.value)? {
        if field.tag != 0xa3 {
            body.extend_from_slice(field.raw);
            continue;
        }
        let exts = derx::read_all(field.value)?;
        let mut kept = Vec::with_capacity(exts.value.len());
        for ext in derx::children(exts.value)? {
            if derx::read(ext.value)?.0.value == oid.as_bytes() {
                if found {
                    return Err(X509Error::Sct(format!("extension {oid} appears twice")));
                }
                found = true;
            } else {
                kept.extend_from_slice(ext.raw);
            }
        }
        // Every element has a header, so nothing was kept exactly when `kept` is empty.
        if !kept.is_empty() {
            body.extend_from_slice(&derx::wrap(0xa3, &derx::wrap(0x30, &kept)));
        }
    }
    Ok(found.then(|| derx::wrap(0x30, &body)))
}

/// The leaf's TBSCertificate with the SCT-list extension removed (the precertificate TBS the CT
/// log signed), re-encoded.
fn precert_tbs(leaf: &Certificate) -> Result<Vec<u8>, X509Error> {
    tbs_without_extension(leaf.tbs_der(), &SCT_LIST)?
        .ok_or_else(|| X509Error::Sct("certificate has no embedded SCT list".into()))
}

/// The bytes an RFC 6962 log signs for a precertificate SCT (§3.2 `digitally-signed struct`
/// with `entry_type = precert_entry`): version, signature type, timestamp, entry type, issuer key
/// hash, the precertificate TBS (24-bit length) and the SCT extensions (16-bit length).
pub fn precert_sct_signed_data(
    timestamp_ms: u64,
    issuer_key_hash: &Sha256Hash,
    precert_tbs: &[u8],
    extensions: &[u8],
) -> Result<Vec<u8>, X509Error> {
    let tbs_len = u32::try_from(precert_tbs.len())
        .ok()
        .filter(|l| *l < 1 << 24)
        .ok_or_else(|| X509Error::Sct("TBS too large".into()))?;
    let ext_len = u16::try_from(extensions.len())
        .map_err(|_| X509Error::Sct("SCT extensions too large".into()))?;
    // Both lengths are bounded just above: never saturates.
    let mut signed = Vec::with_capacity(
        precert_tbs
            .len()
            .saturating_add(64)
            .saturating_add(extensions.len()),
    );
    signed.extend_from_slice(&[0, 0]); // v1, certificate_timestamp
    signed.extend_from_slice(&timestamp_ms.to_be_bytes());
    signed.extend_from_slice(&[0, 1]); // precert_entry
    signed.extend_from_slice(issuer_key_hash.as_bytes());
    signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
    signed.extend_from_slice(precert_tbs);
    signed.extend_from_slice(&ext_len.to_be_bytes());
    signed.extend_from_slice(extensions);
    Ok(signed)
}

/// RFC 5246 §7.4.1.4.1 hash and signature algorithm codes (RFC 8422 for Ed25519).
fn scheme(hash: u8, sig: u8) -> Result<Scheme, X509Error> {
    if (hash, sig) == (8, 7) {
        return Ok(Scheme::Ed25519);
    }
    let h = match hash {
        4 => HashAlgorithm::Sha256,
        5 => HashAlgorithm::Sha384,
        6 => HashAlgorithm::Sha512,
        other => {
            return Err(X509Error::Sct(format!(
                "unsupported SCT hash algorithm {other}"
            )));
        }
    };
    match sig {
        3 => Ok(Scheme::Ecdsa(h)),
        1 => Ok(Scheme::RsaPkcs1(h)),
        other => Err(X509Error::Sct(format!(
            "unsupported SCT signature algorithm {other}"
        ))),
    }
}

/// Verifies the SCTs embedded in `leaf`, issued by `issuer` (RFC 6962 §3.2 `precert_entry`).
///
/// `lookup` returns the key of a trusted CT log by log ID if that log is trusted at the SCT's
/// time (seconds); SCTs from other logs are skipped, as are SCTs whose signature does not verify
/// (sigstore-go counts only the ones that do). Returns the SCTs that verified. Errors on a
/// missing or malformed SCT list, and, when nothing verified but a trusted log's SCT failed,
/// with that failure, so callers requiring at least one SCT can say why.
pub fn verify_embedded_scts(
    leaf: &Certificate,
    issuer: &Certificate,
    lookup: &dyn Fn(&Sha256Hash, UnixSeconds) -> Option<PublicKey>,
) -> Result<Vec<VerifiedSct>, X509Error> {
    let ext = leaf
        .extension_value(&SCT_LIST)
        .ok_or_else(|| X509Error::Sct("certificate has no embedded SCT list".into()))?;
    let octets = derx::read_all(ext)?;
    if octets.tag != 0x04 {
        return Err(X509Error::Sct("SCT list is not an OCTET STRING".into()));
    }
    let scts = parse_list(octets.value)?;
    let tbs = precert_tbs(leaf)?;
    let issuer_key_hash = sha256(issuer.spki_der());
    let mut verified = Vec::new();
    let mut failure = None;
    for sct in scts {
        if sct.version != 0 {
            continue;
        }
        let secs = i64::try_from(sct.timestamp / 1000).unwrap_or(i64::MAX);
        let Some(key) = lookup(&sct.log_id, UnixSeconds(secs)) else {
            continue;
        };
        let signed =
            precert_sct_signed_data(sct.timestamp, &issuer_key_hash, &tbs, sct.extensions)?;
        let checked = scheme(sct.hash, sct.sig_alg).and_then(|scheme| {
            key.verify_with(scheme, &signed, sct.signature)
                .map_err(|_| X509Error::Sct(format!("SCT from log {} does not verify", sct.log_id)))
        });
        match checked {
            Ok(()) => verified.push(VerifiedSct {
                log_id: sct.log_id,
                timestamp_ms: sct.timestamp,
            }),
            Err(e) => failure = Some(e),
        }
    }
    match failure {
        Some(e) if verified.is_empty() => Err(e),
        _ => Ok(verified),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sct(ext: &[u8], sig: &[u8]) -> Vec<u8> {
        let mut s = vec![0u8];
        s.extend_from_slice(&[7; 32]);
        s.extend_from_slice(&1_700_000_000_000u64.to_be_bytes());
        s.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        s.extend_from_slice(ext);
        s.extend_from_slice(&[4, 3]);
        s.extend_from_slice(&(sig.len() as u16).to_be_bytes());
        s.extend_from_slice(sig);
        s
    }

    fn list(items: &[Vec<u8>]) -> Vec<u8> {
        let mut body = Vec::new();
        for i in items {
            body.extend_from_slice(&(i.len() as u16).to_be_bytes());
            body.extend_from_slice(i);
        }
        [(body.len() as u16).to_be_bytes().to_vec(), body].concat()
    }

    #[test]
    fn parses_lists_strictly() {
        let one = list(&[sct(b"ext", b"sig")]);
        let parsed = parse_list(&one).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].extensions, b"ext");
        assert_eq!(parsed[0].signature, b"sig");
        assert_eq!(parsed[0].timestamp, 1_700_000_000_000);
        for n in 0..one.len() {
            assert!(parse_list(&one[..n]).is_err(), "truncated at {n}");
        }
        assert!(parse_list(&[one.clone(), vec![0]].concat()).is_err());
        let mut inner_trailing = sct(b"", b"sig");
        inner_trailing.push(0);
        assert!(parse_list(&list(&[inner_trailing])).is_err());
        let many = list(&vec![sct(b"", b"s"); limits::MAX_SCTS + 1]);
        assert!(matches!(parse_list(&many), Err(X509Error::Limit(_))));
    }

    #[test]
    fn maps_tls_algorithms() {
        assert_eq!(scheme(4, 3).unwrap(), Scheme::Ecdsa(HashAlgorithm::Sha256));
        assert_eq!(
            scheme(5, 1).unwrap(),
            Scheme::RsaPkcs1(HashAlgorithm::Sha384)
        );
        assert_eq!(scheme(8, 7).unwrap(), Scheme::Ed25519);
        assert!(scheme(2, 3).is_err()); // SHA-1
        assert!(scheme(4, 2).is_err()); // DSA
    }
}
