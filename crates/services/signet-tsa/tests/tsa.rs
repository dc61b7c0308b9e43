//! The timestamp authority against signet's own RFC 3161 verifier, and its refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;

use cms::signed_data::SignedData;
use der::asn1::{Int, OctetString};
use der::{Decode, Encode};
use signet_ca::{CaChain, FileSigner};
use signet_crypto::HashAlgorithm;
use signet_tsa::asn1::{
    MessageImprint, SigningCertificateV2, TimeStampReq, TimeStampResp, TstInfo,
};
use signet_tsa::{TimestampAuthority, TimestampRequest, TsaError, certificate};
use signet_types::UnixSeconds;
use x509_cert::spki::AlgorithmIdentifierOwned;

const NOW: i64 = 1_780_000_000;

struct Fixture {
    ca: CaChain,
    root_key: FileSigner,
    key_pem: String,
    chain: Vec<Vec<u8>>,
    tsa: TimestampAuthority,
}

impl Fixture {
    fn key(&self) -> Arc<FileSigner> {
        Arc::new(FileSigner::from_pem(&self.key_pem).unwrap())
    }
}

fn fixture() -> Fixture {
    let now = time::OffsetDateTime::from_unix_timestamp(NOW - 60).unwrap();
    let (ca, root_key, _) = CaChain::generate("signet test", now).unwrap();
    let key = FileSigner::generate_p256().unwrap();
    let chain = certificate::issue(&ca, &root_key, &key, "signet test", now).unwrap();
    let key_pem = key.to_pem();
    let tsa = TimestampAuthority::new(&chain, Arc::new(key), UnixSeconds(NOW)).unwrap();
    Fixture {
        ca,
        root_key,
        key_pem,
        chain,
        tsa,
    }
}

/// The TSTInfo, the SignedData and the response of a DER TimeStampResp.
fn decode(resp: &[u8]) -> (TstInfo, SignedData) {
    let r = TimeStampResp::from_der(resp).unwrap();
    assert_eq!(r.status.status, 0);
    let ci = r.time_stamp_token.unwrap();
    let sd: SignedData = ci.content.decode_as().unwrap();
    let econtent: OctetString = sd
        .encap_content_info
        .econtent
        .as_ref()
        .unwrap()
        .decode_as()
        .unwrap();
    (TstInfo::from_der(econtent.as_bytes()).unwrap(), sd)
}

fn request(
    hash: HashAlgorithm,
    data: &[u8],
    nonce: Option<i128>,
    cert_req: bool,
) -> TimestampRequest {
    TimestampRequest::new(hash, hash.digest(data), nonce, cert_req, None).unwrap()
}

#[test]
fn a_timestamp_verifies_with_signets_verifier_and_says_what_was_asked() {
    let f = fixture();
    let sig = b"signature bytes";
    for (hash, cert_req) in [
        (HashAlgorithm::Sha256, true),
        (HashAlgorithm::Sha256, false),
        (HashAlgorithm::Sha384, true),
        (HashAlgorithm::Sha512, false),
    ] {
        let req = request(hash, sig, Some(0x9B7F_970D_B782_510E), cert_req);
        // Through the wire form, as a client sends it.
        let req = TimestampRequest::from_der(&req.to_der().unwrap()).unwrap();
        let resp = f.tsa.timestamp(&req, UnixSeconds(NOW)).unwrap();
        let v = signet_x509::verify_rfc3161(&resp, sig, &[f.tsa.trust()]).unwrap();
        assert_eq!(v.time(), UnixSeconds(NOW));
        // Another message does not verify.
        assert!(signet_x509::verify_rfc3161(&resp, b"other", &[f.tsa.trust()]).is_err());

        let (tst, sd) = decode(&resp);
        assert_eq!(tst.version, 1);
        assert_eq!(tst.policy, signet_tsa::DEFAULT_POLICY);
        assert_eq!(
            tst.message_imprint.hashed_message.as_bytes(),
            hash.digest(sig)
        );
        // The nonce is echoed.
        assert_eq!(tst.nonce.as_ref().map(Int::as_bytes), req.nonce_bytes());
        assert_eq!(
            tst.nonce.unwrap().as_bytes(),
            [0x00, 0x9B, 0x7F, 0x97, 0x0D, 0xB7, 0x82, 0x51, 0x0E]
        );
        assert_eq!(tst.accuracy.unwrap().seconds, Some(1));
        assert!(!tst.ordering);
        assert_eq!(tst.gen_time.to_unix_duration().as_secs(), NOW as u64);
        assert!(tst.tsa.is_some());
        // 160 random bits.
        assert!(tst.serial_number.as_bytes().len() >= 19);
        // SignedData v3, one signer v1; certificates only on request (the leaf alone).
        assert_eq!(sd.version, cms::content_info::CmsVersion::V3);
        let certs = sd.certificates.map(|c| c.0.len());
        assert_eq!(certs, cert_req.then_some(1), "{hash:?} {cert_req}");
        let si = sd.signer_infos.0.iter().next().unwrap();
        assert_eq!(si.version, cms::content_info::CmsVersion::V1);
        // signingCertificateV2: the leaf's hash with the request's algorithm, omitted when
        // it is SHA-256.
        let attrs = si.signed_attrs.as_ref().unwrap();
        let ess = attrs
            .iter()
            .find(|a| a.oid.to_string() == "1.2.840.113549.1.9.16.2.47")
            .unwrap();
        let ess: SigningCertificateV2 = ess.values.iter().next().unwrap().decode_as().unwrap();
        let id = &ess.certs[0];
        assert_eq!(id.cert_hash.as_bytes(), hash.digest(&f.chain[0]));
        assert_eq!(id.hash_algorithm.is_none(), hash == HashAlgorithm::Sha256);
        // Signed attributes in DER order (a SET OF).
        let enc: Vec<Vec<u8>> = attrs.iter().map(|a| a.to_der().unwrap()).collect();
        let mut sorted = enc.clone();
        sorted.sort();
        assert_eq!(enc, sorted);
    }
}

#[test]
fn without_a_nonce_none_is_echoed_and_a_whole_chain_is_der_sorted() {
    let f = fixture();
    let req = request(HashAlgorithm::Sha256, b"s", None, true);
    let resp = f.tsa.timestamp(&req, UnixSeconds(NOW)).unwrap();
    assert!(decode(&resp).0.nonce.is_none());

    let tsa = TimestampAuthority::new(&f.chain, f.key(), UnixSeconds(NOW))
        .unwrap()
        .with_chain_in_response(true);
    let resp = tsa.timestamp(&req, UnixSeconds(NOW)).unwrap();
    signet_x509::verify_rfc3161(&resp, b"s", &[tsa.trust()]).unwrap();
    let certs: Vec<Vec<u8>> = decode(&resp)
        .1
        .certificates
        .unwrap()
        .0
        .iter()
        .map(|c| c.to_der().unwrap())
        .collect();
    assert_eq!(certs.len(), 2);
    let mut sorted = certs.clone();
    sorted.sort();
    assert_eq!(certs, sorted, "certificates SET OF must be in DER order");
    let mut both = f.chain.clone();
    both.sort();
    assert_eq!(certs, both);
}

#[test]
fn gen_time_never_goes_back_and_the_certificate_bounds_it() {
    let f = fixture();
    let req = request(HashAlgorithm::Sha256, b"s", None, false);
    let t = |now: i64| {
        let resp = f.tsa.timestamp(&req, UnixSeconds(now)).unwrap();
        signet_x509::verify_rfc3161(&resp, b"s", &[f.tsa.trust()])
            .unwrap()
            .time()
            .0
    };
    assert_eq!(t(NOW + 10), NOW + 10);
    // A clock stepping back does not make an earlier genTime.
    assert_eq!(t(NOW + 5), NOW + 10);
    assert_eq!(t(NOW + 11), NOW + 11);
    // Past the certificate: refused, not issued.
    let e = f
        .tsa
        .timestamp(&req, UnixSeconds(NOW + 20 * 365 * 86_400))
        .unwrap_err();
    assert!(matches!(e, TsaError::Unavailable(_)), "{e}");
    assert_eq!(e.status(), 503);
    // The refused time does not hold later timestamps back.
    assert_eq!(t(NOW + 12), NOW + 12);
}

#[test]
fn a_tampered_timestamp_is_refused_by_the_verifier() {
    let f = fixture();
    let req = request(HashAlgorithm::Sha256, b"s", Some(7), true);
    let resp = f.tsa.timestamp(&req, UnixSeconds(NOW)).unwrap();
    // The last bytes are the ECDSA signature's s value.
    let mut bad = resp.clone();
    let n = bad.len() - 3;
    bad[n] ^= 1;
    assert!(signet_x509::verify_rfc3161(&bad, b"s", &[f.tsa.trust()]).is_err());
    // Against another authority's chain: refused.
    let other = fixture();
    assert!(signet_x509::verify_rfc3161(&resp, b"s", &[other.tsa.trust()]).is_err());
}

#[test]
fn the_authority_refuses_material_that_verifiers_would_refuse() {
    let f = fixture();
    // Another key than the certificate's.
    let e = TimestampAuthority::new(
        &f.chain,
        Arc::new(FileSigner::generate_p256().unwrap()),
        UnixSeconds(NOW),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("own timestamp fails"), "{e}");
    // The CA's intermediate (CA:TRUE, EKU codeSigning) as a TSA certificate.
    let now = time::OffsetDateTime::from_unix_timestamp(NOW - 60).unwrap();
    let (ca, _, int_key) = CaChain::generate("x", now).unwrap();
    let e = TimestampAuthority::new(
        &[ca.intermediate().der().to_vec(), ca.root().der().to_vec()],
        Arc::new(int_key),
        UnixSeconds(NOW),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("own timestamp fails"), "{e}");
    // A chain without its root.
    let e = TimestampAuthority::new(&f.chain[..1], f.key(), UnixSeconds(NOW))
        .err()
        .unwrap();
    assert!(e.to_string().contains("root"), "{e}");
    // Before the certificate starts.
    assert!(TimestampAuthority::new(&f.chain, f.key(), UnixSeconds(NOW - 3600)).is_err());
    // A P-384 TSA key works too.
    let k = FileSigner::generate_p384().unwrap();
    let chain = certificate::issue(&f.ca, &f.root_key, &k, "o", now).unwrap();
    let tsa = TimestampAuthority::new(&chain, Arc::new(k), UnixSeconds(NOW)).unwrap();
    let resp = tsa
        .timestamp(
            &request(HashAlgorithm::Sha256, b"s", None, true),
            UnixSeconds(NOW),
        )
        .unwrap();
    signet_x509::verify_rfc3161(&resp, b"s", &[tsa.trust()]).unwrap();
    // The certificate's profile: one critical EKU timeStamping, critical KU, not a CA.
    let leaf = x509_cert::Certificate::from_der(&chain[0]).unwrap();
    let exts = leaf.tbs_certificate().extensions().unwrap();
    let eku = exts
        .iter()
        .find(|e| e.extn_id.to_string() == "2.5.29.37")
        .unwrap();
    assert!(eku.critical);
    assert_eq!(
        eku.extn_value.as_bytes(),
        [
            0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08
        ]
    );
    let ku = exts
        .iter()
        .find(|e| e.extn_id.to_string() == "2.5.29.15")
        .unwrap();
    assert!(ku.critical);
    assert!(
        !signet_x509::Certificate::from_der(&chain[0])
            .unwrap()
            .is_ca()
    );
}

fn raw_request(mutate: impl FnOnce(&mut TimeStampReq)) -> Vec<u8> {
    let mut r = TimeStampReq {
        version: 1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: const_oid::db::rfc5912::ID_SHA_256,
                parameters: None,
            },
            hashed_message: OctetString::new(HashAlgorithm::Sha256.digest(b"s")).unwrap(),
        },
        req_policy: None,
        nonce: None,
        cert_req: false,
        extensions: None,
    };
    mutate(&mut r);
    r.to_der().unwrap()
}

#[test]
fn bad_requests_are_refused_with_clear_errors() {
    let f = fixture();
    // Absent parameters are accepted as well as NULL (sigstore-go sends none).
    TimestampRequest::from_der(&raw_request(|_| {})).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![], "empty timestamp request"),
        (vec![0x30, 0x03, 0x02, 0x01], "malformed TimeStampReq"),
        (b"not DER at all".to_vec(), "malformed TimeStampReq"),
        (
            vec![0x30; signet_tsa::request::MAX_REQUEST_DER + 1],
            "over the limit of 16384 bytes",
        ),
        (
            raw_request(|r| r.version = 2),
            "unsupported TimeStampReq version 2",
        ),
        (
            raw_request(|r| {
                r.message_imprint.hash_algorithm.oid = const_oid::db::rfc5912::ID_SHA_1;
                r.message_imprint.hashed_message = OctetString::new(vec![0; 20]).unwrap();
            }),
            "Weak hash algorithm in timestamp request",
        ),
        (
            raw_request(|r| r.message_imprint.hash_algorithm.oid = const_oid::db::rfc5912::ID_MD_5),
            "unsupported hash algorithm 1.2.840.113549.2.5",
        ),
        (
            raw_request(|r| {
                r.message_imprint.hashed_message = OctetString::new(vec![1; 31]).unwrap()
            }),
            "the message imprint has 31 bytes, but a Sha256 digest has 32",
        ),
        (
            raw_request(|r| {
                r.message_imprint.hash_algorithm.parameters =
                    Some(der::asn1::Any::encode_from(&1u8).unwrap())
            }),
            "parameters other than NULL",
        ),
        (
            raw_request(|r| {
                r.extensions = Some(vec![x509_cert::ext::Extension {
                    extn_id: const_oid::ObjectIdentifier::new_unwrap("1.2.3"),
                    critical: false,
                    extn_value: OctetString::new(vec![5, 0]).unwrap(),
                }])
            }),
            "request extensions are not accepted",
        ),
    ];
    for (der, want) in cases {
        let e = TimestampRequest::from_der(&der).unwrap_err();
        assert!(e.to_string().contains(want), "{want}: {e}");
        assert!(matches!(e.status(), 400 | 413), "{e}");
    }
    // A policy: Sigstore's is accepted, another is refused at issuing time.
    let ok = TimestampRequest::from_der(&raw_request(|r| {
        r.req_policy = Some(signet_tsa::DEFAULT_POLICY)
    }))
    .unwrap();
    f.tsa.timestamp(&ok, UnixSeconds(NOW)).unwrap();
    let other = TimestampRequest::from_der(&raw_request(|r| {
        r.req_policy = Some(const_oid::ObjectIdentifier::new_unwrap("1.2.3.4"))
    }))
    .unwrap();
    let e = f.tsa.timestamp(&other, UnixSeconds(NOW)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unaccepted policy 1.2.3.4 in timestamp request (accepted: 1.3.6.1.4.1.57264.2)"
    );
    assert_eq!(e.status(), 400);
}

#[test]
fn the_json_form_is_accepted_and_checked() {
    use base64::Engine;
    let f = fixture();
    let b64 = base64::engine::general_purpose::STANDARD.encode(HashAlgorithm::Sha256.digest(b"s"));
    let body = format!(
        r#"{{"artifactHash":"{b64}","hashAlgorithm":"SHA256","nonce":123,"certificates":true,"tsaPolicyOID":"1.3.6.1.4.1.57264.2"}}"#
    );
    let req = TimestampRequest::from_json(body.as_bytes()).unwrap();
    assert!(req.cert_req());
    let resp = f.tsa.timestamp(&req, UnixSeconds(NOW)).unwrap();
    signet_x509::verify_rfc3161(&resp, b"s", &[f.tsa.trust()]).unwrap();
    let (tst, sd) = decode(&resp);
    assert_eq!(tst.nonce.unwrap().as_bytes(), [123]);
    assert!(sd.certificates.is_some());
    // Negative and large nonces keep their value.
    for (n, bytes) in [
        ("-1", vec![0xff]),
        ("128", vec![0x00, 0x80]),
        (
            "18446744073709551615",
            vec![0, 255, 255, 255, 255, 255, 255, 255, 255],
        ),
    ] {
        let body = format!(r#"{{"artifactHash":"{b64}","hashAlgorithm":"sha256","nonce":{n}}}"#);
        let req = TimestampRequest::from_json(body.as_bytes()).unwrap();
        assert_eq!(req.nonce_bytes(), Some(&bytes[..]), "{n}");
    }
    let cases = [
        (
            format!(r#"{{"artifactHash":"{b64}","hashAlgorithm":"sha1"}}"#),
            "Weak hash",
        ),
        (
            format!(r#"{{"artifactHash":"{b64}","hashAlgorithm":"md5"}}"#),
            "unsupported hash algorithm md5",
        ),
        (
            r#"{"artifactHash":"!!","hashAlgorithm":"sha256"}"#.to_string(),
            "not base64",
        ),
        (
            r#"{"hashAlgorithm":"sha256"}"#.to_string(),
            "missing field `artifactHash`",
        ),
        (
            format!(r#"{{"artifactHash":"{b64}","hashAlgorithm":"sha512"}}"#),
            "a Sha512 digest has 64",
        ),
        (
            format!(r#"{{"artifactHash":"{b64}","hashAlgorithm":"sha256","nonce":1.5}}"#),
            "not a 64-bit integer",
        ),
        (
            format!(r#"{{"artifactHash":"{b64}","hashAlgorithm":"sha256","x":1}}"#),
            "unknown field",
        ),
        (
            format!(
                r#"{{"artifactHash":"{b64}","hashAlgorithm":"sha256","pad":"{}"}}"#,
                "a".repeat(1024)
            ),
            "over the limit of 1024 bytes",
        ),
    ];
    for (body, want) in cases {
        let e = TimestampRequest::from_json(body.as_bytes()).unwrap_err();
        assert!(e.to_string().contains(want), "{want}: {e}");
    }
}

#[test]
fn files_are_written_private_and_load_back() {
    let f = fixture();
    let dir = std::env::temp_dir().join(format!("signet-tsa-{}", rand::random::<u64>()));
    let now = time::OffsetDateTime::from_unix_timestamp(NOW - 60).unwrap();
    let created = certificate::create(&dir, &f.ca, &f.root_key, "org", now).unwrap();
    let loaded = certificate::load(&dir, UnixSeconds(NOW)).unwrap();
    assert_eq!(created.chain_pem(), loaded.chain_pem());
    assert_eq!(loaded.chain().len(), 2);
    assert_eq!(loaded.chain()[1].der(), f.ca.root().der());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = dir.join(certificate::KEY_FILE);
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = certificate::load(&dir, UnixSeconds(NOW)).err().unwrap();
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
