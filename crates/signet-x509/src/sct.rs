//! Embedded SCTs (RFC 6962 §3.2, `precert_entry`), verified against the issuing certificate.

use signet_crypto::{HashAlgorithm, PublicKey, Scheme, sha256};
use signet_types::{Sha256Hash, UnixSeconds, limits};

use crate::{Certificate, X509Error, derx};

const SCT_LIST_OID: &str = "1.3.6.1.4.1.11129.2.4.2";

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
    fn take(&mut self, n: usize) -> Result<&'a [u8], X509Error> {
        if self.0.len() < n {
            return Err(X509Error::Sct("truncated SCT data".into()));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, X509Error> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<usize, X509Error> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
    fn u64(&mut self) -> Result<u64, X509Error> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
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

/// The leaf's TBSCertificate with the SCT-list extension removed (the precertificate TBS the CT
/// log signed), re-encoded.
fn precert_tbs(leaf: &Certificate) -> Result<Vec<u8>, X509Error> {
    let tbs = derx::read_all(leaf.tbs_der()?)?;
    let mut body = Vec::with_capacity(tbs.value.len());
    let mut found = false;
    for field in derx::children(tbs.value)? {
        if field.tag != 0xa3 {
            body.extend_from_slice(field.raw);
            continue;
        }
        let exts = derx::read_all(field.value)?;
        let mut kept = Vec::with_capacity(exts.value.len());
        let mut count = 0;
        for ext in derx::children(exts.value)? {
            let oid_tlv = derx::read(ext.value)?.0;
            let oid = const_oid::ObjectIdentifier::from_bytes(oid_tlv.value)
                .map_err(|e| X509Error::Malformed(e.to_string()))?;
            if oid.to_string() == SCT_LIST_OID {
                found = true;
            } else {
                kept.extend_from_slice(ext.raw);
                count += 1;
            }
        }
        if count > 0 {
            body.extend_from_slice(&derx::wrap(0xa3, &derx::wrap(0x30, &kept)));
        }
    }
    if !found {
        return Err(X509Error::Sct(
            "certificate has no embedded SCT list".into(),
        ));
    }
    Ok(derx::wrap(0x30, &body))
}

fn scheme(hash: u8, sig: u8) -> Result<Scheme, X509Error> {
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
        7 => Ok(Scheme::Ed25519),
        other => Err(X509Error::Sct(format!(
            "unsupported SCT signature algorithm {other}"
        ))),
    }
}

/// Verifies the SCTs embedded in `leaf` (issued by `issuer`). `lookup` returns the key of a
/// trusted CT log by log ID, if that log is trusted at the SCT's time; SCTs from other logs are
/// skipped. Returns the SCTs that verified; errors only on malformed data or a bad signature from
/// a trusted log.
pub fn verify_embedded_scts(
    leaf: &Certificate,
    issuer: &Certificate,
    lookup: &dyn Fn(&Sha256Hash, UnixSeconds) -> Option<PublicKey>,
) -> Result<Vec<VerifiedSct>, X509Error> {
    let ext = leaf
        .extensions()
        .iter()
        .find(|e| e.extn_id.to_string() == SCT_LIST_OID)
        .ok_or_else(|| X509Error::Sct("certificate has no embedded SCT list".into()))?;
    let octets = derx::read_all(ext.extn_value.as_bytes())?;
    if octets.tag != 0x04 {
        return Err(X509Error::Sct("SCT list is not an OCTET STRING".into()));
    }
    let scts = parse_list(octets.value)?;
    let tbs = precert_tbs(leaf)?;
    let tbs_len = u32::try_from(tbs.len())
        .ok()
        .filter(|l| *l < 1 << 24)
        .ok_or_else(|| X509Error::Sct("TBS too large".into()))?;
    let issuer_key_hash = sha256(&issuer.spki_der()?);
    let mut verified = Vec::new();
    for sct in scts {
        if sct.version != 0 {
            continue;
        }
        let secs = i64::try_from(sct.timestamp / 1000).unwrap_or(i64::MAX);
        let Some(key) = lookup(&sct.log_id, UnixSeconds(secs)) else {
            continue;
        };
        let mut signed = Vec::with_capacity(tbs.len() + 64 + sct.extensions.len());
        signed.push(0); // sct_version v1
        signed.push(0); // signature_type certificate_timestamp
        signed.extend_from_slice(&sct.timestamp.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes()); // entry_type precert_entry
        signed.extend_from_slice(issuer_key_hash.as_bytes());
        signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
        signed.extend_from_slice(&tbs);
        let ext_len = u16::try_from(sct.extensions.len())
            .map_err(|_| X509Error::Sct("extensions too long".into()))?;
        signed.extend_from_slice(&ext_len.to_be_bytes());
        signed.extend_from_slice(sct.extensions);
        key.verify_with(scheme(sct.hash, sct.sig_alg)?, &signed, sct.signature)
            .map_err(|_| X509Error::Sct(format!("SCT from log {} does not verify", sct.log_id)))?;
        verified.push(VerifiedSct {
            log_id: sct.log_id,
            timestamp_ms: sct.timestamp,
        });
    }
    Ok(verified)
}
