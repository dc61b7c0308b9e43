//! Path validation and certificate parsing on generated certificates (rcgen), including hostile
//! shapes: garbage, truncation, deep chains, loops, cross-signed meshes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, OtherNameValue, PublicKeyData, SanType, SignatureAlgorithm,
};
use signet_types::{UnixSeconds, limits};
use signet_x509::{
    Certificate, NameAttribute, Purpose, SanIdentity, TrustAnchorChain, X509Error, verify_chain,
};
use time::OffsetDateTime;

const T0: i64 = 1_750_000_000;
const AT: UnixSeconds = UnixSeconds(T0);

fn params(cn: &str, ca: bool) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name = rcgen::DistinguishedName::new();
    if !cn.is_empty() {
        p.distinguished_name.push(DnType::CommonName, cn);
    }
    p.not_before = OffsetDateTime::from_unix_timestamp(T0 - 3600).unwrap();
    p.not_after = OffsetDateTime::from_unix_timestamp(T0 + 3600).unwrap();
    if ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    } else {
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    }
    p
}

/// A CA (or leaf) with its key, so it can issue.
struct Node {
    params: CertificateParams,
    key: KeyPair,
    cert: Certificate,
}

fn root_with(p: CertificateParams, alg: &'static SignatureAlgorithm) -> Node {
    let key = KeyPair::generate_for(alg).unwrap();
    let cert = Certificate::from_der(p.self_signed(&key).unwrap().der()).unwrap();
    Node {
        params: p,
        key,
        cert,
    }
}

fn root(cn: &str) -> Node {
    root_with(params(cn, true), &rcgen::PKCS_ECDSA_P256_SHA256)
}

fn issue_with(issuer: &Node, p: CertificateParams, alg: &'static SignatureAlgorithm) -> Node {
    let key = KeyPair::generate_for(alg).unwrap();
    let c = p
        .signed_by(&key, &Issuer::from_params(&issuer.params, &issuer.key))
        .unwrap();
    Node {
        cert: Certificate::from_der(c.der()).unwrap(),
        params: p,
        key,
    }
}

fn issue(issuer: &Node, p: CertificateParams) -> Node {
    issue_with(issuer, p, &rcgen::PKCS_ECDSA_P256_SHA256)
}

fn anchors(certs: &[&Node]) -> Vec<TrustAnchorChain> {
    vec![TrustAnchorChain::new(certs.iter().map(|n| n.cert.clone()).collect()).unwrap()]
}

fn code_signing(
    leaf: &Node,
    extra: &[&Node],
    trusted: &[TrustAnchorChain],
) -> Result<usize, X509Error> {
    let extra: Vec<Certificate> = extra.iter().map(|n| n.cert.clone()).collect();
    verify_chain(&leaf.cert, &extra, trusted, AT, Purpose::CodeSigning).map(|c| c.certs().len())
}

#[test]
fn leaf_chains_through_intermediate_only_within_validity_and_purpose() {
    let r = root("root");
    let inter = issue(&r, params("intermediate", true));
    let leaf = issue(&inter, params("leaf", false));
    let trusted = anchors(&[&inter, &r]);
    let chain = verify_chain(&leaf.cert, &[], &trusted, AT, Purpose::CodeSigning).unwrap();
    assert_eq!(chain.certs().len(), 3);
    assert_eq!(chain.leaf(), &leaf.cert);
    assert_eq!(chain.issuer(), &inter.cert);
    assert_eq!(chain.anchor_index(), 0);
    // The intermediate may come from the bundle instead of the trusted root.
    assert_eq!(code_signing(&leaf, &[&inter], &anchors(&[&r])).unwrap(), 3);
    assert!(code_signing(&leaf, &[], &anchors(&[&r])).is_err());

    let late = UnixSeconds(T0 + 7200);
    assert!(matches!(
        verify_chain(&leaf.cert, &[], &trusted, late, Purpose::CodeSigning),
        Err(X509Error::Expired { time, .. }) if time == late
    ));
    assert!(verify_chain(&leaf.cert, &[], &trusted, AT, Purpose::TimeStamping).is_err());
    // Wrong anchor, then the right one second: the index says which.
    let other = root("root");
    let both = [anchors(&[&other]), trusted.clone()].concat();
    assert!(code_signing(&leaf, &[&inter], &both[..1]).is_err());
    assert_eq!(
        verify_chain(&leaf.cert, &[], &both, AT, Purpose::CodeSigning)
            .unwrap()
            .anchor_index(),
        1
    );
    // A CA certificate cannot be the end entity.
    assert!(matches!(
        code_signing(&inter, &[], &anchors(&[&r])),
        Err(X509Error::Usage { .. })
    ));
}

#[test]
fn subject_attributes_in_der_order_from_the_encoding() {
    let mut p = params("", true);
    p.distinguished_name
        .push(DnType::OrganizationName, "Example, Inc.");
    p.distinguished_name.push(DnType::CommonName, "signet root");
    p.distinguished_name.push(DnType::CountryName, "NL");
    let r = root_with(p, &rcgen::PKCS_ECDSA_P256_SHA256);
    assert_eq!(
        r.cert.subject_attributes().unwrap(),
        vec![
            NameAttribute::Organization("Example, Inc.".into()),
            NameAttribute::CommonName("signet root".into()),
            NameAttribute::Other("2.5.4.6".into()),
        ]
    );
}

#[test]
fn trusted_links_checked_once_still_bind() {
    // The intermediate's link to the root is checked when the anchor is built, then skipped on
    // each path: a trusted chain whose intermediate another root signed must never validate,
    // and an expired trusted intermediate still fails at the verification time.
    let r = root("root");
    let impostor = root("root");
    let inter = issue(&impostor, params("intermediate", true));
    let leaf = issue(&inter, params("leaf", false));
    assert!(code_signing(&leaf, &[], &anchors(&[&inter, &r])).is_err());
    assert_eq!(
        code_signing(&leaf, &[], &anchors(&[&inter, &impostor])).unwrap(),
        3
    );

    let mut ip = params("intermediate", true);
    ip.not_after = OffsetDateTime::from_unix_timestamp(T0 - 1).unwrap();
    let old = issue(&r, ip);
    let leaf = issue(&old, params("leaf", false));
    assert!(matches!(
        code_signing(&leaf, &[], &anchors(&[&old, &r])),
        Err(X509Error::Expired { .. })
    ));
}

#[test]
fn issuers_must_be_valid_at_the_time_too() {
    let mut rp = params("short-lived root", true);
    rp.not_after = OffsetDateTime::from_unix_timestamp(T0 - 1).unwrap();
    let r = root_with(rp, &rcgen::PKCS_ECDSA_P256_SHA256);
    let leaf = issue(&r, params("leaf", false));
    assert!(matches!(
        code_signing(&leaf, &[], &anchors(&[&r])),
        Err(X509Error::Expired { .. })
    ));
}

#[test]
fn other_key_types_and_hashes_chain() {
    let r = root_with(params("p384 root", true), &rcgen::PKCS_ECDSA_P384_SHA384);
    let ed = issue_with(&r, params("ed25519 ca", true), &rcgen::PKCS_ED25519);
    let leaf = issue_with(&ed, params("leaf", false), &rcgen::PKCS_ECDSA_P384_SHA384);
    assert_eq!(code_signing(&leaf, &[&ed], &anchors(&[&r])).unwrap(), 3);
    let rsa_key =
        KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap();
    let rsa_params = params("rsa root", true);
    let rsa_root = Node {
        cert: Certificate::from_der(rsa_params.self_signed(&rsa_key).unwrap().der()).unwrap(),
        params: rsa_params,
        key: rsa_key,
    };
    let leaf = issue(&rsa_root, params("leaf", false));
    assert_eq!(code_signing(&leaf, &[], &anchors(&[&rsa_root])).unwrap(), 2);
}

#[test]
fn ca_constraints_are_enforced() {
    // pathLen 0 on the root forbids an intermediate under it.
    let mut rp = params("root", true);
    rp.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let r = root_with(rp, &rcgen::PKCS_ECDSA_P256_SHA256);
    let inter = issue(&r, params("intermediate", true));
    let leaf = issue(&inter, params("leaf", false));
    assert!(matches!(
        code_signing(&leaf, &[&inter], &anchors(&[&r])),
        Err(X509Error::Usage { .. })
    ));
    assert_eq!(
        code_signing(&issue(&r, params("leaf", false)), &[], &anchors(&[&r])).unwrap(),
        2
    );

    let r = root("root");
    // An issuer that is not a CA.
    let not_ca = issue(&r, params("not a ca", false));
    let leaf = issue(&not_ca, params("leaf", false));
    assert!(code_signing(&leaf, &[&not_ca], &anchors(&[&r])).is_err());
    // A CA whose key usage lacks keyCertSign.
    let mut p = params("no certsign", true);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let no_certsign = issue(&r, p);
    let leaf = issue(&no_certsign, params("leaf", false));
    assert!(code_signing(&leaf, &[&no_certsign], &anchors(&[&r])).is_err());
    // EKU chaining: an intermediate restricted to serverAuth cannot issue code signing certs;
    // one allowing codeSigning (as Fulcio's does) or anyEKU can.
    for (eku, ok) in [
        (ExtendedKeyUsagePurpose::ServerAuth, false),
        (ExtendedKeyUsagePurpose::CodeSigning, true),
        (ExtendedKeyUsagePurpose::Any, true),
    ] {
        let mut p = params("eku ca", true);
        p.extended_key_usages = vec![eku.clone()];
        let ca = issue(&r, p);
        let leaf = issue(&ca, params("leaf", false));
        assert_eq!(
            code_signing(&leaf, &[&ca], &anchors(&[&r])).is_ok(),
            ok,
            "{eku:?}"
        );
    }
}

#[test]
fn end_entity_usage_is_enforced() {
    let r = root("root");
    let trusted = anchors(&[&r]);
    let mut p = params("no eku", false);
    p.extended_key_usages.clear();
    assert!(code_signing(&issue(&r, p), &[], &trusted).is_err());
    let mut p = params("tsa", false);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::TimeStamping];
    let tsa = issue(&r, p);
    assert!(code_signing(&tsa, &[], &trusted).is_err());
    verify_chain(&tsa.cert, &[], &trusted, AT, Purpose::TimeStamping).unwrap();
    let mut p = params("key agreement", false);
    p.key_usages = vec![KeyUsagePurpose::KeyAgreement];
    assert!(code_signing(&issue(&r, p), &[], &trusted).is_err());
}

#[test]
fn critical_extensions_unknown_are_refused_but_critical_san_is_fine() {
    let r = root("root");
    let trusted = anchors(&[&r]);
    let mut p = params("", false); // empty subject, like Fulcio: rcgen marks the SAN critical
    p.subject_alt_names = vec![SanType::OtherName((
        vec![1, 3, 6, 1, 4, 1, 57264, 1, 7],
        OtherNameValue::Utf8String("alice!example.com".into()),
    ))];
    let fulcio_like = issue(&r, p.clone());
    assert_eq!(code_signing(&fulcio_like, &[], &trusted).unwrap(), 2);
    assert_eq!(
        fulcio_like.cert.san_identities(),
        vec![SanIdentity::OtherName {
            oid: "1.3.6.1.4.1.57264.1.7".into(),
            value: "alice!example.com".into()
        }]
    );
    let mut ext = CustomExtension::from_oid_content(&[1, 2, 3, 4], vec![0x05, 0x00]);
    ext.set_criticality(true);
    p.custom_extensions.push(ext);
    let err = code_signing(&issue(&r, p), &[], &trusted).unwrap_err();
    assert_eq!(
        err,
        X509Error::UnhandledCriticalExtension {
            subject: "(empty subject)".into(),
            oid: "1.2.3.4".into()
        }
    );
}

#[test]
fn fulcio_issuer_extensions() {
    let r = root("root");
    let fulcio = |exts: &[(u64, &[u8])]| {
        let mut p = params("", false);
        p.subject_alt_names = vec![SanType::Rfc822Name("a@example.com".try_into().unwrap())];
        for (n, v) in exts {
            p.custom_extensions.push(CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 57264, 1, *n],
                v.to_vec(),
            ));
        }
        issue(&r, p).cert
    };
    let der_str = |s: &str| [&[0x0c, s.len() as u8][..], s.as_bytes()].concat();
    let v2 = der_str("https://v2.example");
    let c = fulcio(&[
        (1, b"https://v1.example"),
        (8, &v2),
        (12, &der_str("https://repo")),
    ]);
    assert_eq!(
        c.san_identities(),
        vec![SanIdentity::Email("a@example.com".into())]
    );
    assert_eq!(c.oidc_issuer().as_deref(), Some("https://v2.example"));
    let ext = c.fulcio_extensions().unwrap();
    assert_eq!(ext.issuer.as_deref(), Some("https://v2.example"));
    assert_eq!(ext.source_repository_uri.as_deref(), Some("https://repo"));
    assert_eq!(ext.build_signer_uri, None);
    // Only the deprecated raw 1.1.
    let c = fulcio(&[(1, b"https://v1.example")]);
    assert_eq!(c.oidc_issuer().as_deref(), Some("https://v1.example"));
    // A 1.8 with trailing bytes is malformed: no issuer, no fallback to 1.1.
    let trailing = [v2.as_slice(), &[0]].concat();
    let c = fulcio(&[(1, b"https://v1.example"), (8, &trailing)]);
    assert_eq!(c.oidc_issuer(), None);
    assert!(c.fulcio_extensions().is_err());
    // 1.8 carried raw (not DER) is malformed too.
    assert_eq!(fulcio(&[(8, b"https://v2.example")]).oidc_issuer(), None);
    assert_eq!(fulcio(&[]).fulcio_extensions().unwrap(), Default::default());
}

#[test]
fn deep_chains_are_refused_not_followed() {
    let mut cas = vec![root("root")];
    for i in 0..12 {
        let next = issue(cas.last().unwrap(), params(&format!("ca{i}"), true));
        cas.push(next);
    }
    let leaf = issue(cas.last().unwrap(), params("leaf", false));
    let pool: Vec<&Node> = cas[1..].iter().collect();
    let err = code_signing(&leaf, &pool, &anchors(&[&cas[0]])).unwrap_err();
    assert!(matches!(err, X509Error::Limit(_)), "{err}");
    // Exactly MAX_CHAIN_DEPTH certificates is fine.
    let depth = limits::MAX_CHAIN_DEPTH;
    let leaf = issue(&cas[depth - 2], params("leaf", false));
    assert_eq!(
        code_signing(&leaf, &pool[..depth - 2], &anchors(&[&cas[0]])).unwrap(),
        depth
    );
    let all: Vec<Certificate> = cas.iter().map(|n| n.cert.clone()).collect();
    assert!(TrustAnchorChain::new(all.clone()).is_err());
    assert!(TrustAnchorChain::new(Vec::new()).is_err());
    let many: Vec<Certificate> = all
        .iter()
        .cycle()
        .take(limits::MAX_CERTS_PER_CHAIN + 1)
        .cloned()
        .collect();
    assert!(matches!(
        verify_chain(
            &leaf.cert,
            &many,
            &anchors(&[&cas[0]]),
            AT,
            Purpose::CodeSigning
        ),
        Err(X509Error::Limit(_))
    ));
}

#[test]
fn loops_terminate_without_a_path() {
    let r = root("root");
    let trusted = anchors(&[&r]);
    // "a" and "b" issue each other, and "a" issued the leaf; neither reaches the root.
    let a_key = KeyPair::generate().unwrap();
    let b_key = KeyPair::generate().unwrap();
    let (a_params, b_params) = (params("a", true), params("b", true));
    let a = a_params
        .signed_by(&a_key, &Issuer::from_params(&b_params, &b_key))
        .unwrap();
    let b = b_params
        .signed_by(&b_key, &Issuer::from_params(&a_params, &a_key))
        .unwrap();
    let a = Node {
        cert: Certificate::from_der(a.der()).unwrap(),
        params: a_params,
        key: a_key,
    };
    let b = Node {
        cert: Certificate::from_der(b.der()).unwrap(),
        params: b_params,
        key: b_key,
    };
    let leaf = issue(&a, params("leaf", false));
    let err = code_signing(&leaf, &[&a, &b], &trusted).unwrap_err();
    assert!(matches!(err, X509Error::NoPath { .. }), "{err}");
    // A self-signed CA that is not an anchor is a dead end, not a loop.
    let rogue = root("root");
    let leaf = issue(&rogue, params("leaf", false));
    assert!(code_signing(&leaf, &[&rogue], &trusted).is_err());
    assert!(rogue.cert.is_self_signed() && !leaf.cert.is_self_signed());
}

#[test]
fn cross_signed_mesh_exhausts_the_signature_budget() {
    // Four keys under one name, every key certified by every other: many paths, none trusted.
    let keys: Vec<KeyPair> = (0..4).map(|_| KeyPair::generate().unwrap()).collect();
    let p = params("mesh", true);
    let mut mesh = Vec::new();
    for subject in &keys {
        for signer in &keys {
            let c = p
                .signed_by(subject, &Issuer::from_params(&p, signer))
                .unwrap();
            mesh.push(Certificate::from_der(c.der()).unwrap());
        }
    }
    let first = Node {
        params: p.clone(),
        key: KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        cert: mesh[0].clone(),
    };
    let leaf = {
        let key = KeyPair::generate().unwrap();
        let c = params("leaf", false)
            .signed_by(&key, &Issuer::from_params(&first.params, &keys[0]))
            .unwrap();
        Certificate::from_der(c.der()).unwrap()
    };
    let trusted = anchors(&[&root("mesh")]);
    let err = verify_chain(&leaf, &mesh, &trusted, AT, Purpose::CodeSigning).unwrap_err();
    assert!(matches!(err, X509Error::Limit(_)), "{err}");
}

#[test]
fn garbage_and_truncated_der_are_errors() {
    let r = root("root");
    let der = r.cert.der().to_vec();
    for n in [0, 1, 2, 10, der.len() / 2, der.len() - 1] {
        assert!(
            Certificate::from_der(&der[..n]).is_err(),
            "truncated at {n}"
        );
    }
    let mut trailing = der.clone();
    trailing.push(0);
    assert!(Certificate::from_der(&trailing).is_err());
    assert!(matches!(
        Certificate::from_der(&vec![0x30; limits::MAX_CERT_DER + 1]),
        Err(X509Error::Limit(_))
    ));
    assert!(Certificate::from_der(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_err());
    assert!(Certificate::from_der(b"-----BEGIN CERTIFICATE-----").is_err());
    assert!(Certificate::from_pem("not pem").is_err());
    // A flipped signature byte still parses but no longer verifies.
    let mut flipped = der.clone();
    let last = flipped.len() - 5;
    flipped[last] ^= 1;
    if let Ok(c) = Certificate::from_der(&flipped) {
        assert!(!c.is_self_signed());
    }
}

#[test]
fn pem_round_trip_and_chain_limits() {
    let r = root("root");
    let leaf = issue(&r, params("leaf", false));
    let text = format!("{}{}", leaf.cert.to_pem(), r.cert.to_pem());
    let chain = Certificate::parse_pem_chain(&text).unwrap();
    assert_eq!(chain, vec![leaf.cert.clone(), r.cert.clone()]);
    assert_eq!(Certificate::from_pem(&text).unwrap(), leaf.cert);
    assert!(
        leaf.cert
            .to_pem()
            .starts_with("-----BEGIN CERTIFICATE-----\n")
    );
    let many = r.cert.to_pem().repeat(limits::MAX_CERTS_PER_CHAIN + 1);
    assert!(matches!(
        Certificate::parse_pem_chain(&many),
        Err(X509Error::Limit(_))
    ));
    assert!(r.cert.is_ca() && !leaf.cert.is_ca());
    assert_eq!(leaf.cert.not_after().0 - leaf.cert.not_before().0, 7200);
    assert_eq!(leaf.cert.subject_string(), "CN=leaf");
    assert_eq!(leaf.cert.issuer_string(), "CN=root");
    assert_eq!(
        leaf.cert.public_key().unwrap().spki_der(),
        leaf.key.subject_public_key_info()
    );
}
