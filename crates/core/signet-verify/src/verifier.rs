use signet_bundle::{Bundle, Content, VerificationMaterial};
use signet_crypto::{HashAlgorithm, PublicKey, Scheme, sha256};
use signet_rekor::Material;
use signet_tlog::VerifiedCheckpoint;
use signet_trust::{TimeRange, TrustedRoot};
use signet_types::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use signet_types::{LogIndex, Sha256Hash, UnixSeconds};
use signet_x509::{Certificate, Purpose, TrustAnchorChain, TsaAuthority};

use crate::error::VerifyError;
use crate::memo::{self, Memo};
use crate::policy::{Artifact, ArtifactDigest, Identity, Policy};
use crate::tlog;

/// Deployment settings: how much evidence is required. Per-artifact expectations live in
/// [`Policy`].
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    /// Transparency-log entries that must verify (sigstore-go default: 1).
    pub tlog_threshold: usize,
    /// Embedded SCTs from distinct trusted CT logs that must verify (default 1).
    pub sct_threshold: usize,
    /// Witnesses (C2SP tlog-cosignature keys) whose cosignatures count on an entry's
    /// checkpoint.
    pub witnesses: Vec<signet_tlog::CosignatureVerifier>,
    /// Distinct witnesses of `witnesses` that must have cosigned each entry's checkpoint
    /// (default 0: no witness required).
    pub witness_threshold: usize,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            tlog_threshold: 1,
            sct_threshold: 1,
            witnesses: Vec::new(),
            witness_threshold: 0,
        }
    }
}

/// A verifier bound to one trusted root. Cheap to share across threads; verify many bundles.
#[derive(Debug)]
pub struct Verifier<'r> {
    root: &'r TrustedRoot,
    config: VerifierConfig,
    /// Each certificate authority's validity window and chain.
    cas: Vec<(TimeRange, TrustAnchorChain)>,
    tsas: Vec<TsaAuthority>,
    /// Issuer found by path validation, by (leaf, verified times).
    chains: Memo<Certificate>,
    /// Embedded SCTs that met the threshold, by (leaf, issuer).
    scts: Memo<()>,
    /// Checkpoints whose signature verified, by (log ID, text).
    checkpoints: Memo<VerifiedCheckpoint>,
}

/// One log entry that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedEntry {
    /// Global log index.
    pub log_index: LogIndex,
    /// Rekor UUID (hex of the leaf hash).
    pub uuid: String,
    /// Integrated time, when the entry carried one that a signed entry timestamp vouches for.
    pub integrated_time: Option<UnixSeconds>,
    /// Base URL of the log, from the trusted root.
    pub log_url: String,
}

/// Proof that a bundle verified. Only [`Verifier::verify`] creates one.
#[derive(Clone, Debug)]
pub struct VerifiedBundle {
    entries: Vec<VerifiedEntry>,
    times: Vec<UnixSeconds>,
    sans: Vec<String>,
    issuer: Option<String>,
    warnings: Vec<String>,
    certificate: Option<Certificate>,
}

impl VerifiedBundle {
    /// The signing certificate whose chain, SCTs and identity verified (keyless bundles): its
    /// Fulcio extensions are what the CA vouched for about the signer.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }
    /// Log entries that verified.
    pub fn entries(&self) -> &[VerifiedEntry] {
        &self.entries
    }
    /// Every verified time (integrated times with a SET, then TSA times).
    pub fn times(&self) -> &[UnixSeconds] {
        &self.times
    }
    /// Certificate SANs, for keyless bundles.
    pub fn sans(&self) -> &[String] {
        &self.sans
    }
    /// OIDC issuer, for keyless bundles.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }
    /// Evidence that was skipped without failing verification: each RFC 3161 timestamp that did
    /// not verify (or repeated an authority already counted), as sigstore-go skips them.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

const NEED_SHA256: &str = "this bundle's message signature is over the artifact's SHA-256: \
     give the artifact, or its sha256:<hex> digest";

enum Signer {
    Key(PublicKey),
    Cert {
        leaf: Box<Certificate>,
        key: PublicKey,
    },
}

impl Signer {
    fn key(&self) -> &PublicKey {
        match self {
            Self::Key(k) | Self::Cert { key: k, .. } => k,
        }
    }

    fn material(&self) -> Material {
        match self {
            Self::Key(k) => Material::PublicKey {
                spki_der: k.spki_der().to_vec(),
            },
            Self::Cert { leaf, .. } => Material::Certificate {
                der: leaf.der().to_vec(),
            },
        }
    }
}

impl<'r> Verifier<'r> {
    /// A verifier for `root` with default thresholds.
    pub fn new(root: &'r TrustedRoot) -> Result<Self, VerifyError> {
        Self::with_config(root, VerifierConfig::default())
    }

    /// A verifier with explicit thresholds. Parses every CA certificate once.
    pub fn with_config(root: &'r TrustedRoot, config: VerifierConfig) -> Result<Self, VerifyError> {
        let parse_chain = |chain: &[Vec<u8>]| -> Result<Vec<Certificate>, VerifyError> {
            chain
                .iter()
                .map(|d| Certificate::from_der(d).map_err(VerifyError::from))
                .collect()
        };
        let cas = root
            .certificate_authorities
            .iter()
            .map(|ca| {
                Ok((
                    ca.valid_for,
                    TrustAnchorChain::new(parse_chain(&ca.chain)?)?,
                ))
            })
            .collect::<Result<Vec<_>, VerifyError>>()?;
        let tsas = tsa_authorities(root)?;
        Ok(Self {
            root,
            config,
            cas,
            tsas,
            chains: Memo::default(),
            scts: Memo::default(),
            checkpoints: Memo::default(),
        })
    }

    /// At least `witness_threshold` of the configured witnesses cosigned the checkpoint of the
    /// entry's inclusion proof (whose log signature [`tlog::verify_entry`] checked).
    fn check_witnesses(&self, entry: &signet_bundle::TlogEntry) -> Result<(), tlog::EntryError> {
        if self.config.witness_threshold == 0 {
            return Ok(());
        }
        let found = match entry
            .inclusion_proof
            .as_ref()
            .and_then(|p| p.checkpoint.as_deref())
        {
            Some(text) => signet_tlog::count_cosignatures(text, &self.config.witnesses)
                .map_err(tlog::EntryError::Checkpoint)?,
            None => 0,
        };
        if found < self.config.witness_threshold {
            return Err(tlog::EntryError::Witnesses {
                found,
                required: self.config.witness_threshold,
            });
        }
        Ok(())
    }

    /// Verifies `bundle` against `policy`.
    pub fn verify(
        &self,
        bundle: &Bundle,
        policy: &Policy<'_>,
    ) -> Result<VerifiedBundle, VerifyError> {
        // 1. Material.
        let signer = match (&bundle.material, &policy.identity) {
            (VerificationMaterial::PublicKey { .. }, Identity::Key(k)) => Signer::Key(k.clone()),
            (VerificationMaterial::PublicKey { .. }, Identity::Certificate { .. }) => {
                return Err(VerifyError::Material(
                    "the bundle is signed with a managed key; verify it with --key".into(),
                ));
            }
            (VerificationMaterial::Certificate { leaf, chain }, _) => {
                let leaf = Certificate::from_der(leaf)?;
                for der in chain {
                    let c = Certificate::from_der(der)?;
                    if c.is_self_signed() {
                        return Err(VerifyError::Material(format!(
                            "the bundle's certificate chain contains a root certificate ({}); roots must come from the trusted root",
                            c.subject_string()
                        )));
                    }
                }
                let key = leaf.public_key()?;
                Signer::Cert {
                    leaf: Box::new(leaf),
                    key,
                }
            }
            _ => {
                return Err(VerifyError::Material(
                    "unsupported verification material".into(),
                ));
            }
        };

        // 2. Artifact digest, and the digest hint in the bundle. A message signature is over
        // the SHA-256 (all this verifier accepts); a DSSE bundle is matched in step 6 on the
        // algorithms its in-toto subjects use.
        let artifact_sha256 = match policy.artifact {
            Artifact::Bytes(b) => Some(sha256(b)),
            Artifact::Digest(d) => Some(d),
            Artifact::Digests(ds) => ds.iter().find_map(ArtifactDigest::sha256),
        };
        if matches!(bundle.content, Content::MessageSignature(_)) && artifact_sha256.is_none() {
            return Err(VerifyError::DigestAlgorithm(NEED_SHA256.into()));
        }

        // 3. Signed timestamps.
        let signature_bytes = match &bundle.content {
            Content::MessageSignature(m) => m.signature.clone(),
            Content::Dsse(env) => match env.signatures.as_slice() {
                [only] => only.sig.clone(),
                other => {
                    return Err(VerifyError::Dsse(format!(
                        "expected exactly one signature, found {}",
                        other.len()
                    )));
                }
            },
            _ => return Err(VerifyError::Material("unsupported bundle content".into())),
        };
        // As sigstore-go does, a timestamp that does not verify (unparsable, untrusted, not
        // covering this signature, outside its authority's validity) is skipped, not fatal, and
        // so is a second one from an authority already counted: only verified times count, and
        // a bundle left with none fails below.
        let mut tsa_times = Vec::new();
        let mut authorities = Vec::new();
        let mut warnings = Vec::new();
        for (i, token) in bundle.rfc3161_timestamps.iter().enumerate() {
            match signet_x509::verify_rfc3161(token, &signature_bytes, &self.tsas) {
                Ok(ts) => {
                    // sigstore-go tells authorities apart by URI (one TSA, several keys).
                    let index = ts.authority_index();
                    let authority = match self.root.timestamp_authorities.get(index) {
                        Some(a) if !a.uri.is_empty() => a.uri.clone(),
                        _ => format!("timestamp authority #{index} of the trusted root"),
                    };
                    if authorities.contains(&authority) {
                        warnings.push(format!(
                            "RFC 3161 timestamp {i} skipped: a timestamp from {authority} was already counted"
                        ));
                    } else {
                        authorities.push(authority);
                        tsa_times.push(ts.time());
                    }
                }
                Err(e) => warnings.push(format!("RFC 3161 timestamp {i} skipped: {e}")),
            }
        }

        // 4. Transparency-log entries.
        let material = signer.material();
        let mut entries = Vec::new();
        let mut set_times = Vec::new();
        for (index, entry) in bundle.tlog_entries.iter().enumerate() {
            // Each entry counts once towards the threshold (sigstore-go refuses duplicates).
            if let Some(first) = bundle.tlog_entries.iter().take(index).position(|e| {
                (e.log_id == entry.log_id && e.log_index == entry.log_index)
                    || e.canonicalized_body == entry.canonicalized_body
            }) {
                return Err(VerifyError::Tlog {
                    index,
                    source: tlog::EntryError::Duplicate { first },
                });
            }
            let checked = tlog::verify_entry(
                self.root,
                &self.checkpoints,
                entry,
                &bundle.content,
                &material,
                artifact_sha256.as_ref(),
                &tsa_times,
            )
            .map_err(|source| VerifyError::Tlog { index, source })?;
            self.check_witnesses(entry)
                .map_err(|source| VerifyError::Tlog { index, source })?;
            if let Some(t) = checked.integrated_time {
                set_times.push(t);
            }
            entries.push(checked);
        }
        if entries.len() < self.config.tlog_threshold {
            return Err(VerifyError::NoTlogEntries {
                required: self.config.tlog_threshold,
            });
        }
        let times: Vec<UnixSeconds> = set_times.iter().chain(tsa_times.iter()).copied().collect();
        // Skipped timestamps are no evidence: a bundle whose only time evidence failed is refused
        // (a managed-key bundle without any timestamp is not, as before).
        if times.is_empty() && (matches!(signer, Signer::Cert { .. }) || !warnings.is_empty()) {
            return Err(if warnings.is_empty() {
                VerifyError::NoVerifiedTime
            } else {
                VerifyError::Timestamp(format!(
                    "no timestamp verified and no other verified time ({})",
                    warnings.join("; ")
                ))
            });
        }

        // 5. Certificate chain, SCTs and identity.
        let (sans, issuer, certificate) = match &signer {
            Signer::Key(_) => (Vec::new(), None, None),
            Signer::Cert { leaf, .. } => {
                let time_bytes: Vec<u8> = times.iter().flat_map(|t| t.0.to_be_bytes()).collect();
                let issuer_cert = self
                    .chains
                    .get_or_try(memo::key("chain", &[leaf.der(), &time_bytes]), || {
                        self.check_chain(leaf, &times)
                    })?;
                self.scts
                    .get_or_try(memo::key("sct", &[leaf.der(), issuer_cert.der()]), || {
                        self.check_scts(leaf, &issuer_cert)
                    })?;
                let sans: Vec<String> = leaf
                    .san_identities()
                    .iter()
                    .map(|s| s.value().to_string())
                    .collect();
                let issuer = leaf.oidc_issuer();
                policy
                    .identity
                    .check_certificate(&sans, issuer.as_deref())
                    .map_err(VerifyError::Identity)?;
                (sans, issuer, Some((**leaf).clone()))
            }
        };

        // 6. Signature over the content.
        match &bundle.content {
            Content::MessageSignature(m) => {
                let Some(artifact_digest) = artifact_sha256 else {
                    return Err(VerifyError::DigestAlgorithm(NEED_SHA256.into()));
                };
                if let Some((alg, digest)) = &m.digest
                    && alg == "SHA2_256"
                    && digest.as_slice() != artifact_digest.as_bytes()
                {
                    return Err(VerifyError::DigestMismatch {
                        expected: hex::encode(digest),
                        actual: artifact_digest.to_hex(),
                    });
                }
                verify_message_signature(
                    signer.key(),
                    &policy.artifact,
                    &artifact_digest,
                    &m.signature,
                )?;
            }
            Content::Dsse(env) => {
                verify_dsse(signer.key(), env, &signature_bytes, &policy.artifact)?
            }
            _ => return Err(VerifyError::Material("unsupported bundle content".into())),
        }

        Ok(VerifiedBundle {
            entries,
            times,
            sans,
            issuer,
            warnings,
            certificate,
        })
    }

    /// Path-validates the leaf at every verified time; returns the issuing certificate.
    fn check_chain(
        &self,
        leaf: &Certificate,
        times: &[UnixSeconds],
    ) -> Result<Certificate, VerifyError> {
        let mut issuer = None;
        for &t in times {
            let mut last = None;
            let mut ok = false;
            for (valid_for, anchor) in &self.cas {
                if !valid_for.contains(t) {
                    continue;
                }
                match signet_x509::verify_chain(
                    leaf,
                    &[],
                    std::slice::from_ref(anchor),
                    t,
                    Purpose::CodeSigning,
                ) {
                    Ok(chain) => {
                        issuer = Some(chain.issuer().clone());
                        ok = true;
                        break;
                    }
                    Err(e) => last = Some(e),
                }
            }
            if !ok {
                return Err(match last {
                    Some(reason) => VerifyError::UntrustedCertificate { time: t, reason },
                    None => VerifyError::NoCertificateAuthorityAt { time: t },
                });
            }
        }
        issuer.ok_or(VerifyError::NoVerifiedTime)
    }

    fn check_scts(&self, leaf: &Certificate, issuer: &Certificate) -> Result<(), VerifyError> {
        let lookup = |log_id: &Sha256Hash, at: UnixSeconds| -> Option<PublicKey> {
            let log = self.root.ctlog(log_id.as_bytes())?;
            if !log.valid_for.contains(at) {
                return None;
            }
            log.key.usable().cloned()
        };
        let verified =
            signet_x509::verify_embedded_scts(leaf, issuer, &lookup).map_err(VerifyError::Sct)?;
        let mut logs: Vec<&Sha256Hash> = verified.iter().map(|s| s.log_id()).collect();
        logs.sort();
        logs.dedup();
        if logs.len() < self.config.sct_threshold {
            return Err(VerifyError::TooFewScts {
                verified: logs.len(),
                required: self.config.sct_threshold,
            });
        }
        Ok(())
    }
}

fn verify_message_signature(
    key: &PublicKey,
    artifact: &Artifact<'_>,
    digest: &Sha256Hash,
    signature: &[u8],
) -> Result<(), VerifyError> {
    let scheme = key.default_scheme();
    let result = match artifact {
        Artifact::Bytes(b) => key.verify(b, signature).or_else(|e| {
            // Sigstore clients sign with SHA-256 regardless of curve for bundles <= v0.3;
            // sigstore-go's compatibility verifier tries SHA-256 too.
            match scheme {
                Scheme::Ecdsa(h) if h != HashAlgorithm::Sha256 => {
                    key.verify_with(Scheme::Ecdsa(HashAlgorithm::Sha256), b, signature)
                }
                _ => Err(e),
            }
        }),
        Artifact::Digest(_) | Artifact::Digests(_) => {
            let Some(s256) = scheme.with_hash(HashAlgorithm::Sha256) else {
                return Err(VerifyError::NeedArtifactBytes(format!(
                    "{:?} keys sign the whole message",
                    key.algorithm()
                )));
            };
            key.verify_prehashed(s256, digest.as_bytes(), signature)
        }
    };
    result.map_err(VerifyError::Signature)
}

fn verify_dsse(
    key: &PublicKey,
    env: &Envelope,
    signature: &[u8],
    artifact: &Artifact<'_>,
) -> Result<(), VerifyError> {
    key.verify(&env.pae(), signature)
        .or_else(|e| match key.default_scheme() {
            Scheme::Ecdsa(h) if h != HashAlgorithm::Sha256 => {
                key.verify_with(Scheme::Ecdsa(HashAlgorithm::Sha256), &env.pae(), signature)
            }
            _ => Err(e),
        })
        .map_err(VerifyError::EnvelopeSignature)?;
    let subjects = in_toto_subjects(env)?;
    let given: Vec<ArtifactDigest> = match artifact {
        Artifact::Bytes(b) => subject_algorithms(&subjects)
            .into_iter()
            .filter_map(|a| ArtifactDigest::new(a, a.digest(b)))
            .collect(),
        Artifact::Digest(d) => ArtifactDigest::new(HashAlgorithm::Sha256, d.as_bytes().to_vec())
            .into_iter()
            .collect(),
        Artifact::Digests(ds) => ds.to_vec(),
    };
    match_subjects(&subjects, &given)
}

/// Whether an in-toto subject names the artifact whose digests are `given`.
fn match_subjects(
    subjects: &[SubjectDigests],
    given: &[ArtifactDigest],
) -> Result<(), VerifyError> {
    // A subject matches when it shares at least one algorithm with the given digests and every
    // shared one is equal.
    let mut comparable = false;
    for subject in subjects {
        let shared: Vec<bool> = subject
            .iter()
            .filter_map(|(alg, hex_value)| {
                given
                    .iter()
                    .find(|g| g.algorithm() == *alg)
                    .map(|g| hex_value.eq_ignore_ascii_case(&hex::encode(g.value())))
            })
            .collect();
        if shared.is_empty() {
            continue;
        }
        comparable = true;
        if shared.iter().all(|same| *same) {
            return Ok(());
        }
    }
    let names = |algs: &mut dyn Iterator<Item = HashAlgorithm>| {
        let mut v: Vec<&str> = algs.map(HashAlgorithm::name).collect();
        v.sort_unstable();
        v.dedup();
        if v.is_empty() {
            "no supported".to_string()
        } else {
            v.join("/")
        }
    };
    if !comparable {
        return Err(VerifyError::DigestAlgorithm(format!(
            "the in-toto subjects carry {} digests but the artifact was given as {}: give the \
             artifact file, or its digest in an algorithm the subjects use",
            names(&mut subject_algorithms(subjects).into_iter()),
            names(&mut given.iter().map(ArtifactDigest::algorithm)),
        )));
    }
    Err(VerifyError::DigestMismatch {
        expected: "an in-toto subject with this digest".into(),
        actual: given
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// One in-toto subject's digests in the algorithms this verifier knows (others are ignored).
type SubjectDigests = Vec<(HashAlgorithm, String)>;

/// The subjects of the in-toto statement in `env`.
fn in_toto_subjects(env: &Envelope) -> Result<Vec<SubjectDigests>, VerifyError> {
    if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(VerifyError::Dsse(format!(
            "payload type {:?} is not an in-toto statement; cannot match the artifact",
            env.payload_type
        )));
    }
    let statement: serde_json::Value = serde_json::from_slice(&env.payload)
        .map_err(|e| VerifyError::Dsse(format!("in-toto statement is not JSON: {e}")))?;
    let subjects = statement
        .get("subject")
        .and_then(|s| s.as_array())
        .ok_or_else(|| VerifyError::Dsse("in-toto statement has no subject list".into()))?;
    Ok(subjects
        .iter()
        .map(|s| {
            s.get("digest")
                .and_then(|d| d.as_object())
                .map(|d| {
                    d.iter()
                        .filter_map(|(name, v)| {
                            Some((HashAlgorithm::from_name(name)?, v.as_str()?.to_string()))
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect())
}

fn subject_algorithms(subjects: &[SubjectDigests]) -> Vec<HashAlgorithm> {
    HashAlgorithm::ALL
        .into_iter()
        .filter(|a| subjects.iter().flatten().any(|(b, _)| a == b))
        .collect()
}

/// The digest algorithms a file must be hashed with to check it against `bundle`: SHA-256
/// (message signatures, and the default) plus every algorithm its in-toto subjects use. Lets a
/// caller hash a large file once, by streaming, instead of passing its bytes.
pub fn artifact_digest_algorithms(bundle: &Bundle) -> Vec<HashAlgorithm> {
    let mut algs = vec![HashAlgorithm::Sha256];
    if let Content::Dsse(env) = &bundle.content
        && let Ok(subjects) = in_toto_subjects(env)
    {
        algs.extend(
            subject_algorithms(&subjects)
                .into_iter()
                .filter(|a| *a != HashAlgorithm::Sha256),
        );
    }
    algs
}

/// The trusted root's timestamp authorities, as RFC 3161 verification takes them (also what
/// a signer checks a TSA's answers against).
pub fn tsa_authorities(root: &TrustedRoot) -> Result<Vec<TsaAuthority>, VerifyError> {
    root.timestamp_authorities
        .iter()
        .map(|t| {
            Ok(TsaAuthority {
                chain: t
                    .chain
                    .iter()
                    .map(|d| Certificate::from_der(d).map_err(VerifyError::from))
                    .collect::<Result<_, VerifyError>>()?,
                valid_for: (t.valid_for.start, t.valid_for.end),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(alg: HashAlgorithm, byte: u8) -> ArtifactDigest {
        ArtifactDigest::new(alg, vec![byte; alg.output_len()]).unwrap()
    }

    fn subject(digests: &[(HashAlgorithm, u8)]) -> SubjectDigests {
        digests
            .iter()
            .map(|(a, b)| (*a, hex::encode(vec![*b; a.output_len()])))
            .collect()
    }

    #[test]
    fn subjects_match_on_every_shared_algorithm() {
        use HashAlgorithm::{Sha256, Sha384, Sha512};
        let both = [subject(&[(Sha256, 1), (Sha512, 2)])];
        // One shared algorithm is enough; unshared given digests are ignored.
        match_subjects(&both, &[d(Sha512, 2)]).unwrap();
        match_subjects(&both, &[d(Sha256, 1), d(Sha384, 9)]).unwrap();
        match_subjects(&both, &[d(Sha256, 1), d(Sha512, 2)]).unwrap();
        // Every shared one must agree.
        assert!(matches!(
            match_subjects(&both, &[d(Sha256, 1), d(Sha512, 3)]),
            Err(VerifyError::DigestMismatch { .. })
        ));
        // No shared algorithm: a clear refusal, not a mismatch.
        let only512 = [subject(&[(Sha512, 2)])];
        let err = match_subjects(&only512, &[d(Sha256, 2)]).unwrap_err();
        assert!(
            err.to_string()
                .contains("subjects carry sha512 digests but the artifact was given as sha256"),
            "{err}"
        );
        assert!(matches!(
            match_subjects(&only512, &[]),
            Err(VerifyError::DigestAlgorithm(_))
        ));
        // Any subject may match.
        let two = [subject(&[(Sha256, 5)]), subject(&[(Sha256, 1)])];
        match_subjects(&two, &[d(Sha256, 1)]).unwrap();
        assert_eq!(subject_algorithms(&both), vec![Sha256, Sha512]);
    }
}
