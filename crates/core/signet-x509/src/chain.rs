//! RFC 5280 path validation at a given time, for the two purposes Sigstore needs.
//!
//! The rules follow Go's `crypto/x509.Verify` as sigstore-go calls it (`CurrentTime` = the
//! verified timestamp, `KeyUsages` = the purpose, EKU chaining through intermediates), made
//! stricter where that costs no real certificate: issuers need `cA` and, if keyUsage is present,
//! `keyCertSign`; unknown critical extensions are refused; the search has a signature budget.
//!
//! # Why not `rustls-webpki`
//!
//! `rustls-webpki` (0.103, in the lockfile through reqwest) was evaluated as a replacement, the
//! way sigstore-rs calls `EndEntityCert::verify_for_usage(.., UnixTime, KeyUsage::required(..),
//! ..)`. Validation at a given time (not now) and the codeSigning EKU are expressible; it is not
//! adopted because these Sigstore rules are not:
//!
//! - **EKU chaining by position.** webpki runs the one `ExtendedKeyUsageValidator` on every
//!   certificate of the path without telling it which position it is checking, so "the end
//!   entity must list codeSigning; a CA may omit EKU or list anyExtendedKeyUsage" (Go's
//!   `x509.Verify`, which sigstore-go uses, and `check_eku` below) cannot be said: `required`
//!   refuses a CA without EKU (e.g. a Fulcio root), `required_if_present` accepts a leaf without
//!   EKU, and anyExtendedKeyUsage is never accepted.
//! - **The root is a certificate, not a name and a key.** A webpki `TrustAnchor` is subject,
//!   SPKI and name constraints; the anchor's validity window, `cA` and keyUsage are never
//!   checked. Here the trusted root's last certificate must itself be valid at the signing time
//!   and allowed to issue, as in Go.
//! - **Chains belong to one certificate authority.** A trusted root lists several CAs, each an
//!   intermediate-to-root chain with its own `validFor`; the path must stay inside one of them
//!   and the caller needs which one ([`VerifiedChain::anchor_index`]). webpki takes one flat
//!   list of intermediates and would mix intermediates of one CA with another's root.
//! - **Leaf keyUsage.** webpki does not require digitalSignature on the end entity.
//! - **Messages.** webpki's `Error` names no certificate (`UnknownIssuer`, `CertExpired { time,
//!   not_after }`); users, the CLI's expected-failure table and the conformance tests see
//!   [`X509Error`]'s messages naming the subject, issuer and validity window.
//!
//! The last three could be bolted on with the `verify_path` callback, but then most of the rules
//! here would be re-checked outside webpki anyway, with the pre-checked trusted links
//! ([`TrustAnchorChain`]) lost, so the hand-written search stays; it is held to webpki's
//! behaviour by the conformance cases (`tests/conformance.rs`, `tests/chains.rs`).

use const_oid::ObjectIdentifier;
use signet_types::{UnixSeconds, limits};
use x509_cert::ext::pkix::KeyUsages;

use crate::cert::known_extension;
use crate::{Certificate, X509Error};

const EKU_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const EKU_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const EKU_ANY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// Most certificate signatures checked while searching for one path (webpki uses 100).
const SIGNATURE_BUDGET: usize = 64;

/// What the end-entity certificate must be good for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purpose {
    /// Fulcio signing certificates: EKU codeSigning (1.3.6.1.5.5.7.3.3).
    CodeSigning,
    /// Timestamp authority certificates: EKU timeStamping (1.3.6.1.5.5.7.3.8).
    TimeStamping,
}

impl Purpose {
    pub(crate) fn oid(self) -> ObjectIdentifier {
        match self {
            Self::CodeSigning => EKU_CODE_SIGNING,
            Self::TimeStamping => EKU_TIME_STAMPING,
        }
    }
}

/// A trusted certificate chain from a trusted root's `certChain` (leaf-most first, root last).
/// The last certificate is the trust anchor; the others are trusted intermediates. The trusted
/// root's `validFor` window is the caller's business.
#[derive(Clone, Debug)]
pub struct TrustAnchorChain {
    certs: Vec<Certificate>,
    /// `linked[i]`: `certs[i]` carries a valid signature by `certs[i + 1]`, checked once here.
    /// Path building then skips that signature (a P-384 root's check costs 0.8 ms, and every
    /// bundle of a release goes through the same intermediate); issuer constraints and
    /// validity times are still checked on every path.
    linked: Vec<bool>,
}

impl TrustAnchorChain {
    /// A chain; must be non-empty and at most [`limits::MAX_CHAIN_DEPTH`] long.
    pub fn new(certs: Vec<Certificate>) -> Result<Self, X509Error> {
        if certs.is_empty() {
            return Err(X509Error::Malformed(
                "empty trusted certificate chain".into(),
            ));
        }
        if certs.len() > limits::MAX_CHAIN_DEPTH {
            return Err(X509Error::Limit(format!(
                "trusted chain of {} certificates exceeds {}",
                certs.len(),
                limits::MAX_CHAIN_DEPTH
            )));
        }
        let linked = certs
            .iter()
            .zip(certs.iter().skip(1))
            .map(|(cert, issuer)| cert.verify_signed_by(issuer).is_ok())
            .collect();
        Ok(Self { certs, linked })
    }

    /// True if `cert` (by address) is member `i` of this chain and `issuer` member `i + 1`, and
    /// that signature was found valid at construction.
    fn prechecked(&self, cert: &Certificate, issuer: &Certificate) -> bool {
        self.certs
            .iter()
            .zip(self.certs.iter().skip(1))
            .zip(&self.linked)
            .any(|((c, p), &ok)| ok && std::ptr::eq(c, cert) && std::ptr::eq(p, issuer))
    }

    /// The certificates, leaf-most first.
    pub fn certs(&self) -> &[Certificate] {
        &self.certs
    }

    fn split(&self) -> Option<(&Certificate, &[Certificate])> {
        self.certs.split_last()
    }
}

/// A validated path. Only [`verify_chain`] creates one.
#[derive(Clone, Debug)]
pub struct VerifiedChain {
    /// The end entity.
    leaf: Certificate,
    /// Its issuer (the trust anchor itself when the path has two certificates).
    issuer: Certificate,
    /// The issuer's issuers, trust anchor last.
    above: Vec<Certificate>,
    anchor_index: usize,
}

impl VerifiedChain {
    /// The path, end entity first, trust anchor last; always at least two certificates.
    pub fn certs(&self) -> Vec<&Certificate> {
        [&self.leaf, &self.issuer]
            .into_iter()
            .chain(&self.above)
            .collect()
    }

    /// The end-entity certificate.
    pub fn leaf(&self) -> &Certificate {
        &self.leaf
    }

    /// The certificate that issued the end entity (for SCT `issuer_key_hash`).
    pub fn issuer(&self) -> &Certificate {
        &self.issuer
    }

    /// Index into the `anchors` passed to [`verify_chain`] of the chain the path ends at.
    pub fn anchor_index(&self) -> usize {
        self.anchor_index
    }
}

fn check_time(c: &Certificate, time: UnixSeconds) -> Result<(), X509Error> {
    let (not_before, not_after) = (c.not_before(), c.not_after());
    if time < not_before || time > not_after {
        return Err(X509Error::Expired {
            subject: c.subject_string(),
            time,
            not_before,
            not_after,
        });
    }
    Ok(())
}

fn check_critical(c: &Certificate) -> Result<(), X509Error> {
    match c
        .extensions()
        .iter()
        .find(|e| e.critical && !known_extension(&e.extn_id))
    {
        Some(e) => Err(X509Error::UnhandledCriticalExtension {
            subject: c.subject_string(),
            oid: e.extn_id.to_string(),
        }),
        None => Ok(()),
    }
}

fn usage(c: &Certificate, reason: impl Into<String>) -> X509Error {
    X509Error::Usage {
        subject: c.subject_string(),
        reason: reason.into(),
    }
}

/// EKU chaining: an end entity must list the purpose; a CA may also omit EKU or list anyEKU.
fn check_eku(c: &Certificate, purpose: Purpose, end_entity: bool) -> Result<(), X509Error> {
    let ok = match c.extended_key_usage()? {
        Some((_, eku)) => {
            eku.0.contains(&purpose.oid()) || (!end_entity && eku.0.contains(&EKU_ANY))
        }
        None => !end_entity,
    };
    if ok {
        Ok(())
    } else {
        Err(usage(
            c,
            format!("extended key usage does not allow {purpose:?}"),
        ))
    }
}

fn check_leaf(leaf: &Certificate, purpose: Purpose) -> Result<(), X509Error> {
    if leaf.is_ca() {
        return Err(usage(leaf, "a CA certificate cannot be the end entity"));
    }
    if !leaf.allows_key_usage(KeyUsages::DigitalSignature)? {
        return Err(usage(leaf, "key usage lacks digitalSignature"));
    }
    check_eku(leaf, purpose, true)?;
    check_critical(leaf)
}

/// Checks `ca` as the issuer of a certificate with `cas_below` intermediates under it.
fn check_issuer(
    ca: &Certificate,
    purpose: Purpose,
    cas_below: usize,
    time: UnixSeconds,
) -> Result<(), X509Error> {
    let bc = ca
        .basic_constraints()?
        .filter(|bc| bc.ca)
        .ok_or_else(|| usage(ca, "not a CA certificate"))?;
    if let Some(max) = bc.path_len_constraint
        && cas_below > usize::from(max)
    {
        return Err(usage(
            ca,
            format!("{cas_below} intermediates below it exceed its path length constraint {max}"),
        ));
    }
    if !ca.allows_key_usage(KeyUsages::KeyCertSign)? {
        return Err(usage(ca, "key usage lacks keyCertSign"));
    }
    check_eku(ca, purpose, false)?;
    check_critical(ca)?;
    check_time(ca, time)
}

/// Validates `leaf` at `time` for `purpose`, up to the last certificate of one of `anchors`.
///
/// Candidate issuers are the anchors' own intermediates plus `intermediates` (untrusted, e.g.
/// from a bundle). Every certificate on the path must be valid at `time` (the "hybrid model":
/// `time` is a verified signing time, not the current time), correctly signed by the next,
/// and allowed to act in its position. Anchors are tried in order; the first path found wins.
pub fn verify_chain(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &[TrustAnchorChain],
    time: UnixSeconds,
    purpose: Purpose,
) -> Result<VerifiedChain, X509Error> {
    if intermediates.len() > limits::MAX_CERTS_PER_CHAIN {
        return Err(X509Error::Limit(format!(
            "{} intermediates exceed {}",
            intermediates.len(),
            limits::MAX_CERTS_PER_CHAIN
        )));
    }
    check_leaf(leaf, purpose)?;
    check_time(leaf, time)?;
    let mut search = Search {
        time,
        purpose,
        budget: SIGNATURE_BUDGET,
        exhausted: false,
        used: Vec::new(),
        pool: Vec::new(),
        root: leaf,
        anchor: None,
    };
    let mut last = X509Error::NoPath {
        subject: leaf.subject_string(),
        issuer: leaf.issuer_string(),
    };
    for (anchor_index, anchor) in anchors.iter().enumerate() {
        let Some((root, trusted)) = anchor.split() else {
            continue;
        };
        search.root = root;
        search.anchor = Some(anchor);
        search.pool = trusted.iter().chain(intermediates).collect();
        search.used.clear();
        match search.step(leaf, 0) {
            // Root first; the last is the leaf's issuer (`step` never returns an empty path).
            Ok(mut path) => {
                if let Some(issuer) = path.pop() {
                    path.reverse();
                    return Ok(VerifiedChain {
                        leaf: leaf.clone(),
                        issuer,
                        above: path,
                        anchor_index,
                    });
                }
            }
            Err(e) if search.exhausted => return Err(e),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Depth-first path search towards one anchor.
struct Search<'a> {
    time: UnixSeconds,
    purpose: Purpose,
    /// Signature checks left, shared by all anchors.
    budget: usize,
    /// Set when a check was refused for lack of budget; ends the whole search.
    exhausted: bool,
    root: &'a Certificate,
    /// The anchor being tried (its pre-checked links).
    anchor: Option<&'a TrustAnchorChain>,
    pool: Vec<&'a Certificate>,
    /// Pool indices on the current path (no certificate is used twice).
    used: Vec<usize>,
}

impl<'a> Search<'a> {
    /// Checks `issuer` as the issuer of `cert`.
    fn link(
        &mut self,
        cert: &Certificate,
        issuer: &Certificate,
        cas_below: usize,
    ) -> Result<(), X509Error> {
        let Some(budget) = self.budget.checked_sub(1) else {
            self.exhausted = true;
            return Err(X509Error::Limit(format!(
                "more than {SIGNATURE_BUDGET} signature checks while building a path"
            )));
        };
        self.budget = budget;
        check_issuer(issuer, self.purpose, cas_below, self.time)?;
        if self.anchor.is_some_and(|a| a.prechecked(cert, issuer)) {
            return Ok(());
        }
        cert.verify_signed_by(issuer)
    }

    /// Finds issuers from `cert` up to the root; returns them root first.
    fn step(
        &mut self,
        cert: &Certificate,
        cas_below: usize,
    ) -> Result<Vec<Certificate>, X509Error> {
        // Path so far: leaf + `cas_below` intermediates + the next issuer.
        if cas_below.saturating_add(2) > limits::MAX_CHAIN_DEPTH {
            return Err(X509Error::Limit(format!(
                "no path within {} certificates",
                limits::MAX_CHAIN_DEPTH
            )));
        }
        let mut last = X509Error::NoPath {
            subject: cert.subject_string(),
            issuer: cert.issuer_string(),
        };
        let root = self.root;
        if root.subject_raw() == cert.issuer_raw() {
            match self.link(cert, root, cas_below) {
                Ok(()) => return Ok(vec![root.clone()]),
                Err(e) if self.exhausted => return Err(e),
                Err(e) => last = e,
            }
        }
        for i in 0..self.pool.len() {
            let Some(&cand) = self.pool.get(i) else {
                break;
            };
            if self.used.contains(&i)
                || cand.subject_raw() != cert.issuer_raw()
                || cand == cert
                || cand == root
            {
                continue;
            }
            let found = self.link(cert, cand, cas_below).and_then(|()| {
                self.used.push(i);
                // `cas_below + 2 <= MAX_CHAIN_DEPTH` (checked above): never saturates.
                let r = self.step(cand, cas_below.saturating_add(1));
                self.used.pop();
                r
            });
            match found {
                Ok(mut path) => {
                    path.push(cand.clone());
                    return Ok(path);
                }
                // An exhausted budget ends the search; any other failure is a dead end.
                Err(e) if self.exhausted => return Err(e),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}
