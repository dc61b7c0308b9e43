//! An entry as the entry page shows it: the body decoded ([`EntryBody`]) and its certificates
//! decoded ([`Certificate`]); nothing here is trusted or verified (the page says so).

use base64::Engine;
use signet_log::api::LogEntryAnon;
use signet_rekor::EntryBody;
use signet_x509::{Certificate, SanIdentity};

/// A decoded certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertView {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial (hex).
    pub serial: String,
    /// Not before / not after (Unix seconds).
    pub validity: (i64, i64),
    /// `(kind, value)` of each SAN identity.
    pub sans: Vec<(String, String)>,
    /// `(name, value)` of each Fulcio extension present (OIDC issuer, workflow, repository…).
    pub extensions: Vec<(&'static str, String)>,
    /// Whether it is a CA certificate.
    pub is_ca: bool,
}

impl CertView {
    fn new(c: &Certificate) -> Self {
        let sans = c
            .san_identities()
            .into_iter()
            .map(|s| match s {
                SanIdentity::Email(v) => ("Email".to_string(), v),
                SanIdentity::Uri(v) => ("URI".to_string(), v),
                SanIdentity::OtherName { oid, value } => (format!("otherName {oid}"), value),
                other => ("other".to_string(), other.value().to_string()),
            })
            .collect();
        let extensions = match c.fulcio_extensions() {
            Ok(x) => [
                ("OIDC issuer", x.issuer),
                ("GitHub workflow trigger", x.github_workflow_trigger),
                ("GitHub workflow SHA", x.github_workflow_sha),
                ("GitHub workflow name", x.github_workflow_name),
                ("GitHub workflow repository", x.github_workflow_repository),
                ("GitHub workflow ref", x.github_workflow_ref),
                ("Build signer URI", x.build_signer_uri),
                ("Build signer digest", x.build_signer_digest),
                ("Runner environment", x.runner_environment),
                ("Source repository URI", x.source_repository_uri),
                ("Source repository digest", x.source_repository_digest),
                ("Source repository ref", x.source_repository_ref),
                (
                    "Source repository identifier",
                    x.source_repository_identifier,
                ),
                ("Source repository owner URI", x.source_repository_owner_uri),
                (
                    "Source repository owner identifier",
                    x.source_repository_owner_identifier,
                ),
                ("Build config URI", x.build_config_uri),
                ("Build config digest", x.build_config_digest),
                ("Build trigger", x.build_trigger),
                ("Run invocation URI", x.run_invocation_uri),
                (
                    "Source repository visibility",
                    x.source_repository_visibility,
                ),
                ("Deployment environment", x.deployment_environment),
                ("Token subject", x.token_subject),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect(),
            Err(e) => vec![("Fulcio extensions (malformed)", e.to_string())],
        };
        Self {
            subject: c.subject_string(),
            issuer: c.issuer_string(),
            serial: c.serial_hex(),
            validity: (c.not_before().0, c.not_after().0),
            sans,
            extensions,
            is_ca: c.is_ca(),
        }
    }
}

/// The signer material of one signature: certificates (leaf first), or a bare key, or what
/// could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signer {
    /// A certificate chain, leaf first.
    Certificates(Vec<CertView>),
    /// A public key (PEM text).
    PublicKey(String),
    /// Material that does not parse.
    Unreadable(String),
}

impl Signer {
    fn from_pem(pem: &[u8]) -> Self {
        let text = String::from_utf8_lossy(pem);
        if text.contains("BEGIN CERTIFICATE") {
            match Certificate::parse_pem_chain(&text) {
                Ok(certs) => Self::Certificates(certs.iter().map(CertView::new).collect()),
                Err(e) => Self::Unreadable(e.to_string()),
            }
        } else {
            Self::PublicKey(text.into_owned())
        }
    }

    fn from_der(der: &[u8], is_cert: bool) -> Self {
        if is_cert {
            match Certificate::from_der(der) {
                Ok(c) => Self::Certificates(vec![CertView::new(&c)]),
                Err(e) => Self::Unreadable(e.to_string()),
            }
        } else {
            Self::PublicKey(b64(der))
        }
    }
}

/// One signature of the body, with its signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureView {
    /// Base64 signature.
    pub signature: String,
    /// Who signed.
    pub signer: Signer,
}

/// The decoded body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyView {
    /// `hashedrekord 0.0.1`, …
    pub kind: String,
    /// What the body says was signed: `(label, algorithm:hex)`.
    pub digest: (String, String),
    /// Signatures.
    pub signatures: Vec<SignatureView>,
}

/// An entry as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryView {
    /// Entry ID as the log names it.
    pub entry_id: String,
    /// The UUID (last 64 hex digits), the leaf hash.
    pub uuid: String,
    /// Global index.
    pub log_index: i64,
    /// Integrated time.
    pub integrated_time: i64,
    /// Log ID (hex).
    pub log_id: String,
    /// Decoded body, or why it does not decode.
    pub body: Result<BodyView, String>,
    /// SET (base64), if any.
    pub set: Option<String>,
    /// Inclusion proof as served: `(index in tree, tree size, root hex, hashes, checkpoint)`.
    pub proof: Option<ProofView>,
}

/// The inclusion proof as the log serves it (checked by the page's script, not here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofView {
    /// Index within the tree.
    pub index: i64,
    /// Tree size.
    pub tree_size: i64,
    /// Root (hex).
    pub root_hash: String,
    /// Audit path (hex).
    pub hashes: Vec<String>,
    /// Signed checkpoint.
    pub checkpoint: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl EntryView {
    /// Decodes `anon`, served under `entry_id`.
    pub fn new(entry_id: &str, anon: &LogEntryAnon) -> Self {
        let uuid = entry_id
            .char_indices()
            .rev()
            .nth(63)
            .and_then(|(i, _)| entry_id.get(i..))
            .unwrap_or(entry_id)
            .to_string();
        let body = base64::engine::general_purpose::STANDARD
            .decode(&anon.body)
            .map_err(|e| format!("body is not base64: {e}"))
            .and_then(|b| EntryBody::parse(&b).map_err(|e| e.to_string()))
            .map(body_view);
        let v = anon.verification.as_ref();
        Self {
            entry_id: entry_id.to_string(),
            uuid,
            log_index: anon.log_index,
            integrated_time: anon.integrated_time,
            log_id: anon.log_id.clone(),
            body,
            set: v.and_then(|v| v.signed_entry_timestamp.clone()),
            proof: v
                .and_then(|v| v.inclusion_proof.as_ref())
                .map(|p| ProofView {
                    index: p.log_index,
                    tree_size: p.tree_size,
                    root_hash: p.root_hash.clone(),
                    hashes: p.hashes.clone(),
                    checkpoint: p.checkpoint.clone(),
                }),
        }
    }
}

fn pem_signatures(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<SignatureView> {
    pairs
        .iter()
        .map(|(sig, pem)| SignatureView {
            signature: b64(sig),
            signer: Signer::from_pem(pem),
        })
        .collect()
}

fn body_view(body: EntryBody) -> BodyView {
    match body {
        EntryBody::HashedRekordV001 {
            algorithm,
            digest_hex,
            signature,
            verifier_pem,
        } => BodyView {
            kind: "hashedrekord 0.0.1".into(),
            digest: ("Artifact".into(), format!("{algorithm}:{digest_hex}")),
            signatures: vec![SignatureView {
                signature: b64(&signature),
                signer: Signer::from_pem(&verifier_pem),
            }],
        },
        EntryBody::HashedRekordV002 {
            algorithm,
            digest,
            signature,
            verifier,
        } => BodyView {
            kind: "hashedrekord 0.0.2".into(),
            digest: ("Artifact".into(), format!("{algorithm}:{}", hex(&digest))),
            signatures: vec![SignatureView {
                signature: b64(&signature),
                signer: material(&verifier),
            }],
        },
        EntryBody::DsseV001 {
            payload_hash_hex,
            signatures,
        } => BodyView {
            kind: "dsse 0.0.1".into(),
            digest: ("DSSE payload".into(), format!("sha256:{payload_hash_hex}")),
            signatures: pem_signatures(&signatures),
        },
        EntryBody::DsseV002 {
            payload_hash_algorithm,
            payload_hash,
            signatures,
        } => BodyView {
            kind: "dsse 0.0.2".into(),
            digest: (
                "DSSE payload".into(),
                format!("{payload_hash_algorithm}:{}", hex(&payload_hash)),
            ),
            signatures: signatures
                .iter()
                .map(|(sig, m)| SignatureView {
                    signature: b64(sig),
                    signer: material(m),
                })
                .collect(),
        },
        EntryBody::IntotoV002 {
            payload_hash_hex,
            payload_type,
            signatures,
            ..
        } => BodyView {
            kind: format!("intoto 0.0.2 ({payload_type})"),
            digest: (
                "in-toto payload".into(),
                format!("sha256:{payload_hash_hex}"),
            ),
            signatures: pem_signatures(&signatures),
        },
        other => BodyView {
            kind: format!("{other:?}").chars().take(40).collect(),
            digest: ("".into(), "".into()),
            signatures: Vec::new(),
        },
    }
}

fn material(m: &signet_rekor::Material) -> Signer {
    match m {
        signet_rekor::Material::Certificate { der } => Signer::from_der(der, true),
        signet_rekor::Material::PublicKey { spki_der } => Signer::from_der(spki_der, false),
        _ => Signer::Unreadable("unknown verifier material".into()),
    }
}
