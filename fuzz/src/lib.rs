//! Shared fixtures for the fuzz targets: real trust material from `testdata/` (compiled in, so a
//! target binary runs from any directory) and a certificate template whose SCT list a target
//! can replace.
//!
//! Harness code may panic on broken fixtures (that is a harness bug, not a finding); it never
//! panics on fuzz input.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::OnceLock;

use signet_crypto::PublicKey;
use signet_trust::TrustedRoot;
use signet_types::{Sha256Hash, UnixSeconds};
use signet_x509::{Certificate, Purpose, TrustAnchorChain, TsaAuthority};

macro_rules! testdata {
    ($p:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/", $p)).as_slice()
    };
}

/// Trusted roots: the public-good production and staging roots, and the conformance suite's
/// custom roots (their own Fulcio, CT log and TSA chains).
const ROOTS: &[&[u8]] = &[
    testdata!("sigstore-conformance/default-trust/production_trusted_root.json"),
    testdata!("sigstore-conformance/default-trust/staging_trusted_root.json"),
    testdata!(
        "sigstore-conformance/assets/bundle-verify/rekor2-timestamp-with-embedded-cert/trusted_root.json"
    ),
    testdata!(
        "sigstore-conformance/assets/bundle-verify/rekor2-timestamp-with-expired-cert-chain/trusted_root.json"
    ),
    testdata!("sigstore-conformance/assets/bundle-verify/rekor2-dsse-happy-path/trusted_root.json"),
    testdata!(
        "sigstore-conformance/assets/bundle-verify/intoto-with-custom-trust-root/trusted_root.json"
    ),
    testdata!(
        "sigstore-conformance/assets/bundle-verify/bundle-with-sct-with-extensions/trusted_root.json"
    ),
    testdata!(
        "sigstore-conformance/assets/bundle-verify/trust-root-tsa-validity-end-inclusive/trusted_root.json"
    ),
];

/// A public-good bundle whose Fulcio leaf carries a real embedded SCT list.
const SCT_BUNDLE: &[u8] =
    testdata!("sigstore-conformance/assets/bundle-verify/happy-path-v0.3/bundle.sigstore.json");

/// The parsed trusted roots.
pub fn roots() -> &'static [TrustedRoot] {
    static R: OnceLock<Vec<TrustedRoot>> = OnceLock::new();
    R.get_or_init(|| {
        ROOTS
            .iter()
            .map(|j| TrustedRoot::from_json(j).expect("fixture trusted root"))
            .collect()
    })
}

fn parse_chain(ders: &[Vec<u8>]) -> Vec<Certificate> {
    ders.iter()
        .map(|d| Certificate::from_der(d).expect("fixture certificate"))
        .collect()
}

/// Every Fulcio CA chain of every root, as path-validation anchors.
pub fn ca_anchors() -> &'static [TrustAnchorChain] {
    static A: OnceLock<Vec<TrustAnchorChain>> = OnceLock::new();
    A.get_or_init(|| {
        roots()
            .iter()
            .flat_map(|r| &r.certificate_authorities)
            .map(|ca| TrustAnchorChain::new(parse_chain(&ca.chain)).expect("fixture chain"))
            .collect()
    })
}

/// Every timestamp authority of every root.
pub fn tsa_authorities() -> &'static [TsaAuthority] {
    static T: OnceLock<Vec<TsaAuthority>> = OnceLock::new();
    T.get_or_init(|| {
        roots()
            .iter()
            .flat_map(|r| &r.timestamp_authorities)
            .map(|t| TsaAuthority {
                chain: parse_chain(&t.chain),
                valid_for: (t.valid_for.start, t.valid_for.end),
            })
            .collect()
    })
}

/// The key of a CT log trusted (by any root) at `at`, as the verifier looks it up.
pub fn ct_key(log_id: &Sha256Hash, at: UnixSeconds) -> Option<PublicKey> {
    roots().iter().find_map(|r| {
        let log = r.ctlog(log_id.as_bytes())?;
        if !log.valid_for.contains(at) {
            return None;
        }
        log.key.usable().cloned()
    })
}

/// One DER TLV: (tag, header length, content length). Single-byte tags only (all X.509 needs).
fn tlv(b: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some((tag, 2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    let len = b
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |a, x| (a << 8) | usize::from(*x));
    Some((tag, 2 + n, len))
}

/// The children of a constructed value, as (offset in `content`, whole TLV).
fn children(content: &[u8]) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < content.len() {
        let (_, h, l) = tlv(&content[at..]).expect("fixture DER");
        out.push((at, &content[at..at + h + l]));
        at += h + l;
    }
    out
}

fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    let bytes: Vec<u8> = n
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

/// One enclosing TLV of the SCT list: its tag and the content around the nested part.
struct Level {
    tag: u8,
    before: Vec<u8>,
    after: Vec<u8>,
}

/// A real Fulcio leaf cut open around its SCT list (Certificate > TBSCertificate > [3] >
/// Extensions > Extension > extnValue OCTET STRING > OCTET STRING > list), and its real issuer.
pub struct SctTemplate {
    levels: Vec<Level>,
    /// The list the leaf was issued with (TLS-encoded `SignedCertificateTimestampList`).
    pub original_list: Vec<u8>,
    /// The issuing intermediate (found by path validation against the production root).
    pub issuer: Certificate,
}

impl SctTemplate {
    /// The leaf's DER with `list` as its SCT list (the certificate signature no longer matches,
    /// which SCT verification does not look at; the SCT signatures cover the TBS without the
    /// list, so the original list still verifies).
    pub fn leaf_with_list(&self, list: &[u8]) -> Vec<u8> {
        let mut inner = list.to_vec();
        for l in self.levels.iter().rev() {
            let len = l.before.len() + inner.len() + l.after.len();
            let mut out = vec![l.tag];
            out.extend(der_len(len));
            out.extend_from_slice(&l.before);
            out.extend(inner);
            out.extend_from_slice(&l.after);
            inner = out;
        }
        inner
    }
}

const SCT_LIST_OID: &[u8] = &[
    0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02,
];

/// The SCT template (built once).
pub fn sct_template() -> &'static SctTemplate {
    static S: OnceLock<SctTemplate> = OnceLock::new();
    S.get_or_init(|| {
        let bundle = signet_bundle::Bundle::from_json(SCT_BUNDLE).expect("fixture bundle");
        let signet_bundle::VerificationMaterial::Certificate { leaf, .. } = bundle.material else {
            panic!("fixture bundle has no certificate");
        };
        let cert = Certificate::from_der(&leaf).expect("fixture leaf");
        let chain = signet_x509::verify_chain(
            &cert,
            &[],
            ca_anchors(),
            cert.not_before(),
            Purpose::CodeSigning,
        )
        .expect("fixture leaf chains to a fixture root");
        let issuer = chain.issuer().clone();

        // Each step picks, among the children of the previous level's content, the TLV that
        // holds the list; the first level is the whole certificate.
        type Pick = fn(&[u8]) -> bool;
        let steps: [(u8, Pick); 7] = [
            (0x30, |_| true),                     // Certificate
            (0x30, |_| true),                     // TBSCertificate
            (0xa3, |c| c.first() == Some(&0xa3)), // [3] extensions
            (0x30, |_| true),                     // Extensions
            (0x30, |c| {
                // the SCT-list Extension
                tlv(c).is_some_and(|(_, h, _)| c[h..].starts_with(SCT_LIST_OID))
            }),
            (0x04, |c| c.first() == Some(&0x04)), // extnValue
            (0x04, |_| true),                     // the list's OCTET STRING
        ];
        // (tag, TLV start, content start, end) within `leaf`, per level.
        let mut ranges: Vec<(u8, usize, usize, usize)> = Vec::new();
        for (i, (tag, pick)) in steps.into_iter().enumerate() {
            let (start, end) = match ranges.last() {
                None => (0, leaf.len()),
                Some(&(_, _, cs, ce)) => {
                    let (off, child) = children(&leaf[cs..ce])
                        .into_iter()
                        .find(|(_, c)| pick(c))
                        .expect("fixture structure");
                    (cs + off, cs + off + child.len())
                }
            };
            let (t, h, l) = tlv(&leaf[start..end]).expect("fixture DER");
            assert!(
                t == tag && h + l == end - start,
                "fixture structure at step {i}"
            );
            ranges.push((t, start, start + h, end));
        }
        let &(_, _, list_start, list_end) = ranges.last().expect("seven levels");
        let levels = ranges
            .iter()
            .zip(ranges.iter().skip(1).map(Some).chain([None]))
            .map(|(&(tag, _, cs, ce), next)| {
                // The content around the next level's TLV (the innermost level: the list).
                let (ns, ne) = next.map_or((list_start, list_end), |&(_, ws, _, we)| (ws, we));
                Level {
                    tag,
                    before: leaf[cs..ns].to_vec(),
                    after: leaf[ne..ce].to_vec(),
                }
            })
            .collect();
        let t = SctTemplate {
            levels,
            original_list: leaf[list_start..list_end].to_vec(),
            issuer,
        };
        assert_eq!(
            t.leaf_with_list(&t.original_list),
            leaf,
            "template round trip"
        );
        t
    })
}

/// Splits `data` as `u16 BE length || first || rest`; without a complete prefix, `first` is
/// empty and `rest` is everything.
pub fn split_u16(data: &[u8]) -> (&[u8], &[u8]) {
    match data {
        [a, b, rest @ ..] => {
            let n = usize::from(u16::from_be_bytes([*a, *b]));
            if n <= rest.len() {
                rest.split_at(n)
            } else {
                (&[], data)
            }
        }
        _ => (&[], data),
    }
}
