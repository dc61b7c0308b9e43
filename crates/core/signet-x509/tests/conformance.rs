//! Real Sigstore material from sigstore-conformance (`testdata/sigstore-conformance`): certificates,
//! Fulcio chains, embedded SCTs and RFC 3161 timestamps, checked through the X.509 layer only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;
use signet_crypto::PublicKey;
use signet_types::{Sha256Hash, UnixSeconds, b64};
use signet_x509::{
    Certificate, Purpose, SanIdentity, TrustAnchorChain, TsaAuthority, X509Error, verify_chain,
    verify_embedded_scts, verify_rfc3161,
};

const CONFORMANCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../testdata/sigstore-conformance"
);
const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GHA: &str = "https://token.actions.githubusercontent.com";

fn case_dir(case: &str) -> PathBuf {
    PathBuf::from(CONFORMANCE)
        .join("assets/bundle-verify")
        .join(case)
}

fn read_json(path: PathBuf) -> Value {
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_slice(&bytes).unwrap()
}

fn all_cases() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(case_dir(""))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn bundle(case: &str) -> Value {
    read_json(case_dir(case).join("bundle.sigstore.json"))
}

/// The case's own trusted root, else the production one.
fn trusted_root(case: &str) -> Value {
    let own = case_dir(case).join("trusted_root.json");
    if own.exists() {
        read_json(own)
    } else {
        read_json(PathBuf::from(CONFORMANCE).join("default-trust/production_trusted_root.json"))
    }
}

fn bytes(v: &Value) -> Vec<u8> {
    b64::decode(v.as_str().unwrap()).unwrap()
}

fn cert(v: &Value) -> Certificate {
    Certificate::from_der(&bytes(&v["rawBytes"])).unwrap()
}

fn time(v: &Value) -> Option<UnixSeconds> {
    let s = v.as_str()?;
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
    Some(UnixSeconds(t.unix_timestamp()))
}

fn chain_of(entry: &Value) -> Vec<Certificate> {
    entry["certChain"]["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(cert)
        .collect()
}

/// The bundle's leaf and any further certificates it carries, if it has a certificate.
fn bundle_certs(b: &Value) -> Option<(Certificate, Vec<Certificate>)> {
    let vm = &b["verificationMaterial"];
    if let Some(c) = vm.get("certificate") {
        return Some((cert(c), Vec::new()));
    }
    let chain = vm.get("x509CertificateChain")?["certificates"].as_array()?;
    let mut certs: Vec<Certificate> = chain.iter().map(cert).collect();
    (!certs.is_empty()).then(|| {
        let leaf = certs.remove(0);
        (leaf, certs)
    })
}

fn fulcio_anchors(root: &Value) -> Vec<TrustAnchorChain> {
    root["certificateAuthorities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ca| TrustAnchorChain::new(chain_of(ca)).unwrap())
        .collect()
}

fn tsa_authorities(root: &Value) -> Vec<TsaAuthority> {
    root["timestampAuthorities"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| TsaAuthority {
                    chain: chain_of(t),
                    valid_for: (time(&t["validFor"]["start"]), time(&t["validFor"]["end"])),
                })
                .collect()
        })
        .unwrap_or_default()
}

type CtLogs = HashMap<Sha256Hash, (PublicKey, Option<UnixSeconds>, Option<UnixSeconds>)>;

/// CT logs keyed by `logId.keyId` as the trusted root states it (as sigstore-go does).
fn ct_logs(root: &Value) -> CtLogs {
    root["ctlogs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| {
            let id = Sha256Hash::from_slice(&bytes(&l["logId"]["keyId"])).unwrap();
            let key = PublicKey::from_spki_der(&bytes(&l["publicKey"]["rawBytes"])).ok()?;
            let vf = &l["publicKey"]["validFor"];
            Some((id, (key, time(&vf["start"]), time(&vf["end"]))))
        })
        .collect()
}

fn scts(case: &str) -> Result<Vec<signet_x509::VerifiedSct>, X509Error> {
    let root = trusted_root(case);
    let logs = ct_logs(&root);
    let (leaf, _) = bundle_certs(&bundle(case)).unwrap();
    let chain = verify_chain(
        &leaf,
        &[],
        &fulcio_anchors(&root),
        leaf.not_before(),
        Purpose::CodeSigning,
    )
    .unwrap();
    let lookup = |id: &Sha256Hash, at: UnixSeconds| {
        let (key, start, end) = logs.get(id)?;
        (start.is_none_or(|s| s <= at) && end.is_none_or(|e| at <= e)).then(|| key.clone())
    };
    verify_embedded_scts(&leaf, chain.issuer(), &lookup)
}

/// The signature bytes an RFC 3161 timestamp in this bundle covers.
fn signature_bytes(b: &Value) -> Vec<u8> {
    match b.get("messageSignature") {
        Some(m) => bytes(&m["signature"]),
        None => bytes(&b["dsseEnvelope"]["signatures"][0]["sig"]),
    }
}

fn timestamp(case: &str) -> Result<signet_x509::VerifiedTimestamp, X509Error> {
    let b = bundle(case);
    let tokens = b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()
        .unwrap();
    assert_eq!(tokens.len(), 1, "{case}");
    let token = bytes(&tokens[0]["signedTimestamp"]);
    verify_rfc3161(
        &token,
        &signature_bytes(&b),
        &tsa_authorities(&trusted_root(case)),
    )
}

#[test]
fn every_certificate_in_every_bundle_and_trusted_root_parses() {
    let mut docs: Vec<(String, Value)> = Vec::new();
    for case in all_cases() {
        for f in ["bundle.sigstore.json", "trusted_root.json"] {
            let p = case_dir(&case).join(f);
            // bundle-malformed-json_fail is not JSON at all.
            if let Ok(Ok(v)) = std::fs::read(&p).map(|b| serde_json::from_slice::<Value>(&b)) {
                docs.push((format!("{case}/{f}"), v));
            }
        }
    }
    for f in ["production_trusted_root.json", "staging_trusted_root.json"] {
        docs.push((
            f.into(),
            read_json(PathBuf::from(CONFORMANCE).join("default-trust").join(f)),
        ));
    }
    let mut n = 0;
    for (name, v) in &docs {
        let mut stack = vec![v];
        while let Some(x) = stack.pop() {
            match x {
                Value::Object(m) => {
                    // Certificates are {"rawBytes"} objects; keys carry "keyDetails" alongside.
                    if let Some(raw) = m.get("rawBytes").filter(|_| !m.contains_key("keyDetails")) {
                        let Ok(der) = b64::decode(raw.as_str().unwrap()) else {
                            continue; // bundle-invalid-base64-* cases
                        };
                        if der.is_empty() {
                            continue; // bundle-empty-certificate-chain_fail
                        }
                        let c =
                            Certificate::from_der(&der).unwrap_or_else(|e| panic!("{name}: {e}"));
                        assert!(c.not_before() <= c.not_after(), "{name}");
                        assert_eq!(Certificate::from_pem(&c.to_pem()).unwrap(), c);
                        if !c.is_ca() {
                            c.fulcio_extensions()
                                .unwrap_or_else(|e| panic!("{name}: {e}"));
                        }
                        n += 1;
                    }
                    stack.extend(m.values());
                }
                Value::Array(a) => stack.extend(a.iter()),
                _ => {}
            }
        }
    }
    assert!(n > 150, "only {n} certificates");
}

#[test]
fn happy_path_leaf_chains_to_production_fulcio_only_while_valid() {
    let root = trusted_root("happy-path-v0.3");
    let anchors = fulcio_anchors(&root);
    let (leaf, _) = bundle_certs(&bundle("happy-path-v0.3")).unwrap();
    assert_eq!(leaf.not_after().0 - leaf.not_before().0, 600);
    assert!(!leaf.is_ca());

    let chain = verify_chain(
        &leaf,
        &[],
        &anchors,
        leaf.not_before(),
        Purpose::CodeSigning,
    )
    .unwrap();
    assert_eq!(chain.anchor_index(), 1);
    assert_eq!(chain.leaf(), &leaf);
    assert_eq!(chain.certs().len(), 3);
    assert!(
        chain
            .issuer()
            .subject_string()
            .contains("sigstore-intermediate")
    );
    assert!(chain.certs()[2].is_self_signed());

    // Last second of validity still passes; a day after does not.
    verify_chain(&leaf, &[], &anchors, leaf.not_after(), Purpose::CodeSigning).unwrap();
    let late = UnixSeconds(leaf.not_after().0 + 86_400);
    let err = verify_chain(&leaf, &[], &anchors, late, Purpose::CodeSigning).unwrap_err();
    assert!(
        matches!(err, X509Error::Expired { time, .. } if time == late),
        "{err}"
    );
    let early = UnixSeconds(leaf.not_before().0 - 1);
    assert!(verify_chain(&leaf, &[], &anchors, early, Purpose::CodeSigning).is_err());
    // A Fulcio leaf is not a timestamping certificate, and the TSA root is not a Fulcio root.
    assert!(
        verify_chain(
            &leaf,
            &[],
            &anchors,
            leaf.not_before(),
            Purpose::TimeStamping
        )
        .is_err()
    );
    let staging =
        read_json(PathBuf::from(CONFORMANCE).join("default-trust/staging_trusted_root.json"));
    assert!(
        verify_chain(
            &leaf,
            &[],
            &fulcio_anchors(&staging),
            leaf.not_before(),
            Purpose::CodeSigning
        )
        .is_err()
    );
    // Only the leaf is presented as "intermediate": still chains through the trusted one.
    verify_chain(
        &leaf,
        std::slice::from_ref(&leaf),
        &anchors,
        leaf.not_before(),
        Purpose::CodeSigning,
    )
    .unwrap();
}

#[test]
fn happy_path_identity_and_fulcio_extensions() {
    let (leaf, _) = bundle_certs(&bundle("happy-path-v0.3")).unwrap();
    assert_eq!(leaf.san_identities(), vec![SanIdentity::Uri(BEACON.into())]);
    assert_eq!(leaf.oidc_issuer().as_deref(), Some(GHA));
    assert_eq!(leaf.subject_string(), "(empty subject)");
    let ext = leaf.fulcio_extensions().unwrap();
    assert_eq!(ext.issuer.as_deref(), Some(GHA));
    assert_eq!(
        ext.github_workflow_trigger.as_deref(),
        Some("workflow_dispatch")
    );
    assert_eq!(ext.github_workflow_ref.as_deref(), Some("refs/heads/main"));
    assert_eq!(ext.build_signer_uri.as_deref(), Some(BEACON));
    assert_eq!(
        ext.source_repository_uri.as_deref(),
        Some("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon")
    );
    assert_eq!(ext.runner_environment.as_deref(), Some("github-hosted"));
    assert_eq!(
        leaf.serial_hex(),
        "68bfedb264131e4db59add54ba4fb0edabc3073e"
    );
}

/// Every keyless bundle whose leaf should be trusted chains at its own notBefore.
#[test]
fn every_trusted_leaf_chains_at_issuance() {
    let mut checked = 0;
    for case in all_cases() {
        let Ok(text) = std::fs::read(case_dir(&case).join("bundle.sigstore.json")) else {
            continue;
        };
        let Ok(b) = serde_json::from_slice::<Value>(&text) else {
            continue;
        };
        let Some((leaf, extra)) = std::panic::catch_unwind(|| bundle_certs(&b)).ok().flatten()
        else {
            continue;
        };
        let anchors = fulcio_anchors(&trusted_root(&case));
        let r = verify_chain(
            &leaf,
            &extra,
            &anchors,
            leaf.not_before(),
            Purpose::CodeSigning,
        );
        // Cases whose certificate material is deliberately from elsewhere.
        let untrusted = [
            "bundle-from-wrong-instance_fail",
            // Issued in 2030 by a CA that expired in 2024.
            "intoto-expired-certificate_fail",
        ];
        if untrusted.contains(&case.as_str()) {
            assert!(r.is_err(), "{case}");
        } else {
            r.unwrap_or_else(|e| panic!("{case}: {e}"));
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked}");
}

#[test]
fn embedded_scts_verify_against_trusted_ct_logs() {
    for case in [
        "happy-path-v0.3",
        "happy-path-v0.1",
        "happy-path-intoto-in-dsse-v3",
        "rekor2-happy-path",
    ] {
        let v = scts(case).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(v.len(), 1, "{case}");
    }
    let v = scts("happy-path-v0.3").unwrap();
    assert_eq!(
        v[0].log_id().to_hex(),
        "dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e"
    );
    let (leaf, _) = bundle_certs(&bundle("happy-path-v0.3")).unwrap();
    assert_eq!((v[0].timestamp_ms() / 1000) as i64, leaf.not_before().0);
}

/// The one SCT codec reads real Fulcio SCT lists and writes them back byte for byte (the list
/// with CT extensions included).
#[test]
fn real_fulcio_sct_lists_parse_and_encode_to_the_same_bytes() {
    let mut lists = 0;
    let mut with_extensions = 0;
    for case in all_cases() {
        let raw = std::fs::read(case_dir(&case).join("bundle.sigstore.json")).unwrap_or_default();
        // Cases whose bundle is not JSON or whose certificate does not parse have no SCTs to read.
        let Ok(b) = serde_json::from_slice::<Value>(&raw) else {
            continue;
        };
        let Some((leaf, _)) = std::panic::catch_unwind(|| bundle_certs(&b)).ok().flatten() else {
            continue;
        };
        let Some(ext) = leaf.extension_value(&signet_x509::sct::SCT_LIST) else {
            continue;
        };
        let scts =
            signet_x509::parse_sct_list_extension(ext).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(!scts.is_empty(), "{case}");
        with_extensions += scts.iter().filter(|s| !s.extensions.is_empty()).count();
        assert_eq!(
            signet_x509::sct_list_extension(&scts).unwrap(),
            ext,
            "{case}"
        );
        for s in &scts {
            assert_eq!(
                signet_x509::Sct::from_tls(&s.to_tls().unwrap()).unwrap(),
                *s
            );
        }
        lists += 1;
    }
    assert!(lists >= 10, "only {lists} SCT lists");
    assert!(with_extensions >= 1);
}

#[test]
fn sct_with_extensions_verifies() {
    let v = scts("bundle-with-sct-with-extensions").unwrap();
    assert_eq!(v.len(), 1);
}

#[test]
fn sct_does_not_verify_with_a_wrong_ct_key() {
    let r = scts("invalid-ct-key_fail");
    assert!(r.as_ref().map_or(true, |v| v.is_empty()), "{r:?}");
}

#[test]
fn sct_needs_the_right_issuer_and_log() {
    let case = "happy-path-v0.3";
    let root = trusted_root(case);
    let logs = ct_logs(&root);
    let (leaf, _) = bundle_certs(&bundle(case)).unwrap();
    let anchors = fulcio_anchors(&root);
    let chain = verify_chain(
        &leaf,
        &[],
        &anchors,
        leaf.not_before(),
        Purpose::CodeSigning,
    )
    .unwrap();
    let any_key = |id: &Sha256Hash, _| logs.get(id).map(|l| l.0.clone());
    // Unknown logs are skipped, not errors.
    assert!(
        verify_embedded_scts(&leaf, chain.issuer(), &|_, _| None)
            .unwrap()
            .is_empty()
    );
    // The wrong issuer key hash makes the signature fail.
    let root_cert = chain.certs()[2];
    assert!(matches!(
        verify_embedded_scts(&leaf, root_cert, &any_key),
        Err(X509Error::Sct(_))
    ));
    // A log key that is not the log's.
    let other = logs
        .values()
        .find(|l| l.0.key_id() != chain.issuer().public_key().unwrap().key_id());
    let wrong = |_: &Sha256Hash, _| {
        other.map(|l| l.0.clone()).filter(|k| {
            k.key_id().to_hex()
                != "dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e"
        })
    };
    assert!(verify_embedded_scts(&leaf, chain.issuer(), &wrong).map_or(true, |v| v.is_empty()));
    // A certificate without SCTs (the intermediate) is an error.
    assert!(verify_embedded_scts(chain.issuer(), root_cert, &any_key).is_err());
}

#[test]
fn rfc3161_timestamps_that_verify() {
    for (case, gen_time) in [
        ("rekor2-happy-path", "2025-06-12T12:02:20Z"),
        (
            "rekor2-timestamp-with-embedded-cert",
            "2025-08-06T18:51:36Z",
        ),
        (
            "rekor2-timestamp-without-embedded-cert",
            "2025-08-06T19:03:51Z",
        ),
        // The TSA chain expired minutes after issuing; it was valid at genTime.
        (
            "rekor2-timestamp-with-expired-cert-chain",
            "2025-08-07T15:32:26Z",
        ),
        // genTime == validFor.end: the window is closed at both ends.
        (
            "trust-root-tsa-validity-end-inclusive",
            "2025-06-12T12:02:20Z",
        ),
        // Fails on the signing certificate's validity, not on the timestamp.
        (
            "intoto-tsa-timestamp-outside-cert-validity_fail",
            "2023-02-02T00:00:00Z",
        ),
        // Fails on the signing certificate's validity at genTime, not on the timestamp.
        (
            "rekor2-timestamp-with-incorrect-time_fail",
            "2025-07-15T10:33:31Z",
        ),
    ] {
        let ts = timestamp(case).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(Some(ts.time()), time(&Value::from(gen_time)), "{case}");
        assert_eq!(ts.authority_index(), 0, "{case}");
    }
}

#[test]
fn rfc3161_timestamps_that_fail() {
    let err = |case: &str| timestamp(case).expect_err(case);
    assert!(matches!(
        err("rekor2-timestamp-outside-trust-root-tsa-validity_fail"),
        X509Error::OutsideAuthorityValidity { .. }
    ));
    assert!(matches!(
        err("rekor2-timestamp-outside-tsa-cert-validity_fail"),
        X509Error::Expired { .. }
    ));
    assert_eq!(
        err("rekor2-timestamp-payload-mismatch_fail"),
        X509Error::ImprintMismatch
    );
    for case in [
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
    ] {
        let e = err(case);
        assert!(matches!(e, X509Error::Timestamp(_)), "{case}: {e}");
    }
}

#[test]
fn rfc3161_needs_a_matching_authority_and_intact_token() {
    let case = "rekor2-timestamp-with-embedded-cert";
    let b = bundle(case);
    let token = bytes(
        &b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"],
    );
    let sig = signature_bytes(&b);
    let auths = tsa_authorities(&trusted_root(case));
    verify_rfc3161(&token, &sig, &auths).unwrap();
    assert!(verify_rfc3161(&token, &sig, &[]).is_err());
    // Another authority (the production TSA) does not vouch for it, at any index.
    let prod = tsa_authorities(&trusted_root("happy-path-v0.3"));
    assert!(verify_rfc3161(&token, &sig, &prod).is_err());
    let both: Vec<TsaAuthority> = prod.iter().chain(&auths).cloned().collect();
    assert_eq!(
        verify_rfc3161(&token, &sig, &both)
            .unwrap()
            .authority_index(),
        prod.len()
    );
    // Window bounds.
    let mut narrowed = auths.clone();
    narrowed[0].valid_for = (Some(UnixSeconds(i64::MAX)), None);
    assert!(matches!(
        verify_rfc3161(&token, &sig, &narrowed),
        Err(X509Error::OutsideAuthorityValidity { .. })
    ));
    narrowed[0].valid_for = (None, None);
    verify_rfc3161(&token, &sig, &narrowed).unwrap();
    // Flipping any byte of the token breaks it (parsing, imprint, digest, signature, chain),
    // except where the flip is harmless: the status (0 -> 1 is grantedWithMods), the
    // SignedData version, the informational digestAlgorithms SET, and [0] certificates turned
    // into [1] crls (the authority's own TSA certificate is then used, as without embedding).
    let survivors: Vec<usize> = (0..token.len())
        .filter(|&i| {
            let mut t = token.clone();
            t[i] ^= 0x01;
            verify_rfc3161(&t, &sig, &auths).is_ok()
        })
        .collect();
    let harmless: Vec<usize> = [8, 34].into_iter().chain(37..=49).chain([247]).collect();
    assert_eq!(survivors, harmless);
    assert!(verify_rfc3161(&token[..token.len() - 1], &sig, &auths).is_err());
    assert!(verify_rfc3161(b"", &sig, &auths).is_err());
}

/// The bundle of a case, if it is JSON.
fn bundle_opt(case: &str) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(case_dir(case).join("bundle.sigstore.json")).ok()?).ok()
}

/// Sweep: every RFC 3161 timestamp in the corpus verifies, except in the cases about the TSA.
#[test]
fn every_timestamp_in_the_corpus_verifies_unless_the_tsa_is_the_point() {
    let tsa_failures = [
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
        "rekor2-timestamp-outside-tsa-cert-validity_fail",
        "rekor2-timestamp-payload-mismatch_fail",
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
    ];
    let mut verified = 0;
    for case in all_cases() {
        let Some(b) = bundle_opt(&case) else { continue };
        let ts = &b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"];
        if ts.as_array().is_none_or(|a| a.is_empty()) {
            continue;
        }
        let r = timestamp(&case);
        assert_eq!(
            r.is_err(),
            tsa_failures.contains(&case.as_str()),
            "{case}: {r:?}"
        );
        verified += usize::from(r.is_ok());
    }
    assert!(verified >= 25, "{verified}");
}

/// Sweep: every leaf that chains has at least one SCT verifying with its trusted root's CT logs,
/// except in the case about a wrong CT key.
#[test]
fn every_chained_leaf_has_a_verified_sct_unless_the_ct_key_is_wrong() {
    let mut verified = 0;
    for case in all_cases() {
        let Some(b) = bundle_opt(&case) else { continue };
        let Some((leaf, extra)) = std::panic::catch_unwind(|| bundle_certs(&b)).ok().flatten()
        else {
            continue;
        };
        let root = trusted_root(&case);
        let at = leaf.not_before();
        let Ok(chain) = verify_chain(
            &leaf,
            &extra,
            &fulcio_anchors(&root),
            at,
            Purpose::CodeSigning,
        ) else {
            continue;
        };
        let logs = ct_logs(&root);
        let lookup = |id: &Sha256Hash, t: UnixSeconds| {
            let (key, start, end) = logs.get(id)?;
            (start.is_none_or(|s| s <= t) && end.is_none_or(|e| t <= e)).then(|| key.clone())
        };
        let r = verify_embedded_scts(&leaf, chain.issuer(), &lookup);
        let ok = r.as_ref().is_ok_and(|v| !v.is_empty());
        assert_eq!(ok, case != "invalid-ct-key_fail", "{case}: {r:?}");
        verified += usize::from(ok);
    }
    assert!(verified > 40, "{verified}");
}
