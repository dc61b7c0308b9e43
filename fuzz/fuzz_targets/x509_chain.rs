#![no_main]
//! X.509 certificates and chains. Input: one DER certificate, or a PEM chain (leaf first).
//! Parsing never panics and round-trips (DER and PEM); every accessor the verifier uses is
//! exercised; path validation runs at the leaf's notBefore against the real Fulcio anchors of
//! the fixture roots and, for a PEM chain, against the chain's own last certificate. A path
//! that validates is re-checked independently: each link's signature, each validity window.
use libfuzzer_sys::fuzz_target;
use signet_x509::{Certificate, Purpose, TrustAnchorChain, VerifiedChain, verify_chain};

fn exercise(c: &Certificate) {
    assert_eq!(
        Certificate::from_der(c.der()).as_ref(),
        Ok(c),
        "DER round trip"
    );
    assert_eq!(
        Certificate::from_pem(&c.to_pem()).as_ref(),
        Ok(c),
        "PEM round trip"
    );
    let _ = (c.tbs_der(), c.spki_der(), c.public_key(), c.serial_hex());
    let _ = (
        c.subject_string(),
        c.subject_attributes(),
        c.issuer_string(),
    );
    let _ = (
        c.is_self_signed(),
        c.is_ca(),
        c.san_identities(),
        c.oidc_issuer(),
    );
    let _ = c.fulcio_extensions();
}

fn recheck(path: &VerifiedChain, leaf: &Certificate, time: signet_types::UnixSeconds) {
    let certs = path.certs();
    assert!(certs.len() >= 2, "a path has an issuer");
    assert_eq!(path.leaf(), leaf);
    assert_eq!(Some(path.issuer()), certs.get(1).copied());
    for pair in certs.windows(2) {
        assert!(
            pair[0].verify_signed_by(&pair[1]).is_ok(),
            "each link is signed by the next"
        );
    }
    for c in certs {
        assert!(
            c.not_before() <= time && time <= c.not_after(),
            "valid at the time"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let certs = if data.starts_with(b"-----BEGIN") {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        match Certificate::parse_pem_chain(text) {
            Ok(c) => c,
            Err(_) => return,
        }
    } else {
        match Certificate::from_der(data) {
            Ok(c) => vec![c],
            Err(_) => return,
        }
    };
    certs.iter().for_each(exercise);
    let Some((leaf, rest)) = certs.split_first() else {
        return;
    };
    let time = leaf.not_before();
    for purpose in [Purpose::CodeSigning, Purpose::TimeStamping] {
        let anchors = signet_fuzz::ca_anchors();
        if let Ok(path) = verify_chain(leaf, rest, anchors, time, purpose) {
            recheck(&path, leaf, time);
            let anchor = anchors[path.anchor_index()].certs();
            assert_eq!(
                path.certs().last().copied(),
                anchor.last(),
                "ends at the anchor's root"
            );
        }
        if let Some((_, mid)) = rest.split_last()
            && let Ok(own) = TrustAnchorChain::new(rest.to_vec())
            && let Ok(path) = verify_chain(leaf, mid, std::slice::from_ref(&own), time, purpose)
        {
            recheck(&path, leaf, time);
            assert_eq!(
                path.certs().last().copied(),
                rest.last(),
                "ends at the chain's root"
            );
        }
    }
});
