//! RFC 3161 timestamps (TimeStampResp or bare TimeStampToken), verified the way
//! sigstore/timestamp-authority's `pkg/verify` does: message imprint over the signature bytes,
//! CMS signer signature over the signed attributes, messageDigest over the TSTInfo, and the
//! signing certificate chained to a trusted TSA at the timestamp's own genTime.

use const_oid::ObjectIdentifier;
use signet_types::UnixSeconds;

use crate::cert::{hash_for, scheme_for};
use crate::chain::{Purpose, TrustAnchorChain, verify_chain};
use crate::derx::{self, Tlv};
use crate::{Certificate, X509Error};

const ID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const ID_CT_TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const ID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const ID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";

/// A trusted timestamp authority: its certificate chain (leaf-most first, root last) and the
/// window (inclusive) in which its timestamps are accepted.
#[derive(Clone, Debug)]
pub struct TsaAuthority {
    /// Certificate chain.
    pub chain: Vec<Certificate>,
    /// (start, end); a missing start means never valid.
    pub valid_for: (Option<UnixSeconds>, Option<UnixSeconds>),
}

/// A timestamp that verified. Only [`verify_rfc3161`] creates one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTimestamp {
    time: UnixSeconds,
    authority_index: usize,
}

impl VerifiedTimestamp {
    /// The genTime (seconds; fractions dropped).
    pub fn time(&self) -> UnixSeconds {
        self.time
    }
    /// Which authority vouched for it.
    pub fn authority_index(&self) -> usize {
        self.authority_index
    }
}

fn bad(m: impl Into<String>) -> X509Error {
    X509Error::Timestamp(m.into())
}

fn oid_of(t: &Tlv<'_>) -> Result<String, X509Error> {
    if t.tag != 0x06 {
        return Err(bad("expected an OBJECT IDENTIFIER"));
    }
    ObjectIdentifier::from_bytes(t.value)
        .map(|o| o.to_string())
        .map_err(|e| bad(e.to_string()))
}

fn expect<'a>(items: &[Tlv<'a>], i: usize, tag: u8, what: &str) -> Result<Tlv<'a>, X509Error> {
    items
        .get(i)
        .filter(|t| t.tag == tag)
        .copied()
        .ok_or_else(|| bad(format!("missing or malformed {what}")))
}

/// First OID of an AlgorithmIdentifier.
fn alg_oid(t: &Tlv<'_>) -> Result<String, X509Error> {
    let parts = derx::children(t.value)?;
    oid_of(
        parts
            .first()
            .ok_or_else(|| bad("empty AlgorithmIdentifier"))?,
    )
}

/// Parses `YYYYMMDDHHMMSS[.f*]Z` into Unix seconds.
fn generalized_time(v: &[u8]) -> Result<UnixSeconds, X509Error> {
    let s = std::str::from_utf8(v).map_err(|_| bad("genTime is not ASCII"))?;
    let s = s
        .strip_suffix('Z')
        .ok_or_else(|| bad("genTime is not UTC"))?;
    let (main, frac) = s.split_once('.').unwrap_or((s, ""));
    if main.len() != 14
        || !main.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad(format!("malformed genTime {s:?}")));
    }
    let n = |a: usize, b: usize| {
        main[a..b]
            .parse::<i64>()
            .map_err(|_| bad("malformed genTime"))
    };
    let (y, mo, d, h, mi, se) = (
        n(0, 4)?,
        n(4, 6)?,
        n(6, 8)?,
        n(8, 10)?,
        n(10, 12)?,
        n(12, 14)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return Err(bad("genTime out of range"));
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(UnixSeconds(days * 86_400 + h * 3600 + mi * 60 + se))
}

struct Parsed<'a> {
    tst_info: &'a [u8],
    certs: Vec<Certificate>,
    digest_alg: String,
    signed_attrs: Option<Tlv<'a>>,
    sig_alg: String,
    signature: &'a [u8],
    sid: Tlv<'a>,
}

fn parse_token(input: &[u8]) -> Result<Parsed<'_>, X509Error> {
    let top = derx::read_all(input)?;
    let items = derx::children(top.value)?;
    // TimeStampResp = SEQUENCE { status PKIStatusInfo, timeStampToken } or a bare ContentInfo.
    let content_info = match items.first() {
        Some(t) if t.tag == 0x30 => {
            let status = derx::children(t.value)?;
            let code = status
                .first()
                .filter(|s| s.tag == 0x02)
                .ok_or_else(|| bad("malformed PKIStatusInfo"))?;
            if !(code.value == [0] || code.value == [1]) {
                return Err(bad("timestamp response status is not granted"));
            }
            let token = items
                .get(1)
                .ok_or_else(|| bad("response carries no token"))?;
            derx::children(token.value)?
        }
        Some(_) => items,
        None => return Err(bad("empty structure")),
    };
    if oid_of(&expect(&content_info, 0, 0x06, "contentType")?)? != ID_SIGNED_DATA {
        return Err(bad("token is not CMS SignedData"));
    }
    let explicit = expect(&content_info, 1, 0xa0, "content")?;
    let sd_tlv = derx::read_all(explicit.value)?;
    let sd = derx::children(sd_tlv.value)?;
    // version, digestAlgorithms, encapContentInfo, [0] certs?, [1] crls?, signerInfos
    let encap = derx::children(expect(&sd, 2, 0x30, "encapContentInfo")?.value)?;
    if oid_of(&expect(&encap, 0, 0x06, "eContentType")?)? != ID_CT_TST_INFO {
        return Err(bad("content is not a TSTInfo"));
    }
    let econtent = derx::read_all(expect(&encap, 1, 0xa0, "eContent")?.value)?;
    if econtent.tag != 0x04 {
        return Err(bad("eContent is not an OCTET STRING"));
    }
    let mut certs = Vec::new();
    let mut idx = 3;
    if let Some(t) = sd.get(idx).filter(|t| t.tag == 0xa0) {
        for c in derx::children(t.value)? {
            if c.tag == 0x30 {
                certs.push(Certificate::from_der(c.raw)?);
            }
        }
        idx += 1;
    }
    if sd.get(idx).is_some_and(|t| t.tag == 0xa1) {
        idx += 1;
    }
    let signer_infos = derx::children(expect(&sd, idx, 0x31, "signerInfos")?.value)?;
    let [si] = signer_infos.as_slice() else {
        return Err(bad(format!(
            "expected one SignerInfo, found {}",
            signer_infos.len()
        )));
    };
    let f = derx::children(si.value)?;
    // version, sid, digestAlgorithm, [0] signedAttrs?, signatureAlgorithm, signature, [1]?
    let sid = *f.get(1).ok_or_else(|| bad("missing signer identifier"))?;
    let digest_alg = alg_oid(&expect(&f, 2, 0x30, "digestAlgorithm")?)?;
    let (signed_attrs, next) = match f.get(3) {
        Some(t) if t.tag == 0xa0 => (Some(*t), 4),
        _ => (None, 3),
    };
    let sig_alg = alg_oid(&expect(&f, next, 0x30, "signatureAlgorithm")?)?;
    let signature = expect(&f, next + 1, 0x04, "signature")?.value;
    Ok(Parsed {
        tst_info: econtent.value,
        certs,
        digest_alg,
        signed_attrs,
        sig_alg,
        signature,
        sid,
    })
}

/// Finds the embedded certificate named by the signer identifier.
fn find_signer<'c>(certs: &'c [Certificate], sid: &Tlv<'_>) -> Option<&'c Certificate> {
    certs.iter().find(|c| match sid.tag {
        // issuerAndSerialNumber
        0x30 => derx::children(sid.value).ok().is_some_and(|p| {
            p.len() == 2
                && c.issuer_der().is_ok_and(|i| i == p[0].raw)
                && c.inner().tbs_certificate().serial_number().as_bytes() == p[1].value
        }),
        // [0] subjectKeyIdentifier
        0x80 => c.extensions().iter().any(|e| {
            e.extn_id.to_string() == "2.5.29.14"
                && derx::read_all(e.extn_value.as_bytes()).is_ok_and(|k| k.value == sid.value)
        }),
        _ => false,
    })
}

/// Verifies an RFC 3161 timestamp over `signed_bytes` (the bundle's signature bytes).
pub fn verify_rfc3161(
    token: &[u8],
    signed_bytes: &[u8],
    authorities: &[TsaAuthority],
) -> Result<VerifiedTimestamp, X509Error> {
    let p = parse_token(token)?;

    // TSTInfo: version, policy, messageImprint, serialNumber, genTime, ...
    let tst = derx::children(derx::read_all(p.tst_info)?.value)?;
    let imprint = derx::children(expect(&tst, 2, 0x30, "messageImprint")?.value)?;
    let imprint_alg = hash_for(&alg_oid(&expect(&imprint, 0, 0x30, "hashAlgorithm")?)?)?;
    let hashed = expect(&imprint, 1, 0x04, "hashedMessage")?.value;
    if imprint_alg.digest(signed_bytes) != hashed {
        return Err(bad(
            "message imprint does not match the signature it should timestamp",
        ));
    }
    let time = generalized_time(expect(&tst, 4, 0x18, "genTime")?.value)?;

    // Signed attributes: content type and message digest over the TSTInfo; the signature covers
    // their DER with the [0] IMPLICIT tag replaced by SET OF.
    let digest_alg = hash_for(&p.digest_alg)?;
    let signed_content = match p.signed_attrs {
        Some(attrs) => {
            let mut digest_ok = false;
            let mut type_ok = false;
            for a in derx::children(attrs.value)? {
                let parts = derx::children(a.value)?;
                let oid = oid_of(parts.first().ok_or_else(|| bad("empty attribute"))?)?;
                let values = derx::children(
                    parts
                        .get(1)
                        .ok_or_else(|| bad("attribute without values"))?
                        .value,
                )?;
                if oid == ID_MESSAGE_DIGEST {
                    let v = values
                        .first()
                        .filter(|v| v.tag == 0x04)
                        .ok_or_else(|| bad("malformed messageDigest"))?;
                    digest_ok = v.value == digest_alg.digest(p.tst_info).as_slice();
                } else if oid == ID_CONTENT_TYPE {
                    type_ok = values
                        .first()
                        .is_some_and(|v| oid_of(v).is_ok_and(|o| o == ID_CT_TST_INFO));
                }
            }
            if !digest_ok {
                return Err(bad("messageDigest attribute does not match the TSTInfo"));
            }
            if !type_ok {
                return Err(bad("contentType attribute is not TSTInfo"));
            }
            derx::wrap(0x31, attrs.value)
        }
        None => p.tst_info.to_vec(),
    };
    let scheme = scheme_for(
        &ObjectIdentifier::new(&p.sig_alg).map_err(|e| bad(e.to_string()))?,
        Some(digest_alg),
    )?;

    let mut last = bad("no trusted timestamp authority is valid at the timestamp's time");
    for (authority_index, auth) in authorities.iter().enumerate() {
        let (start, end) = auth.valid_for;
        if start.is_none_or(|s| s > time) || end.is_some_and(|e| time > e) {
            continue;
        }
        let Some(leaf) = find_signer(&p.certs, &p.sid)
            .or_else(|| find_signer(&auth.chain, &p.sid))
            .or(auth.chain.first())
        else {
            continue;
        };
        let key = leaf.public_key()?;
        if key
            .verify_with(scheme, &signed_content, p.signature)
            .is_err()
        {
            last = bad("timestamp signature does not verify with the authority's certificate");
            continue;
        }
        // The signer must chain to this authority at genTime. If the signer is the authority's
        // own leaf, chain from it directly.
        let anchor = TrustAnchorChain::new(auth.chain.clone())?;
        let chained = if auth.chain.len() == 1 && leaf.der() == auth.chain[0].der() {
            if leaf.not_before() <= time && time <= leaf.not_after() {
                Ok(())
            } else {
                Err(bad(
                    "timestamp is outside the authority certificate's validity",
                ))
            }
        } else {
            verify_chain(
                leaf,
                &[],
                std::slice::from_ref(&anchor),
                time,
                Purpose::TimeStamping,
            )
            .map(|_| ())
        };
        match chained {
            Ok(()) => {
                return Ok(VerifiedTimestamp {
                    time,
                    authority_index,
                });
            }
            Err(e) => last = bad(format!("timestamp authority chain: {e}")),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_time_parses() {
        assert_eq!(
            generalized_time(b"19700101000000Z").unwrap(),
            UnixSeconds(0)
        );
        assert_eq!(
            generalized_time(b"20240319172626Z").unwrap(),
            UnixSeconds(1_710_869_186)
        );
        assert_eq!(
            generalized_time(b"20240319172626.123Z").unwrap(),
            UnixSeconds(1_710_869_186)
        );
        assert!(generalized_time(b"2024031917262Z").is_err());
        assert!(generalized_time(b"20241319172626Z").is_err());
        assert!(generalized_time(b"20240319172626").is_err());
    }
}
