//! RFC 6962 signed certificate timestamps, both ways: the one SCT codec (TLS encoding of a
//! `SignedCertificateTimestamp` and of the embedded SCT-list extension, §3.2–3.3, and the
//! precertificate `digitally-signed` data, §3.2/§3.4) and the verification of the SCTs embedded in
//! a certificate (`precert_entry`) against its issuer. The CT log (`signet-ct`) encodes with
//! these functions; verifiers parse with them.

use const_oid::ObjectIdentifier;
use der::Encode;
use der::asn1::OctetStringRef;
use signet_crypto::{HashAlgorithm, PublicKey, Scheme, sha256};
use signet_types::{Sha256Hash, UnixSeconds, limits};

use crate::{Certificate, X509Error, derx};

/// RFC 6962 §3.3 embedded SCT list extension.
pub const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// `hash_algorithm` code for SHA-256 (RFC 5246 §7.4.1.4.1).
pub const HASH_SHA256: u8 = 4;
/// `signature_algorithm` code for ECDSA.
pub const SIG_ECDSA: u8 = 3;

/// Why an SCT could not be encoded or decoded.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SctError {
    /// A field is longer than its length prefix allows.
    #[error("{0} too long for its length prefix")]
    TooLong(&'static str),
    /// Truncated or malformed TLS data.
    #[error("malformed SCT: {0}")]
    Malformed(String),
}

impl From<SctError> for X509Error {
    fn from(e: SctError) -> Self {
        match e {
            SctError::Malformed(m) => X509Error::Sct(m),
            e @ SctError::TooLong(_) => X509Error::Sct(e.to_string()),
        }
    }
}

/// A v1 signed certificate timestamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sct {
    /// SHA-256 of the log's DER public key.
    pub log_id: Sha256Hash,
    /// Milliseconds since the epoch.
    pub timestamp_ms: u64,
    /// CT extensions (empty in practice).
    pub extensions: Vec<u8>,
    /// `hash_algorithm` of the DigitallySigned.
    pub hash: u8,
    /// `signature_algorithm` of the DigitallySigned.
    pub sig_alg: u8,
    /// The signature (DER ECDSA for ECDSA logs).
    pub signature: Vec<u8>,
}

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

// ---- encoding -------------------------------------------------------------------------------

fn u16_len(n: usize, what: &'static str) -> Result<[u8; 2], SctError> {
    u16::try_from(n)
        .map(u16::to_be_bytes)
        .map_err(|_| SctError::TooLong(what))
}

fn u24_len(n: usize, what: &'static str) -> Result<[u8; 3], SctError> {
    let n = u32::try_from(n)
        .ok()
        .filter(|n| *n < 1 << 24)
        .ok_or(SctError::TooLong(what))?;
    let [_, a, b, c] = n.to_be_bytes();
    Ok([a, b, c])
}

/// TLS `opaque<0..2^16-1>`: a two-byte length, then the bytes.
fn put_opaque16(out: &mut Vec<u8>, data: &[u8], what: &'static str) -> Result<(), SctError> {
    out.extend_from_slice(&u16_len(data.len(), what)?);
    out.extend_from_slice(data);
    Ok(())
}

/// TLS `DigitallySigned`: hash(1) signature(1) opaque<0..2^16-1>.
pub fn digitally_signed(hash: u8, sig_alg: u8, signature: &[u8]) -> Result<Vec<u8>, SctError> {
    // Capacity hints: a slice is at most isize::MAX bytes, so these sums never saturate.
    let mut out = Vec::with_capacity(signature.len().saturating_add(4));
    out.push(hash);
    out.push(sig_alg);
    put_opaque16(&mut out, signature, "signature")?;
    Ok(out)
}

impl Sct {
    /// `SignedCertificateTimestamp` serialization (RFC 6962 §3.2).
    pub fn to_tls(&self) -> Result<Vec<u8>, SctError> {
        let mut out = Vec::with_capacity(
            self.extensions
                .len()
                .saturating_add(self.signature.len())
                .saturating_add(48),
        );
        out.push(0); // v1
        out.extend_from_slice(self.log_id.as_bytes());
        out.extend_from_slice(&self.timestamp_ms.to_be_bytes());
        put_opaque16(&mut out, &self.extensions, "extensions")?;
        out.extend_from_slice(&self.digitally_signed()?);
        Ok(out)
    }

    /// The SCT's TLS `DigitallySigned` (hash, signature algorithm, signature).
    pub fn digitally_signed(&self) -> Result<Vec<u8>, SctError> {
        digitally_signed(self.hash, self.sig_alg, &self.signature)
    }

    /// Reads one v1 `SignedCertificateTimestamp` (exactly, no trailing bytes).
    pub fn from_tls(b: &[u8]) -> Result<Self, SctError> {
        let (version, sct) = read_sct(b)?;
        if version != 0 {
            return Err(SctError::Malformed("unsupported SCT version".into()));
        }
        Ok(sct)
    }
}

/// The value of the embedded SCT-list extension 1.3.6.1.4.1.11129.2.4.2 (the extnValue
/// contents): a DER OCTET STRING holding the TLS `SignedCertificateTimestampList`.
pub fn sct_list_extension(scts: &[Sct]) -> Result<Vec<u8>, SctError> {
    let mut list = Vec::new();
    for s in scts {
        put_opaque16(&mut list, &s.to_tls()?, "SCT")?;
    }
    let mut tls = Vec::with_capacity(list.len().saturating_add(2));
    put_opaque16(&mut tls, &list, "SCT list")?;
    OctetStringRef::new(&tls)
        .and_then(|o| o.to_der())
        .map_err(|_| SctError::TooLong("SCT list"))
}

/// The v1 SCTs of an embedded SCT-list extension value (the inverse of
/// [`sct_list_extension`]). An SCT of another version is an error here; verification
/// ([`verify_embedded_scts`]) skips such SCTs instead.
pub fn parse_sct_list_extension(ext: &[u8]) -> Result<Vec<Sct>, X509Error> {
    parse_list(sct_list_octets(ext)?)?
        .into_iter()
        .map(|(version, sct)| match version {
            0 => Ok(sct),
            _ => Err(X509Error::Sct("unsupported SCT version".into())),
        })
        .collect()
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
    precert_entry(timestamp_ms, issuer_key_hash, precert_tbs, extensions).map_err(|e| match e {
        SctError::TooLong("TBSCertificate") => X509Error::Sct("TBS too large".into()),
        SctError::TooLong(_) => X509Error::Sct("SCT extensions too large".into()),
        e => e.into(),
    })
}

/// `MerkleTreeLeaf` (RFC 6962 §3.4) for a `precert_entry`: version v1, `timestamped_entry`,
/// timestamp, entry type, `PreCert { issuer_key_hash, tbs_certificate<1..2^24-1> }`,
/// extensions. Its leaf hash is `SHA-256(0x00 || leaf)`.
///
/// These are the same bytes as [`precert_sct_signed_data`]: `v1` and `timestamped_entry` are
/// both 0, as are `v1` and `certificate_timestamp`.
pub fn precert_merkle_leaf(
    timestamp_ms: u64,
    issuer_key_hash: &Sha256Hash,
    precert_tbs: &[u8],
    extensions: &[u8],
) -> Result<Vec<u8>, SctError> {
    precert_entry(timestamp_ms, issuer_key_hash, precert_tbs, extensions)
}

fn precert_entry(
    timestamp_ms: u64,
    issuer_key_hash: &Sha256Hash,
    precert_tbs: &[u8],
    extensions: &[u8],
) -> Result<Vec<u8>, SctError> {
    let tbs_len = u24_len(precert_tbs.len(), "TBSCertificate")?;
    let mut out = Vec::with_capacity(
        precert_tbs
            .len()
            .saturating_add(64)
            .saturating_add(extensions.len()),
    );
    out.extend_from_slice(&[0, 0]); // v1, certificate_timestamp / timestamped_entry
    out.extend_from_slice(&timestamp_ms.to_be_bytes());
    out.extend_from_slice(&[0, 1]); // precert_entry
    out.extend_from_slice(issuer_key_hash.as_bytes());
    out.extend_from_slice(&tbs_len);
    out.extend_from_slice(precert_tbs);
    put_opaque16(&mut out, extensions, "extensions")?;
    Ok(out)
}

/// The bytes a log signs for a tree head (RFC 6962 §3.5 `TreeHeadSignature`).
pub fn tree_head_signed_data(timestamp_ms: u64, tree_size: u64, root: &Sha256Hash) -> Vec<u8> {
    let mut out = Vec::with_capacity(50);
    out.extend_from_slice(&[0, 1]); // v1, tree_hash
    out.extend_from_slice(&timestamp_ms.to_be_bytes());
    out.extend_from_slice(&tree_size.to_be_bytes());
    out.extend_from_slice(root.as_bytes());
    out
}

// ---- decoding -------------------------------------------------------------------------------

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn truncated() -> SctError {
        SctError::Malformed("truncated SCT data".into())
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], SctError> {
        let (a, b) = self.0.split_at_checked(n).ok_or_else(Self::truncated)?;
        self.0 = b;
        Ok(a)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], SctError> {
        let (a, b) = self
            .0
            .split_first_chunk::<N>()
            .ok_or_else(Self::truncated)?;
        self.0 = b;
        Ok(*a)
    }
    fn u8(&mut self) -> Result<u8, SctError> {
        let [b] = self.array()?;
        Ok(b)
    }
    fn u16(&mut self) -> Result<usize, SctError> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }
    fn u64(&mut self) -> Result<u64, SctError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn vec16(&mut self) -> Result<&'a [u8], SctError> {
        let n = self.u16()?;
        self.take(n)
    }
}

/// One `SignedCertificateTimestamp` of any version (the layout is v1's), exactly `b`.
fn read_sct(b: &[u8]) -> Result<(u8, Sct), SctError> {
    let mut s = Reader(b);
    let version = s.u8()?;
    let log_id = Sha256Hash(s.array::<32>()?);
    let timestamp_ms = s.u64()?;
    let extensions = s.vec16()?.to_vec();
    let hash = s.u8()?;
    let sig_alg = s.u8()?;
    let signature = s.vec16()?.to_vec();
    if !s.0.is_empty() {
        return Err(SctError::Malformed("trailing data in SCT".into()));
    }
    let sct = Sct {
        log_id,
        timestamp_ms,
        extensions,
        hash,
        sig_alg,
        signature,
    };
    Ok((version, sct))
}

/// The TLS `SignedCertificateTimestampList` inside an SCT-list extension value.
fn sct_list_octets(ext: &[u8]) -> Result<&[u8], X509Error> {
    let octets = derx::read_all(ext)?;
    if octets.tag != 0x04 {
        return Err(X509Error::Sct("SCT list is not an OCTET STRING".into()));
    }
    Ok(octets.value)
}

/// The SCTs of a TLS `SignedCertificateTimestampList`, each with its version.
fn parse_list(tls: &[u8]) -> Result<Vec<(u8, Sct)>, X509Error> {
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
        out.push(read_sct(r.vec16()?)?);
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
            body.extend_from_slice(&derx::wrap(0xa3, &derx::wrap(0x30, &kept)?)?);
        }
    }
    found.then(|| derx::wrap(0x30, &body)).transpose()
}

/// The leaf's TBSCertificate with the SCT-list extension removed (the precertificate TBS the CT
/// log signed), re-encoded.
fn precert_tbs(leaf: &Certificate) -> Result<Vec<u8>, X509Error> {
    tbs_without_extension(leaf.tbs_der(), &SCT_LIST)?
        .ok_or_else(|| X509Error::Sct("certificate has no embedded SCT list".into()))
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
    let scts = parse_list(sct_list_octets(ext)?)?;
    let tbs = precert_tbs(leaf)?;
    let issuer_key_hash = sha256(issuer.spki_der());
    let mut verified = Vec::new();
    let mut failure = None;
    for (version, sct) in scts {
        if version != 0 {
            continue;
        }
        let secs = i64::try_from(sct.timestamp_ms / 1000).unwrap_or(i64::MAX);
        let Some(key) = lookup(&sct.log_id, UnixSeconds(secs)) else {
            continue;
        };
        let signed =
            precert_sct_signed_data(sct.timestamp_ms, &issuer_key_hash, &tbs, &sct.extensions)?;
        let checked = scheme(sct.hash, sct.sig_alg).and_then(|scheme| {
            key.verify_with(scheme, &signed, &sct.signature)
                .map_err(|_| X509Error::Sct(format!("SCT from log {} does not verify", sct.log_id)))
        });
        match checked {
            Ok(()) => verified.push(VerifiedSct {
                log_id: sct.log_id,
                timestamp_ms: sct.timestamp_ms,
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> Sct {
        Sct {
            log_id: Sha256Hash([7; 32]),
            timestamp_ms: 1_692_374_735_120,
            extensions: vec![],
            hash: HASH_SHA256,
            sig_alg: SIG_ECDSA,
            signature: vec![0x30, 0x02, 0x01, 0x02],
        }
    }

    #[test]
    fn tls_round_trip() {
        let s = sample();
        let t = s.to_tls().unwrap();
        assert_eq!(t.len(), 1 + 32 + 8 + 2 + 2 + 2 + 4);
        assert_eq!(Sct::from_tls(&t).unwrap(), s);
        assert!(Sct::from_tls(&t[..t.len() - 1]).is_err());
        let mut extra = t.clone();
        extra.push(0);
        assert!(Sct::from_tls(&extra).is_err());
    }

    #[test]
    fn truncated_corrupted_or_padded_scts_are_errors() {
        let mut s = sample();
        s.extensions = vec![1, 2, 3];
        let t = s.to_tls().unwrap();
        assert_eq!(Sct::from_tls(&t).unwrap(), s);
        for i in 0..t.len() {
            assert!(Sct::from_tls(&t[..i]).is_err(), "cut at {i}");
            for b in [0x00, 0x01, 0x7f, 0xff] {
                let mut m = t.clone();
                m[i] = b;
                let _ = Sct::from_tls(&m);
            }
        }
        let mut padded = t.clone();
        padded.push(0);
        assert!(Sct::from_tls(&padded).is_err());
        let mut v2 = t;
        v2[0] = 1;
        assert!(Sct::from_tls(&v2).is_err());
    }

    #[test]
    fn list_extension_is_octet_string_of_tls_list() {
        let s = sample();
        let ext = sct_list_extension(std::slice::from_ref(&s)).unwrap();
        let t = s.to_tls().unwrap();
        assert_eq!(ext[0], 0x04);
        assert_eq!(usize::from(ext[1]), t.len() + 4);
        assert_eq!(
            &ext[2..4],
            &u16::try_from(t.len() + 2).unwrap().to_be_bytes()
        );
        assert_eq!(&ext[4..6], &u16::try_from(t.len()).unwrap().to_be_bytes());
        assert_eq!(&ext[6..], &t[..]);
    }

    /// The OCTET STRING header the encoder wrote by hand before it used `der`, for each length
    /// form (short, one length byte, two length bytes).
    fn hand_built_octet_string(tls: &[u8]) -> Vec<u8> {
        let n = tls.len();
        let mut out = vec![0x04];
        if n < 0x80 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0x81, n as u8]);
        } else {
            out.push(0x82);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        out.extend_from_slice(tls);
        out
    }

    #[test]
    fn list_extension_round_trips_in_every_length_form() {
        // 1, 2 and 5 SCTs with 64-byte signatures: 115, 229 and 577 bytes of TLS list, so the
        // OCTET STRING length takes the short form, 0x81 and 0x82.
        for (n, len_byte) in [(1usize, 0x73), (2, 0x81), (5, 0x82)] {
            let scts: Vec<Sct> = (0..n)
                .map(|i| Sct {
                    timestamp_ms: 1_700_000_000_000 + i as u64,
                    extensions: vec![i as u8; i],
                    signature: vec![0x5a; 64],
                    ..sample()
                })
                .collect();
            let ext = sct_list_extension(&scts).unwrap();
            assert_eq!(ext[1], len_byte, "{n} SCTs");
            let tls = sct_list_octets(&ext).unwrap();
            assert_eq!(ext, hand_built_octet_string(tls), "{n} SCTs");
            assert_eq!(parse_sct_list_extension(&ext).unwrap(), scts);
        }
        // Encoding an empty list and parsing it back.
        let empty = sct_list_extension(&[]).unwrap();
        assert_eq!(empty, [0x04, 0x02, 0x00, 0x00]);
        assert!(parse_sct_list_extension(&empty).unwrap().is_empty());
    }

    #[test]
    fn parsing_a_list_extension_refuses_other_versions_and_non_octet_strings() {
        let mut v2 = sample().to_tls().unwrap();
        v2[0] = 1;
        let tls = list(&[v2]);
        let ext = hand_built_octet_string(&tls);
        assert_eq!(
            parse_sct_list_extension(&ext),
            Err(X509Error::Sct("unsupported SCT version".into()))
        );
        // Verification skips it instead (parse_list keeps the version).
        assert_eq!(parse_list(&tls).unwrap()[0].0, 1);
        let mut not_octets = sct_list_extension(&[sample()]).unwrap();
        not_octets[0] = 0x30;
        assert_eq!(
            parse_sct_list_extension(&not_octets),
            Err(X509Error::Sct("SCT list is not an OCTET STRING".into()))
        );
    }

    #[test]
    fn leaf_layout() {
        let leaf = precert_merkle_leaf(5, &Sha256Hash([1; 32]), &[0x30, 0x00], &[]).unwrap();
        assert_eq!(leaf.len(), 2 + 8 + 2 + 32 + 3 + 2 + 2);
        assert_eq!(&leaf[..2], &[0, 0]);
        assert_eq!(&leaf[10..12], &[0, 1]);
        assert_eq!(&leaf[44..47], &[0, 0, 2]);
    }

    #[test]
    fn oversized_precert_fields_keep_their_messages() {
        let key = Sha256Hash([1; 32]);
        let big = vec![0u8; 1 << 24];
        assert_eq!(
            precert_sct_signed_data(1, &key, &big, &[]),
            Err(X509Error::Sct("TBS too large".into()))
        );
        assert_eq!(
            precert_sct_signed_data(1, &key, &[], &big[..1 << 16]),
            Err(X509Error::Sct("SCT extensions too large".into()))
        );
        assert_eq!(
            precert_merkle_leaf(1, &key, &big, &[]),
            Err(SctError::TooLong("TBSCertificate"))
        );
    }

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
        assert_eq!(parsed[0].1.extensions, b"ext");
        assert_eq!(parsed[0].1.signature, b"sig");
        assert_eq!(parsed[0].1.timestamp_ms, 1_700_000_000_000);
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
