//! Path validation on generated chains (rcgen), and hostile input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use signet_types::UnixSeconds;
use signet_x509::{Certificate, Purpose, TrustAnchorChain, X509Error, verify_chain};
use time::OffsetDateTime;

const T0: i64 = 1_750_000_000;

fn params(cn: &str, ca: bool) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
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

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    cert: Certificate,
}

fn root(cn: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let params = params(cn, true);
    let cert = params.self_signed(&key).unwrap();
    Ca {
        cert: Certificate::from_der(cert.der()).unwrap(),
        params,
        key,
    }
}

fn issue(issuer: &Ca, p: CertificateParams) -> (Certificate, KeyPair, CertificateParams) {
    let key = KeyPair::generate().unwrap();
    let iss = Issuer::from_params(&issuer.params, &issuer.key);
    let c = p.signed_by(&key, &iss).unwrap();
    (Certificate::from_der(c.der()).unwrap(), key, p)
}

#[test]
fn leaf_chains_to_root_through_intermediate_only_within_validity() {
    let r = root("root");
    let (icert, ikey, iparams) = issue(&r, params("intermediate", true));
    let inter = Ca {
        params: iparams,
        key: ikey,
        cert: icert,
    };
    let (leaf, _, _) = issue(&inter, params("leaf", false));
    let anchors = [TrustAnchorChain::new(vec![inter.cert.clone(), r.cert.clone()]).unwrap()];
    let chain = verify_chain(&leaf, &[], &anchors, UnixSeconds(T0), Purpose::CodeSigning).unwrap();
    assert_eq!(chain.certs().len(), 3);
    assert_eq!(chain.issuer().der(), inter.cert.der());
    // Outside validity, wrong purpose, wrong anchor.
    assert!(matches!(
        verify_chain(
            &leaf,
            &[],
            &anchors,
            UnixSeconds(T0 + 7200),
            Purpose::CodeSigning
        ),
        Err(X509Error::Expired { .. })
    ));
    assert!(verify_chain(&leaf, &[], &anchors, UnixSeconds(T0), Purpose::TimeStamping).is_err());
    let other = root("root");
    let wrong = [TrustAnchorChain::new(vec![other.cert.clone()]).unwrap()];
    assert!(
        verify_chain(
            &leaf,
            std::slice::from_ref(&inter.cert),
            &wrong,
            UnixSeconds(T0),
            Purpose::CodeSigning
        )
        .is_err()
    );
    // A CA certificate cannot be the end entity.
    assert!(
        verify_chain(
            &inter.cert,
            &[],
            &anchors,
            UnixSeconds(T0),
            Purpose::CodeSigning
        )
        .is_err()
    );
}

#[test]
fn absurdly_deep_chains_are_refused_not_followed() {
    let r = root("root");
    let mut cas = vec![Ca {
        params: r.params.clone(),
        key: KeyPair::generate().unwrap(),
        cert: r.cert.clone(),
    }];
    cas[0].key = r.key;
    for i in 0..12 {
        let (c, k, p) = issue(&cas[i], params(&format!("ca{i}"), true));
        cas.push(Ca {
            params: p,
            key: k,
            cert: c,
        });
    }
    let (leaf, _, _) = issue(cas.last().unwrap(), params("leaf", false));
    let pool: Vec<Certificate> = cas[1..].iter().map(|c| c.cert.clone()).collect();
    let anchors = [TrustAnchorChain::new(vec![cas[0].cert.clone()]).unwrap()];
    let err = verify_chain(
        &leaf,
        &pool,
        &anchors,
        UnixSeconds(T0),
        Purpose::CodeSigning,
    )
    .unwrap_err();
    assert!(matches!(err, X509Error::Limit(_)), "{err}");
    assert!(TrustAnchorChain::new(pool.clone()).is_err());
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
    assert!(Certificate::from_der(&vec![0x30; 100_000]).is_err());
    assert!(Certificate::from_pem("not pem").is_err());
    let mut flipped = der.clone();
    let last = flipped.len() - 5;
    flipped[last] ^= 1;
    if let Ok(c) = Certificate::from_der(&flipped) {
        assert!(!c.is_self_signed());
    }
}

#[test]
fn every_real_certificate_parses() {
    let base = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/assets/bundle-verify"
    );
    let mut n = 0;
    for e in std::fs::read_dir(base).unwrap() {
        let dir = e.unwrap().path();
        for f in ["bundle.sigstore.json", "trusted_root.json"] {
            let Ok(bytes) = std::fs::read(dir.join(f)) else {
                continue;
            };
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                continue;
            };
            let mut stack = vec![&v];
            while let Some(x) = stack.pop() {
                match x {
                    serde_json::Value::Object(m) => {
                        if let Some(serde_json::Value::String(raw)) = m.get("rawBytes")
                            && !m.contains_key("keyDetails")
                        {
                            let der = signet_types::b64::decode(raw).unwrap();
                            let c = Certificate::from_der(&der)
                                .unwrap_or_else(|e| panic!("{dir:?}: {e}"));
                            let _ = (c.public_key(), c.san_identities(), c.fulcio_extensions());
                            n += 1;
                        }
                        stack.extend(m.values());
                    }
                    serde_json::Value::Array(a) => stack.extend(a.iter()),
                    _ => {}
                }
            }
        }
    }
    assert!(n > 100, "{n}");
}
