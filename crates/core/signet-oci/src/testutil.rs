//! Test fixtures: an in-process Fulcio-style CA (signet-ca) with its own CT log key for the
//! embedded SCT, and a one-entry Rekor v1-style log (SET, inclusion proof, signed checkpoint),
//! with the trusted root that trusts all three. Real signatures throughout; nothing is mocked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use signet_bundle::{
    BundleJson, CheckpointJson, InclusionPromiseJson, InclusionProofJson, KindVersionJson,
    LogIdJson, TlogEntryJson, VerificationMaterialJson,
};
use signet_crypto::SigningKey;
use signet_trust::{CertificateAuthority, TimeRange, TransparencyLog, TrustedKey, TrustedRoot};
use signet_types::dsse::{DsseSignature, Envelope, IN_TOTO_PAYLOAD_TYPE};
use signet_types::{UnixSeconds, b64};

/// When the fixtures' certificates are issued (Unix seconds); entries are integrated a minute
/// later.
pub const T: i64 = 1_750_000_000;
pub const ISSUER: &str = "https://issuer.example";

pub struct Fixture {
    ca: signet_ca::CaChain,
    ct: SigningKey,
    rekor: SigningKey,
}

/// A signer: a key and, keyless, its certificate (DER).
pub struct Signer {
    pub key: SigningKey,
    pub leaf: Option<Vec<u8>>,
}

impl Signer {
    pub fn pem(&self) -> String {
        match &self.leaf {
            Some(der) => pem::encode(&pem::Pem::new("CERTIFICATE", der.clone())),
            None => self.key.public_key().to_pem(),
        }
    }

    pub fn material(&self) -> VerificationMaterialJson {
        match &self.leaf {
            Some(der) => VerificationMaterialJson::certificate(der),
            None => VerificationMaterialJson::public_key(""),
        }
    }

    /// A DSSE envelope over an in-toto `statement`.
    pub fn envelope(&self, statement: &[u8]) -> Envelope {
        let mut env = Envelope {
            payload: statement.to_vec(),
            payload_type: IN_TOTO_PAYLOAD_TYPE.into(),
            signatures: vec![],
        };
        env.signatures.push(DsseSignature {
            sig: self.key.sign(&env.pae()).unwrap(),
            keyid: String::new(),
        });
        env
    }
}

fn time_at(t: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t).unwrap()
}

fn always() -> TimeRange {
    TimeRange {
        start: Some(UnixSeconds(0)),
        end: None,
    }
}

fn log_of(key: &SigningKey, url: &str) -> TransparencyLog {
    TransparencyLog {
        base_url: url.into(),
        log_id: key.public_key().key_id().as_bytes().to_vec(),
        key: TrustedKey::Usable(key.public_key().clone()),
        key_details: "PKIX_ECDSA_P256_SHA_256".into(),
        valid_for: always(),
    }
}

impl Fixture {
    pub fn new() -> Self {
        let (ca, _, _) =
            signet_ca::CaChain::generate("signet-oci test", time_at(T - 3600)).unwrap();
        Self {
            ca,
            ct: SigningKey::generate_p256().unwrap(),
            rekor: SigningKey::generate_p256().unwrap(),
        }
    }

    pub fn trusted_root(&self) -> TrustedRoot {
        TrustedRoot {
            tlogs: vec![log_of(&self.rekor, "https://rekor.test")],
            ctlogs: vec![log_of(&self.ct, "https://ct.test")],
            certificate_authorities: vec![CertificateAuthority {
                subject: None,
                uri: "https://ca.test".into(),
                chain: vec![
                    self.ca.intermediate().der().to_vec(),
                    self.ca.root().der().to_vec(),
                ],
                valid_for: always(),
            }],
            timestamp_authorities: vec![],
        }
    }

    /// A keyless signer with an email SAN, `ISSUER` in 1.1 and 1.8, issued at `T`, its
    /// embedded SCT signed by the fixture's CT key.
    pub fn keyless(&self, email: &str) -> Signer {
        let key = SigningKey::generate_p256().unwrap();
        let identity = signet_ca::Identity {
            san: signet_ca::LeafSan::Email(email.into()),
            extensions: vec![
                (
                    "1.3.6.1.4.1.57264.1.1".into(),
                    signet_ca::ExtValue::Raw(ISSUER.into()),
                ),
                (
                    "1.3.6.1.4.1.57264.1.8".into(),
                    signet_ca::ExtValue::Utf8(ISSUER.into()),
                ),
            ],
        };
        let pending = self
            .ca
            .precertificate(key.public_key().spki_der(), &identity, time_at(T))
            .unwrap();
        let precert = signet_x509::Certificate::from_der(&pending.precert_der).unwrap();
        let poison = const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");
        let tbs = signet_x509::tbs_without_extension(precert.tbs_der(), &poison)
            .unwrap()
            .unwrap();
        let issuer_key_hash = signet_crypto::sha256(self.ca.intermediate().spki_der());
        let timestamp_ms = u64::try_from(T).unwrap() * 1000;
        let signed =
            signet_x509::precert_sct_signed_data(timestamp_ms, &issuer_key_hash, &tbs, &[])
                .unwrap();
        let sct = signet_x509::Sct {
            log_id: self.ct.public_key().key_id(),
            timestamp_ms,
            extensions: vec![],
            hash: 4,
            sig_alg: 3,
            signature: self.ct.sign(&signed).unwrap(),
        };
        let list = signet_x509::sct_list_extension(&[sct]).unwrap();
        let leaf = self.ca.finish(pending, &list).unwrap();
        Signer {
            key,
            leaf: Some(leaf),
        }
    }

    /// Logs `body` as the only entry of a fresh tree (index 0), integrated at `T + 60`: SET,
    /// inclusion proof and signed checkpoint.
    pub fn log(&self, body: &[u8], kind: &str, version: &str) -> TlogEntryJson {
        let integrated_time = T + 60;
        let log_id = self.rekor.public_key().key_id();
        let set = self
            .rekor
            .sign(&signet_rekor::set_payload(
                body,
                integrated_time,
                log_id.as_bytes(),
                0,
            ))
            .unwrap();
        let root = signet_rekor::leaf_hash(body);
        let cp = signet_tlog::Checkpoint {
            origin: "rekor.test - 1".into(),
            size: signet_types::TreeSize(1),
            root_hash: root,
            extensions: vec![],
        };
        let signer = signet_tlog::EcdsaNoteSigner::new(
            "rekor.test",
            SigningKey::from_pkcs8_der(&self.rekor.to_pkcs8_der().unwrap()).unwrap(),
        )
        .unwrap();
        let note = signet_tlog::sign_note(&cp.to_text(), &[&signer]).unwrap();
        TlogEntryJson {
            log_index: 0,
            log_id: LogIdJson {
                key_id: b64::encode(log_id.as_bytes()),
            },
            kind_version: KindVersionJson {
                kind: kind.into(),
                version: version.into(),
            },
            integrated_time,
            inclusion_promise: Some(InclusionPromiseJson {
                signed_entry_timestamp: b64::encode(&set),
            }),
            inclusion_proof: Some(InclusionProofJson {
                log_index: 0,
                root_hash: b64::encode(root.as_bytes()),
                tree_size: 1,
                hashes: vec![],
                checkpoint: Some(CheckpointJson { envelope: note }),
            }),
            canonicalized_body: b64::encode(body),
        }
    }

    /// Logs a DSSE envelope as a `dsse` 0.0.1 entry (as Rekor canonicalizes it); returns the
    /// envelope JSON exactly as logged and its entry.
    pub fn log_dsse(&self, signer: &Signer, env: &Envelope) -> (String, TlogEntryJson) {
        self.log_envelope(signer, env, "dsse")
    }

    /// Logs a DSSE envelope as a `dsse` 0.0.1 or `intoto` 0.0.2 entry.
    pub fn log_envelope(
        &self,
        signer: &Signer,
        env: &Envelope,
        kind: &str,
    ) -> (String, TlogEntryJson) {
        let text = serde_json::to_string(&env.to_json()).unwrap();
        let pem = signer.pem();
        let (proposed, version) = match kind {
            "dsse" => (signet_rekor::proposed_dsse(&text, &[pem.as_str()]), "0.0.1"),
            _ => (signet_rekor::proposed_intoto(&text, &pem).unwrap(), "0.0.2"),
        };
        let admitted = signet_rekor::admit(&serde_json::to_vec(&proposed).unwrap()).unwrap();
        let entry = self.log(&admitted.body, kind, version);
        (text, entry)
    }

    /// Signs `message` (a message signature over its SHA-256) and logs it as `hashedrekord`.
    pub fn log_message(&self, signer: &Signer, message: &[u8]) -> (Vec<u8>, TlogEntryJson) {
        let digest = signet_crypto::sha256(message);
        let sig = signer.key.sign_sha256_digest(&digest).unwrap();
        let body = signet_rekor::canonical_hashedrekord_v001(
            &sig,
            signer.pem().as_bytes(),
            "sha256",
            &digest.to_hex(),
        )
        .unwrap();
        (sig, self.log(&body, "hashedrekord", "0.0.1"))
    }

    /// A v0.3 bundle over a DSSE envelope of `statement`.
    pub fn dsse_bundle(&self, signer: &Signer, statement: &[u8]) -> Vec<u8> {
        let env = signer.envelope(statement);
        let (_, entry) = self.log_dsse(signer, &env);
        let bundle = BundleJson::dsse_v03(signer.material(), entry, env.to_json());
        serde_json::to_vec(&bundle).unwrap()
    }
}
