use serde::{Deserialize, Serialize};
use signet_crypto::PublicKey;
use signet_types::{UnixSeconds, b64, limits};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Media type of trusted roots this crate reads and writes.
pub const TRUSTED_ROOT_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/// Why a trusted root was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("malformed trusted root: {0}")]
    Json(String),
    /// Unknown media type.
    #[error("unsupported trusted root media type {0:?}")]
    MediaType(String),
    /// A base64 field did not decode.
    #[error("trusted root field {field}: {reason}")]
    Field {
        /// Field name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Too many entries or too large.
    #[error("trusted root exceeds limit: {0}")]
    Limit(String),
    /// A `validFor` that is present but has no `start` (the one required field of a
    /// `TimeRange`): a malformed root, refused rather than read as "never" or "always" valid.
    #[error("trusted root: {kind} {name} validFor has no start")]
    ValidityWithoutStart {
        /// `tlog`, `ctlog`, `certificate authority` or `timestamp authority`.
        kind: &'static str,
        /// Its base URL or URI.
        name: String,
    },
}

/// A validity window. Both ends are inclusive; a missing end means open.
///
/// In `trusted_root.json`, a log, CT log, CA or TSA without `validFor` is valid at every time
/// (the default, [`TimeRange::ALWAYS`]), as sigstore-python and sigstore-js read it; a `validFor`
/// without `start` is a malformed root ([`TrustError::ValidityWithoutStart`]), as sigstore-go
/// reads it for logs. (sigstore-go also refuses logs without `validFor`, and reads a CA or TSA
/// `validFor` without `start` as open-ended; signet applies one rule to all four.) A `start` of
/// `None` therefore only comes from an absent `validFor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TimeRange {
    /// First second of validity; `None`: since always.
    pub start: Option<UnixSeconds>,
    /// Last second of validity; `None`: open.
    pub end: Option<UnixSeconds>,
}

impl TimeRange {
    /// Valid at every time (no `validFor`).
    pub const ALWAYS: Self = Self {
        start: None,
        end: None,
    };

    /// Whether `t` lies within the window.
    pub fn contains(&self, t: UnixSeconds) -> bool {
        self.start.is_none_or(|start| start <= t) && self.end.is_none_or(|end| t <= end)
    }
}

/// A public key from the trusted root, or why it could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustedKey {
    /// A key signet can verify with.
    Usable(PublicKey),
    /// A key signet could not load; it never verifies anything.
    Unusable {
        /// The `keyDetails` value.
        details: String,
        /// Why it was not loaded.
        reason: String,
    },
}

impl TrustedKey {
    /// The key, if usable.
    pub fn usable(&self) -> Option<&PublicKey> {
        match self {
            Self::Usable(k) => Some(k),
            Self::Unusable { .. } => None,
        }
    }
}

/// A transparency log or CT log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransparencyLog {
    /// Base URL, e.g. `https://rekor.sigstore.dev`.
    pub base_url: String,
    /// Log ID bytes (SHA-256 of the SPKI for Rekor v1 and CT; checkpoint key ID for Rekor v2).
    pub log_id: Vec<u8>,
    /// The log's key.
    pub key: TrustedKey,
    /// `keyDetails` string, e.g. `PKIX_ECDSA_P256_SHA_256`.
    pub key_details: String,
    /// When the key may be used.
    pub valid_for: TimeRange,
}

impl TransparencyLog {
    /// The host part of the base URL (the checkpoint origin of a Rekor v2 log).
    pub fn host(&self) -> &str {
        let rest = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }
}

/// A certificate authority or timestamp authority: a certificate chain (leaf-most first,
/// root last, DER) with a validity window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateAuthority {
    /// Distinguished name the authority is known by (informational; clients such as
    /// sigstore-python require it in the document).
    pub subject: Option<AuthoritySubject>,
    /// Service URI.
    pub uri: String,
    /// Certificate chain, DER, leaf-most first.
    pub chain: Vec<Vec<u8>>,
    /// When certificates from this authority are accepted.
    pub valid_for: TimeRange,
}

/// `DistinguishedName` of a certificate authority in a trusted root.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AuthoritySubject {
    /// `organization`.
    pub organization: String,
    /// `commonName`.
    pub common_name: String,
}

/// A parsed trusted root.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TrustedRoot {
    /// Rekor logs.
    pub tlogs: Vec<TransparencyLog>,
    /// CT logs.
    pub ctlogs: Vec<TransparencyLog>,
    /// Fulcio CAs.
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// Timestamp authorities.
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

// ---- wire form -------------------------------------------------------------------------------

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RootJson {
    pub(crate) media_type: String,
    #[serde(default)]
    pub(crate) tlogs: Vec<LogJson>,
    #[serde(default)]
    pub(crate) certificate_authorities: Vec<CaJson>,
    #[serde(default)]
    pub(crate) ctlogs: Vec<LogJson>,
    #[serde(default)]
    pub(crate) timestamp_authorities: Vec<CaJson>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogJson {
    #[serde(default)]
    pub(crate) base_url: String,
    #[serde(default)]
    pub(crate) hash_algorithm: String,
    pub(crate) public_key: KeyJson,
    pub(crate) log_id: LogIdJson,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeyJson {
    #[serde(default)]
    pub(crate) raw_bytes: String,
    #[serde(default)]
    pub(crate) key_details: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) valid_for: Option<RangeJson>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogIdJson {
    pub(crate) key_id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct RangeJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) end: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CaJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subject: Option<SubjectJson>,
    #[serde(default)]
    pub(crate) uri: String,
    pub(crate) cert_chain: ChainJson,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) valid_for: Option<RangeJson>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubjectJson {
    #[serde(default)]
    pub(crate) organization: String,
    #[serde(default)]
    pub(crate) common_name: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct ChainJson {
    #[serde(default)]
    pub(crate) certificates: Vec<RawJson>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawJson {
    pub(crate) raw_bytes: String,
}

/// `t` in RFC 3339 (`2025-01-01T00:00:00Z`), as trust files write times; `None` if out of
/// range.
pub fn format_time(t: UnixSeconds) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(t.0)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
}

fn parse_time(field: &'static str, s: &str) -> Result<UnixSeconds, TrustError> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map(|t| UnixSeconds(t.unix_timestamp()))
        .map_err(|e| TrustError::Field {
            field,
            reason: format!("{s:?}: {e}"),
        })
}

/// `validFor` of the `kind` named `name`: absent is [`TimeRange::ALWAYS`], present needs a start.
fn parse_range(
    r: Option<&RangeJson>,
    kind: &'static str,
    name: &str,
) -> Result<TimeRange, TrustError> {
    let Some(r) = r else {
        return Ok(TimeRange::ALWAYS);
    };
    let Some(start) = r.start.as_deref() else {
        return Err(TrustError::ValidityWithoutStart {
            kind,
            name: name.to_string(),
        });
    };
    Ok(TimeRange {
        start: Some(parse_time("validFor.start", start)?),
        end: r
            .end
            .as_deref()
            .map(|s| parse_time("validFor.end", s))
            .transpose()?,
    })
}

fn b64_field(field: &'static str, s: &str) -> Result<Vec<u8>, TrustError> {
    b64::decode(s).map_err(|e| TrustError::Field {
        field,
        reason: e.to_string(),
    })
}

fn load_key(details: &str, der: &[u8]) -> TrustedKey {
    let parsed = if details.starts_with("PKCS1_RSA") {
        PublicKey::from_pkcs1_rsa_der(der)
    } else {
        PublicKey::from_spki_der(der)
    };
    match parsed {
        Ok(k) => TrustedKey::Usable(k),
        Err(e) => TrustedKey::Unusable {
            details: details.to_string(),
            reason: e.to_string(),
        },
    }
}

fn check_count(what: &str, n: usize) -> Result<(), TrustError> {
    if n > limits::MAX_TRUST_ENTRIES {
        return Err(TrustError::Limit(format!(
            "{n} {what}, at most {}",
            limits::MAX_TRUST_ENTRIES
        )));
    }
    Ok(())
}

fn parse_log(l: &LogJson, kind: &'static str) -> Result<TransparencyLog, TrustError> {
    let der = b64_field("publicKey.rawBytes", &l.public_key.raw_bytes)?;
    Ok(TransparencyLog {
        base_url: l.base_url.clone(),
        log_id: b64_field("logId.keyId", &l.log_id.key_id)?,
        key: load_key(&l.public_key.key_details, &der),
        key_details: l.public_key.key_details.clone(),
        valid_for: parse_range(l.public_key.valid_for.as_ref(), kind, &l.base_url)?,
    })
}

fn parse_ca(c: &CaJson, kind: &'static str) -> Result<CertificateAuthority, TrustError> {
    if c.cert_chain.certificates.len() > limits::MAX_CERTS_PER_CHAIN {
        return Err(TrustError::Limit(format!(
            "{} certificates in one chain",
            c.cert_chain.certificates.len()
        )));
    }
    let chain = c
        .cert_chain
        .certificates
        .iter()
        .map(|r| b64_field("certChain.certificates.rawBytes", &r.raw_bytes))
        .collect::<Result<Vec<_>, _>>()?;
    if chain.is_empty() {
        return Err(TrustError::Field {
            field: "certChain",
            reason: "empty".into(),
        });
    }
    Ok(CertificateAuthority {
        subject: c.subject.as_ref().map(|s| AuthoritySubject {
            organization: s.organization.clone(),
            common_name: s.common_name.clone(),
        }),
        uri: c.uri.clone(),
        chain,
        valid_for: parse_range(c.valid_for.as_ref(), kind, &c.uri)?,
    })
}

impl TrustedRoot {
    /// Parses a `trusted_root.json` document.
    pub fn from_json(bytes: &[u8]) -> Result<Self, TrustError> {
        if bytes.len() > limits::MAX_JSON_DOCUMENT {
            return Err(TrustError::Limit(format!(
                "document of {} bytes",
                bytes.len()
            )));
        }
        let j: RootJson =
            serde_json::from_slice(bytes).map_err(|e| TrustError::Json(e.to_string()))?;
        if j.media_type != TRUSTED_ROOT_MEDIA_TYPE {
            return Err(TrustError::MediaType(j.media_type));
        }
        check_count("tlogs", j.tlogs.len())?;
        check_count("ctlogs", j.ctlogs.len())?;
        check_count("certificate authorities", j.certificate_authorities.len())?;
        check_count("timestamp authorities", j.timestamp_authorities.len())?;
        Ok(Self {
            tlogs: j
                .tlogs
                .iter()
                .map(|l| parse_log(l, "tlog"))
                .collect::<Result<_, _>>()?,
            ctlogs: j
                .ctlogs
                .iter()
                .map(|l| parse_log(l, "ctlog"))
                .collect::<Result<_, _>>()?,
            certificate_authorities: j
                .certificate_authorities
                .iter()
                .map(|c| parse_ca(c, "certificate authority"))
                .collect::<Result<_, _>>()?,
            timestamp_authorities: j
                .timestamp_authorities
                .iter()
                .map(|c| parse_ca(c, "timestamp authority"))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The transparency log with this log ID.
    pub fn tlog(&self, log_id: &[u8]) -> Option<&TransparencyLog> {
        self.tlogs.iter().find(|l| l.log_id == log_id)
    }

    /// The CT log with this log ID.
    pub fn ctlog(&self, log_id: &[u8]) -> Option<&TransparencyLog> {
        self.ctlogs.iter().find(|l| l.log_id == log_id)
    }

    /// Serializes to `trusted_root.json` (used by `signet init`).
    pub fn to_json(&self) -> Result<String, TrustError> {
        let fmt_time = |t: UnixSeconds| -> Result<String, TrustError> {
            format_time(t).ok_or_else(|| TrustError::Field {
                field: "validFor",
                reason: format!("time {t} out of range"),
            })
        };
        // Always valid: no `validFor`. An end without a start has no wire form.
        let range = |r: &TimeRange| -> Result<Option<RangeJson>, TrustError> {
            match (r.start, r.end) {
                (None, None) => Ok(None),
                (None, Some(_)) => Err(TrustError::Field {
                    field: "validFor",
                    reason: "an end without a start cannot be written".into(),
                }),
                (Some(start), end) => Ok(Some(RangeJson {
                    start: Some(fmt_time(start)?),
                    end: end.map(fmt_time).transpose()?,
                })),
            }
        };
        let log = |l: &TransparencyLog| -> Result<LogJson, TrustError> {
            let raw = match &l.key {
                TrustedKey::Usable(k) => b64::encode(k.spki_der()),
                TrustedKey::Unusable { .. } => {
                    return Err(TrustError::Field {
                        field: "publicKey",
                        reason: "unusable key".into(),
                    });
                }
            };
            Ok(LogJson {
                base_url: l.base_url.clone(),
                hash_algorithm: "SHA2_256".into(),
                public_key: KeyJson {
                    raw_bytes: raw,
                    key_details: l.key_details.clone(),
                    valid_for: range(&l.valid_for)?,
                },
                log_id: LogIdJson {
                    key_id: b64::encode(&l.log_id),
                },
            })
        };
        let ca = |c: &CertificateAuthority| -> Result<CaJson, TrustError> {
            Ok(CaJson {
                subject: c.subject.as_ref().map(|s| SubjectJson {
                    organization: s.organization.clone(),
                    common_name: s.common_name.clone(),
                }),
                uri: c.uri.clone(),
                cert_chain: ChainJson {
                    certificates: c
                        .chain
                        .iter()
                        .map(|d| RawJson {
                            raw_bytes: b64::encode(d),
                        })
                        .collect(),
                },
                valid_for: range(&c.valid_for)?,
            })
        };
        let j = RootJson {
            media_type: TRUSTED_ROOT_MEDIA_TYPE.into(),
            tlogs: self.tlogs.iter().map(log).collect::<Result<_, _>>()?,
            certificate_authorities: self
                .certificate_authorities
                .iter()
                .map(ca)
                .collect::<Result<_, _>>()?,
            ctlogs: self.ctlogs.iter().map(log).collect::<Result<_, _>>()?,
            timestamp_authorities: self
                .timestamp_authorities
                .iter()
                .map(ca)
                .collect::<Result<_, _>>()?,
        };
        serde_json::to_string_pretty(&j).map_err(|e| TrustError::Json(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../testdata");

    #[test]
    fn parses_every_real_root() {
        let mut n = 0;
        for dir in [
            format!("{TESTDATA}/sigstore-root-signing/targets"),
            format!("{TESTDATA}/sigstore-conformance/default-trust"),
        ] {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.to_string_lossy().ends_with("trusted_root.json")
                    || p.to_string_lossy().contains("trusted_root_")
                {
                    let root = TrustedRoot::from_json(&std::fs::read(&p).unwrap()).unwrap();
                    assert!(!root.tlogs.is_empty(), "{p:?}");
                    n += 1;
                }
            }
        }
        for e in std::fs::read_dir(format!(
            "{TESTDATA}/sigstore-conformance/assets/bundle-verify"
        ))
        .unwrap()
        {
            let p = e.unwrap().path().join("trusted_root.json");
            if !p.exists() {
                continue;
            }
            let parsed = TrustedRoot::from_json(&std::fs::read(&p).unwrap());
            if p.to_string_lossy().contains("missing-validity-start") {
                // The one malformed root of the suite: a tlog `validFor` without `start`.
                assert_eq!(
                    parsed.unwrap_err().to_string(),
                    "trusted root: tlog https://log2025-alpha1.rekor.sigstage.dev validFor has no start"
                );
            } else {
                parsed.unwrap();
            }
            n += 1;
        }
        assert!(n > 30);
    }

    #[test]
    fn production_root_details() {
        let root = TrustedRoot::from_json(
            &std::fs::read(format!(
                "{TESTDATA}/sigstore-conformance/default-trust/production_trusted_root.json"
            ))
            .unwrap(),
        )
        .unwrap();
        let rekor = root
            .tlogs
            .iter()
            .find(|l| l.base_url == "https://rekor.sigstore.dev")
            .unwrap();
        // logId is SHA-256 of the key's SPKI for Rekor v1.
        assert_eq!(
            rekor.key.usable().unwrap().key_id().as_bytes().to_vec(),
            rekor.log_id
        );
        assert_eq!(rekor.host(), "rekor.sigstore.dev");
        assert!(rekor.valid_for.contains(UnixSeconds(1_700_000_000)));
        assert!(!rekor.valid_for.contains(UnixSeconds(1_600_000_000)));
        // Round trip through our writer.
        let again = TrustedRoot::from_json(root.to_json().unwrap().as_bytes()).unwrap();
        assert_eq!(again.tlogs.len(), root.tlogs.len());
        assert_eq!(again.certificate_authorities, root.certificate_authorities);
    }

    #[test]
    fn ranges_are_inclusive_and_always_without_bounds() {
        let r = TimeRange {
            start: Some(UnixSeconds(10)),
            end: Some(UnixSeconds(20)),
        };
        assert!(r.contains(UnixSeconds(10)) && r.contains(UnixSeconds(20)));
        assert!(!r.contains(UnixSeconds(9)) && !r.contains(UnixSeconds(21)));
        for t in [i64::MIN, 0, 1_700_000_000, i64::MAX] {
            assert!(TimeRange::ALWAYS.contains(UnixSeconds(t)));
        }
        let open = TimeRange {
            start: Some(UnixSeconds(10)),
            end: None,
        };
        assert!(open.contains(UnixSeconds(i64::MAX)) && !open.contains(UnixSeconds(9)));
    }

    /// The production root with `validFor` of every log, CT log, CA and TSA replaced by `v`
    /// (`None`: removed).
    fn production_with_valid_for(v: Option<serde_json::Value>) -> Vec<u8> {
        let mut j: serde_json::Value = serde_json::from_slice(
            &std::fs::read(format!(
                "{TESTDATA}/sigstore-conformance/default-trust/production_trusted_root.json"
            ))
            .unwrap(),
        )
        .unwrap();
        for (list, at) in [
            ("tlogs", "/publicKey"),
            ("ctlogs", "/publicKey"),
            ("certificateAuthorities", ""),
            ("timestampAuthorities", ""),
        ] {
            for item in j[list].as_array_mut().unwrap() {
                let o = item.pointer_mut(at).unwrap().as_object_mut().unwrap();
                match &v {
                    Some(v) => o.insert("validFor".into(), v.clone()),
                    None => o.remove("validFor"),
                };
            }
        }
        serde_json::to_vec(&j).unwrap()
    }

    /// No `validFor`: valid at every time, for logs, CT logs, CAs and TSAs; written back
    /// without `validFor`.
    #[test]
    fn absent_valid_for_is_always_valid() {
        let root = TrustedRoot::from_json(&production_with_valid_for(None)).unwrap();
        let ranges: Vec<TimeRange> = (root.tlogs.iter().chain(&root.ctlogs))
            .map(|l| l.valid_for)
            .chain(
                (root
                    .certificate_authorities
                    .iter()
                    .chain(&root.timestamp_authorities))
                .map(|c| c.valid_for),
            )
            .collect();
        assert!(ranges.len() > 4);
        for r in ranges {
            assert_eq!(r, TimeRange::ALWAYS);
        }
        let text = root.to_json().unwrap();
        assert!(!text.contains("validFor"), "{text}");
        assert_eq!(TrustedRoot::from_json(text.as_bytes()).unwrap(), root);
    }

    /// A `validFor` without `start` (empty, or only an end) is refused at load, naming the
    /// entry; the first one met is a tlog.
    #[test]
    fn valid_for_without_start_is_malformed() {
        for v in [
            serde_json::json!({}),
            serde_json::json!({"end": "2030-01-01T00:00:00Z"}),
        ] {
            let e =
                TrustedRoot::from_json(&production_with_valid_for(Some(v.clone()))).unwrap_err();
            assert!(
                matches!(&e, TrustError::ValidityWithoutStart { kind: "tlog", .. }),
                "{v}: {e:?}"
            );
            assert!(
                e.to_string().starts_with("trusted root: tlog https://")
                    && e.to_string().ends_with(" validFor has no start"),
                "{e}"
            );
        }
        // CAs and TSAs follow the same rule.
        let mut j: serde_json::Value =
            serde_json::from_slice(&production_with_valid_for(None)).unwrap();
        j["timestampAuthorities"][0]["validFor"] =
            serde_json::json!({"end": "2030-01-01T00:00:00Z"});
        let e = TrustedRoot::from_json(&serde_json::to_vec(&j).unwrap()).unwrap_err();
        assert!(
            matches!(
                &e,
                TrustError::ValidityWithoutStart {
                    kind: "timestamp authority",
                    ..
                }
            ),
            "{e:?}"
        );
        // Our writer never produces one.
        let root = TrustedRoot {
            tlogs: vec![],
            ctlogs: vec![],
            certificate_authorities: vec![CertificateAuthority {
                subject: None,
                uri: "https://ca.example".into(),
                chain: vec![vec![0x30]],
                valid_for: TimeRange {
                    start: None,
                    end: Some(UnixSeconds(10)),
                },
            }],
            timestamp_authorities: vec![],
        };
        assert!(root.to_json().is_err());
    }

    #[test]
    fn bad_roots_are_errors() {
        assert!(TrustedRoot::from_json(b"{").is_err());
        assert!(TrustedRoot::from_json(br#"{"mediaType":"x"}"#).is_err());
        let bad_b64 = br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"publicKey":{"rawBytes":"***"},"logId":{"keyId":"AA=="}}]}"#;
        assert!(TrustedRoot::from_json(bad_b64).is_err());
    }
}
