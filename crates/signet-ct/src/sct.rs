//! RFC 6962 wire structures: SCTs (§3.2), the embedded SCT-list extension (§3.3), the Merkle
//! tree leaf (§3.4) and the tree head signature (§3.5). TLS presentation-language encoding,
//! big-endian, with the stated length prefixes.

use signet_types::{Sha256Hash, b64};

/// Why an SCT could not be encoded or decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SctError {
    /// A field is longer than its length prefix allows.
    #[error("{0} too long for its length prefix")]
    TooLong(&'static str),
    /// Truncated or malformed TLS data.
    #[error("malformed SCT: {0}")]
    Malformed(String),
}

/// `hash_algorithm` code for SHA-256 (RFC 5246 §7.4.1.4.1).
pub const HASH_SHA256: u8 = 4;
/// `signature_algorithm` code for ECDSA.
pub const SIG_ECDSA: u8 = 3;

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
    let b = n.to_be_bytes();
    Ok([b[1], b[2], b[3]])
}

/// TLS `DigitallySigned`: hash(1) signature(1) opaque<0..2^16-1>.
pub fn digitally_signed(hash: u8, sig_alg: u8, signature: &[u8]) -> Result<Vec<u8>, SctError> {
    // Capacity hints: a slice is at most isize::MAX bytes, so these sums never saturate.
    let mut out = Vec::with_capacity(signature.len().saturating_add(4));
    out.push(hash);
    out.push(sig_alg);
    out.extend_from_slice(&u16_len(signature.len(), "signature")?);
    out.extend_from_slice(signature);
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
        out.extend_from_slice(&u16_len(self.extensions.len(), "extensions")?);
        out.extend_from_slice(&self.extensions);
        out.extend_from_slice(&digitally_signed(self.hash, self.sig_alg, &self.signature)?);
        Ok(out)
    }

    /// Reads one `SignedCertificateTimestamp` (exactly, no trailing bytes).
    pub fn from_tls(b: &[u8]) -> Result<Self, SctError> {
        let bad = |m: &str| SctError::Malformed(m.to_string());
        let truncated = || SctError::Malformed("truncated".into());
        fn fixed<const N: usize>(b: &mut &[u8]) -> Option<[u8; N]> {
            let (a, rest) = b.split_first_chunk::<N>()?;
            *b = rest;
            Some(*a)
        }
        // opaque<0..2^16-1>: a two-byte length, then that many bytes.
        let opaque16 = |b: &mut &[u8]| -> Option<Vec<u8>> {
            let n = u16::from_be_bytes(fixed::<2>(b)?);
            let (a, rest) = b.split_at_checked(usize::from(n))?;
            *b = rest;
            Some(a.to_vec())
        };
        let mut r = b;
        let [version] = fixed::<1>(&mut r).ok_or_else(truncated)?;
        if version != 0 {
            return Err(bad("unsupported SCT version"));
        }
        let log_id = Sha256Hash(fixed::<32>(&mut r).ok_or_else(truncated)?);
        let ts = fixed::<8>(&mut r).ok_or_else(truncated)?;
        let extensions = opaque16(&mut r).ok_or_else(truncated)?;
        let [hash, sig_alg] = fixed::<2>(&mut r).ok_or_else(truncated)?;
        let signature = opaque16(&mut r).ok_or_else(truncated)?;
        if !r.is_empty() {
            return Err(bad("trailing bytes"));
        }
        Ok(Self {
            log_id,
            timestamp_ms: u64::from_be_bytes(ts),
            extensions,
            hash,
            sig_alg,
            signature,
        })
    }

    /// certificate-transparency-go's `AddChainResponse` JSON (the body of `add-pre-chain`).
    pub fn to_add_chain_response(&self) -> Result<serde_json::Value, SctError> {
        Ok(serde_json::json!({
            "sct_version": 0,
            "id": b64::encode(self.log_id.as_bytes()),
            "timestamp": self.timestamp_ms,
            "extensions": b64::encode(&self.extensions),
            "signature": b64::encode(digitally_signed(self.hash, self.sig_alg, &self.signature)?),
        }))
    }
}

/// The value of the embedded SCT-list extension 1.3.6.1.4.1.11129.2.4.2 (the extnValue
/// contents): a DER OCTET STRING holding the TLS `SignedCertificateTimestampList`.
pub fn sct_list_extension(scts: &[Sct]) -> Result<Vec<u8>, SctError> {
    let mut list = Vec::new();
    for s in scts {
        let t = s.to_tls()?;
        list.extend_from_slice(&u16_len(t.len(), "SCT")?);
        list.extend_from_slice(&t);
    }
    let mut tls = Vec::with_capacity(list.len().saturating_add(2));
    tls.extend_from_slice(&u16_len(list.len(), "SCT list")?);
    tls.extend_from_slice(&list);
    let mut out = vec![0x04];
    let n = tls.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        let l = u16::try_from(n).map_err(|_| SctError::TooLong("SCT list"))?;
        out.push(0x82);
        out.extend_from_slice(&l.to_be_bytes());
    }
    out.extend_from_slice(&tls);
    Ok(out)
}

/// `MerkleTreeLeaf` (RFC 6962 §3.4) for a `precert_entry`: version v1, `timestamped_entry`,
/// timestamp, entry type, `PreCert { issuer_key_hash, tbs_certificate<1..2^24-1> }`,
/// extensions. Its leaf hash is `SHA-256(0x00 || leaf)`.
pub fn precert_merkle_leaf(
    timestamp_ms: u64,
    issuer_key_hash: &Sha256Hash,
    precert_tbs: &[u8],
    extensions: &[u8],
) -> Result<Vec<u8>, SctError> {
    let mut out = Vec::with_capacity(precert_tbs.len().saturating_add(64));
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&timestamp_ms.to_be_bytes());
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(issuer_key_hash.as_bytes());
    out.extend_from_slice(&u24_len(precert_tbs.len(), "TBSCertificate")?);
    out.extend_from_slice(precert_tbs);
    out.extend_from_slice(&u16_len(extensions.len(), "extensions")?);
    out.extend_from_slice(extensions);
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

    #[test]
    fn leaf_layout() {
        let leaf = precert_merkle_leaf(5, &Sha256Hash([1; 32]), &[0x30, 0x00], &[]).unwrap();
        assert_eq!(leaf.len(), 2 + 8 + 2 + 32 + 3 + 2 + 2);
        assert_eq!(&leaf[..2], &[0, 0]);
        assert_eq!(&leaf[10..12], &[0, 1]);
        assert_eq!(&leaf[44..47], &[0, 0, 2]);
    }

    #[test]
    fn add_chain_response_shape() {
        let j = sample().to_add_chain_response().unwrap();
        assert_eq!(j["sct_version"], 0);
        assert_eq!(j["timestamp"], 1_692_374_735_120u64);
        let sig = b64::decode(j["signature"].as_str().unwrap()).unwrap();
        assert_eq!(&sig[..4], &[4, 3, 0, 4]);
    }
}
