//! The Fulcio leaf profile: precertificate, then the final certificate with embedded SCTs.

use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, ExtendedKeyUsagePurpose, IsCa,
    KeyUsagePurpose, OtherNameValue, PublicKeyData, SanType, SerialNumber, SignatureAlgorithm,
};

use crate::keys::{CaChain, CaError, random_serial, subject_public_key_bits};

/// A subject's public key for rcgen, read from its DER SubjectPublicKeyInfo with the `spki`
/// crate: the key bits and the rcgen algorithm whose AlgorithmIdentifier is the key's. (rcgen's
/// own `SubjectPublicKeyInfo::from_der` would need its `x509-parser` feature, a third ASN.1
/// stack, for just this.)
struct SubjectKey {
    alg: &'static SignatureAlgorithm,
    bits: Vec<u8>,
}

/// The algorithms rcgen can write a subject key for, in rcgen's own search order.
const SUBJECT_KEY_ALGORITHMS: [&SignatureAlgorithm; 9] = [
    &rcgen::PKCS_RSA_SHA256,
    &rcgen::PKCS_RSA_SHA384,
    &rcgen::PKCS_RSA_SHA512,
    &rcgen::PKCS_ECDSA_P256_SHA256,
    &rcgen::PKCS_ECDSA_P384_SHA384,
    &rcgen::PKCS_ECDSA_P521_SHA256,
    &rcgen::PKCS_ECDSA_P521_SHA384,
    &rcgen::PKCS_ECDSA_P521_SHA512,
    &rcgen::PKCS_ED25519,
];

impl PublicKeyData for SubjectKey {
    fn der_bytes(&self) -> &[u8] {
        &self.bits
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.alg
    }
}

impl SubjectKey {
    fn from_der(spki_der: &[u8]) -> Result<Self, CaError> {
        let bits = subject_public_key_bits(spki_der)?.to_vec();
        let want = algorithm_identifier(spki_der)
            .ok_or_else(|| CaError::Material("public key: no algorithm identifier".into()))?;
        // The AlgorithmIdentifier rcgen writes for each algorithm, read back from the SPKI it
        // encodes for an empty key.
        let alg = SUBJECT_KEY_ALGORITHMS
            .into_iter()
            .find(|&alg| {
                let probe = SubjectKey { alg, bits: vec![] }.subject_public_key_info();
                algorithm_identifier(&probe).as_deref() == Some(want.as_slice())
            })
            .ok_or_else(|| CaError::Material("public key: unsupported algorithm".into()))?;
        Ok(Self { alg, bits })
    }
}

/// The DER AlgorithmIdentifier of a DER SubjectPublicKeyInfo.
fn algorithm_identifier(spki_der: &[u8]) -> Option<Vec<u8>> {
    use der::{Decode, Encode};
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der).ok()?;
    spki.algorithm.to_der().ok()
}

/// Certificate lifetime: Fulcio's 10 minutes.
pub const VALIDITY: time::Duration = time::Duration::minutes(10);

/// The single subject alternative name of a leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeafSan {
    /// rfc822Name.
    Email(String),
    /// uniformResourceIdentifier.
    Uri(String),
    /// otherName 1.3.6.1.4.1.57264.1.7 (UTF8String), Fulcio's "username" identities.
    OtherName(String),
}

/// How an extension value is encoded inside the extnValue OCTET STRING.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtValue {
    /// The string's bytes as they are (1.3.6.1.4.1.57264.1.1 – 1.6).
    Raw(String),
    /// A DER UTF8String (1.3.6.1.4.1.57264.1.8 and later).
    Utf8(String),
}

/// Who the certificate is for: the SAN and the Sigstore extensions (dotted OID, value), in
/// the order they should appear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Subject alternative name.
    pub san: LeafSan,
    /// 1.3.6.1.4.1.57264.1.* extensions.
    pub extensions: Vec<(String, ExtValue)>,
}

/// A leaf whose precertificate was issued and which waits for its SCTs.
pub struct PendingLeaf {
    params: CertificateParams,
    spki_der: Vec<u8>,
    /// The precertificate (DER), to submit to the CT log with the chain.
    pub precert_der: Vec<u8>,
}

const POISON: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 3];
const SCT_LIST: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2];
const SKI: &[u64] = &[2, 5, 29, 14];

fn oid_arcs(dotted: &str) -> Result<Vec<u64>, CaError> {
    let arcs: Result<Vec<u64>, _> = dotted.split('.').map(str::parse::<u64>).collect();
    match arcs {
        Ok(a) if a.len() >= 2 && dotted.starts_with("1.3.6.1.4.1.57264.") => Ok(a),
        _ => Err(CaError::Material(format!(
            "{dotted:?} is not a Sigstore extension OID"
        ))),
    }
}

/// DER of `value` as an ASN.1 type from the `der` crate (an extension's `extnValue` contents).
fn encode<'a, T>(
    value: &'a [u8],
    make: impl FnOnce(&'a [u8]) -> der::Result<T>,
) -> Result<Vec<u8>, CaError>
where
    T: der::Encode,
{
    make(value)
        .and_then(|v| v.to_der())
        .map_err(|e| CaError::Material(format!("extension value: {e}")))
}

/// The `extnValue` contents of a Sigstore extension.
fn ext_content(value: &ExtValue) -> Result<Vec<u8>, CaError> {
    match value {
        ExtValue::Raw(s) => Ok(s.as_bytes().to_vec()),
        ExtValue::Utf8(s) => encode(s.as_bytes(), der::asn1::Utf8StringRef::new),
    }
}

impl CaChain {
    /// Issues the precertificate for `spki_der` (the requester's key, already checked) and
    /// `identity`, valid from `now` for ten minutes. The final certificate is made by
    /// [`CaChain::finish`] from the same parameters, so the two TBS differ only in the poison
    /// and SCT-list extensions.
    pub fn precertificate(
        &self,
        spki_der: &[u8],
        identity: &Identity,
        now: time::OffsetDateTime,
    ) -> Result<PendingLeaf, CaError> {
        let mut p = CertificateParams::default();
        p.distinguished_name = DistinguishedName::new();
        // Second precision, as X.509 times have.
        let now = now.replace_nanosecond(0).unwrap_or(now);
        p.not_before = now;
        p.not_after = now
            .checked_add(VALIDITY)
            .ok_or_else(|| CaError::Generate(format!("{now} + {VALIDITY} is out of range")))?;
        p.serial_number = Some(SerialNumber::from_slice(&random_serial()));
        p.is_ca = IsCa::NoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        p.use_authority_key_identifier_extension = true;
        let ia5 = |s: &str| {
            rcgen::string::Ia5String::try_from(s.to_string())
                .map_err(|e| CaError::Material(format!("identity {s:?}: {e}")))
        };
        p.subject_alt_names = vec![match &identity.san {
            LeafSan::Email(e) => SanType::Rfc822Name(ia5(e)?),
            LeafSan::Uri(u) => SanType::URI(ia5(u)?),
            LeafSan::OtherName(n) => SanType::OtherName((
                vec![1, 3, 6, 1, 4, 1, 57264, 1, 7],
                OtherNameValue::Utf8String(n.clone()),
            )),
        }];
        // SKI by RFC 5280 method 1, as historic Fulcio leaves carry it.
        let bits = subject_public_key_bits(spki_der)?;
        let ski = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bits);
        let mut exts = vec![CustomExtension::from_oid_content(
            SKI,
            encode(ski.as_ref(), der::asn1::OctetStringRef::new)?,
        )];
        for (oid, value) in &identity.extensions {
            exts.push(CustomExtension::from_oid_content(
                &oid_arcs(oid)?,
                ext_content(value)?,
            ));
        }
        p.custom_extensions = exts;
        let mut pre = p.clone();
        let mut poison = CustomExtension::from_oid_content(POISON, vec![0x05, 0x00]);
        poison.set_criticality(true);
        pre.custom_extensions.push(poison);
        let key = SubjectKey::from_der(spki_der)?;
        let issuer = rcgen::Issuer::from_params(&self.issuer_params, &self.signer);
        let precert = pre
            .signed_by(&key, &issuer)
            .map_err(|e| CaError::Generate(e.to_string()))?;
        Ok(PendingLeaf {
            params: p,
            spki_der: spki_der.to_vec(),
            precert_der: precert.der().to_vec(),
        })
    }

    /// The chain to submit to the CT log: precertificate, intermediate, root (DER).
    pub fn ct_chain(&self, pending: &PendingLeaf) -> Vec<Vec<u8>> {
        vec![
            pending.precert_der.clone(),
            self.intermediate.der().to_vec(),
            self.root.der().to_vec(),
        ]
    }

    /// The final certificate: the precertificate's TBS without poison, plus the SCT-list
    /// extension (`sct_list_value` = extnValue contents, a DER OCTET STRING of the TLS list).
    pub fn finish(&self, pending: PendingLeaf, sct_list_value: &[u8]) -> Result<Vec<u8>, CaError> {
        let mut p = pending.params;
        p.custom_extensions.push(CustomExtension::from_oid_content(
            SCT_LIST,
            sct_list_value.to_vec(),
        ));
        let key = SubjectKey::from_der(&pending.spki_der)?;
        let issuer = rcgen::Issuer::from_params(&self.issuer_params, &self.signer);
        let cert = p
            .signed_by(&key, &issuer)
            .map_err(|e| CaError::Generate(e.to_string()))?;
        Ok(cert.der().to_vec())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    /// The subject key written into a leaf is the requester's SPKI byte for byte, for each key
    /// type rcgen can write; other keys are refused.
    #[test]
    fn subject_keys_round_trip_through_rcgen() {
        use super::{SUBJECT_KEY_ALGORITHMS, SubjectKey};
        use rcgen::PublicKeyData;
        let mut seen = 0;
        for alg in SUBJECT_KEY_ALGORITHMS {
            // rcgen cannot generate RSA keys; those are covered by the AlgorithmIdentifier match.
            let Ok(kp) = rcgen::KeyPair::generate_for(alg) else {
                continue;
            };
            let spki = kp.subject_public_key_info();
            let key = SubjectKey::from_der(&spki).unwrap();
            assert_eq!(key.subject_public_key_info(), spki, "{alg:?}");
            assert_eq!(key.der_bytes(), kp.der_bytes());
            seen += 1;
        }
        assert!(seen >= 4, "{seen}");
        let signet_key = signet_crypto::SigningKey::generate_p256().unwrap();
        let p256 = signet_key.public_key().spki_der().to_vec();
        assert_eq!(
            SubjectKey::from_der(&p256)
                .unwrap()
                .subject_public_key_info(),
            p256
        );
        // An X25519 key: a well-formed SPKI rcgen has no algorithm for.
        let mut x25519 = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
        ];
        x25519.extend_from_slice(&[9; 32]);
        assert!(SubjectKey::from_der(&x25519).is_err());
        assert!(SubjectKey::from_der(&p256[..p256.len() - 1]).is_err());
    }

    #[test]
    fn extension_values_are_der_with_long_form_lengths() {
        use super::{ExtValue, ext_content};
        assert_eq!(ext_content(&ExtValue::Raw("ab".into())).unwrap(), b"ab");
        assert_eq!(
            ext_content(&ExtValue::Utf8("ab".into())).unwrap(),
            [0x0c, 2, b'a', b'b']
        );
        let long = "x".repeat(300);
        let der = ext_content(&ExtValue::Utf8(long.clone())).unwrap();
        assert_eq!(&der[..4], &[0x0c, 0x82, 0x01, 0x2c]);
        assert_eq!(&der[4..], long.as_bytes());
        let der = ext_content(&ExtValue::Utf8("y".repeat(200))).unwrap();
        assert_eq!(&der[..3], &[0x0c, 0x81, 200]);
    }

    use super::*;
    use const_oid::ObjectIdentifier;
    use signet_types::Sha256Hash;
    use signet_x509::{Certificate, SanIdentity};

    fn identity() -> Identity {
        Identity {
            san: LeafSan::Email("alice@example.com".into()),
            extensions: vec![
                (
                    "1.3.6.1.4.1.57264.1.1".into(),
                    ExtValue::Raw("https://issuer.example".into()),
                ),
                (
                    "1.3.6.1.4.1.57264.1.8".into(),
                    ExtValue::Utf8("https://issuer.example".into()),
                ),
            ],
        }
    }

    #[test]
    fn precert_and_final_differ_only_in_poison_and_sct_list() {
        let now = time::OffsetDateTime::now_utc();
        let (ca, _, _) = CaChain::generate("t", now).unwrap();
        let leaf_key = signet_crypto::SigningKey::generate_p256().unwrap();
        let spki = leaf_key.public_key().spki_der().to_vec();
        let pending = ca.precertificate(&spki, &identity(), now).unwrap();
        let pre = Certificate::from_der(&pending.precert_der).unwrap();
        pre.verify_signed_by(ca.intermediate()).unwrap();
        let poison = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");
        let sct = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
        assert_eq!(pre.extension_criticality(&poison), Some(true));
        // An SCT list value: OCTET STRING { u16 len 0 } is enough for the structure test.
        let fin = ca.finish(pending, &[0x04, 0x02, 0x00, 0x00]).unwrap();
        let fin = Certificate::from_der(&fin).unwrap();
        fin.verify_signed_by(ca.intermediate()).unwrap();
        let a = signet_x509::tbs_without_extension(pre.tbs_der(), &poison)
            .unwrap()
            .unwrap();
        let b = signet_x509::tbs_without_extension(fin.tbs_der(), &sct)
            .unwrap()
            .unwrap();
        assert_eq!(a, b);
        // Profile.
        assert_eq!(fin.subject_string(), "(empty subject)");
        assert_eq!(fin.issuer_string(), ca.intermediate().subject_string());
        assert_eq!(fin.not_after().0 - fin.not_before().0, 600);
        assert_eq!(
            fin.san_identities(),
            vec![SanIdentity::Email("alice@example.com".into())]
        );
        assert_eq!(fin.oidc_issuer().as_deref(), Some("https://issuer.example"));
        assert_eq!(
            fin.extension_criticality(&ObjectIdentifier::new_unwrap("2.5.29.17")),
            Some(true)
        );
        assert_eq!(
            fin.extension_criticality(&ObjectIdentifier::new_unwrap("2.5.29.15")),
            Some(true)
        );
        assert!(!fin.is_ca());
        let _ = Sha256Hash([0; 32]);
    }

    #[test]
    fn refuses_non_sigstore_extension_oids() {
        let now = time::OffsetDateTime::now_utc();
        let (ca, _, _) = CaChain::generate("t", now).unwrap();
        let leaf_key = signet_crypto::SigningKey::generate_p256().unwrap();
        let mut id = identity();
        id.extensions
            .push(("2.5.29.19".into(), ExtValue::Raw("x".into())));
        assert!(
            ca.precertificate(leaf_key.public_key().spki_der(), &id, now)
                .is_err()
        );
    }
}
