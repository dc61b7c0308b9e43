//! RFC 5280 path validation at a given time, for the two purposes Sigstore needs.

use const_oid::ObjectIdentifier;
use signet_types::{UnixSeconds, limits};
use x509_cert::ext::pkix::KeyUsages;

use crate::cert::known_extension;
use crate::{Certificate, X509Error};

const EKU_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const EKU_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const EKU_ANY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// What the end-entity certificate must be good for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purpose {
    /// Fulcio signing certificates (EKU codeSigning).
    CodeSigning,
    /// Timestamp authority certificates (EKU timeStamping).
    TimeStamping,
}

impl Purpose {
    fn oid(self) -> ObjectIdentifier {
        match self {
            Self::CodeSigning => EKU_CODE_SIGNING,
            Self::TimeStamping => EKU_TIME_STAMPING,
        }
    }
}

/// A trusted certificate chain from a trusted root (leaf-most first, root last). The root is the
/// trust anchor; the others are trusted intermediates.
#[derive(Clone, Debug)]
pub struct TrustAnchorChain {
    certs: Vec<Certificate>,
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
                "trusted chain of {} certificates",
                certs.len()
            )));
        }
        Ok(Self { certs })
    }

    /// The certificates, leaf-most first.
    pub fn certs(&self) -> &[Certificate] {
        &self.certs
    }
}

/// A validated path. Only [`verify_chain`] creates one.
#[derive(Clone, Debug)]
pub struct VerifiedChain {
    certs: Vec<Certificate>,
    anchor_index: usize,
}

impl VerifiedChain {
    /// The path, end entity first, trust anchor last.
    pub fn certs(&self) -> &[Certificate] {
        &self.certs
    }

    /// The certificate that issued the end entity.
    pub fn issuer(&self) -> &Certificate {
        // A verified path always has at least the leaf and the anchor it chained to.
        &self.certs[1.min(self.certs.len() - 1)]
    }

    /// Which of the given anchors the path ends at.
    pub fn anchor_index(&self) -> usize {
        self.anchor_index
    }
}

fn check_time(c: &Certificate, time: UnixSeconds) -> Result<(), X509Error> {
    let (nb, na) = (c.not_before(), c.not_after());
    if time < nb || time > na {
        return Err(X509Error::Expired {
            subject: c.subject_string(),
            time,
            not_before: nb,
            not_after: na,
        });
    }
    Ok(())
}

fn check_critical(c: &Certificate) -> Result<(), X509Error> {
    for e in c.extensions() {
        if e.critical && !known_extension(&e.extn_id) {
            return Err(X509Error::Usage {
                subject: c.subject_string(),
                reason: format!("unhandled critical extension {}", e.extn_id),
            });
        }
    }
    Ok(())
}

fn check_eku(c: &Certificate, purpose: Purpose, required: bool) -> Result<(), X509Error> {
    match c.extended_key_usage()? {
        Some(eku) if eku.0.contains(&purpose.oid()) || (!required && eku.0.contains(&EKU_ANY)) => {
            Ok(())
        }
        None if !required => Ok(()),
        _ => Err(X509Error::Usage {
            subject: c.subject_string(),
            reason: format!("extended key usage does not allow {purpose:?}"),
        }),
    }
}

fn check_leaf(leaf: &Certificate, purpose: Purpose) -> Result<(), X509Error> {
    let usage = |reason: &str| X509Error::Usage {
        subject: leaf.subject_string(),
        reason: reason.into(),
    };
    if leaf.is_ca() {
        return Err(usage("a CA certificate cannot sign artifacts"));
    }
    if !leaf.has_key_usage(KeyUsages::DigitalSignature)? {
        return Err(usage("key usage lacks digitalSignature"));
    }
    check_eku(leaf, purpose, true)?;
    check_critical(leaf)
}

fn check_issuer(ca: &Certificate, purpose: Purpose, cas_below: usize) -> Result<(), X509Error> {
    let usage = |reason: String| X509Error::Usage {
        subject: ca.subject_string(),
        reason,
    };
    let bc = ca
        .basic_constraints()?
        .filter(|bc| bc.ca)
        .ok_or_else(|| usage("not a CA certificate".into()))?;
    if let Some(max) = bc.path_len_constraint
        && cas_below > usize::from(max)
    {
        return Err(usage(format!(
            "path length {cas_below} exceeds its constraint {max}"
        )));
    }
    if !ca.has_key_usage(KeyUsages::KeyCertSign)? {
        return Err(usage("key usage lacks keyCertSign".into()));
    }
    check_eku(ca, purpose, false)?;
    check_critical(ca)
}

/// Validates `leaf` at `time` up to one of `anchors`, using the anchors' own intermediates and
/// any extra `intermediates`. Every certificate on the path must be valid at `time`.
pub fn verify_chain(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &[TrustAnchorChain],
    time: UnixSeconds,
    purpose: Purpose,
) -> Result<VerifiedChain, X509Error> {
    check_leaf(leaf, purpose)?;
    check_time(leaf, time)?;
    let mut last_err = X509Error::NoPath {
        subject: leaf.subject_string(),
        issuer: leaf.issuer_string(),
    };
    for (anchor_index, anchor) in anchors.iter().enumerate() {
        let Some((root, trusted)) = anchor.certs.split_last() else {
            continue;
        };
        let pool: Vec<&Certificate> = trusted.iter().chain(intermediates.iter()).collect();
        match build(leaf, root, &pool, time, purpose) {
            Ok(mut path) => {
                path.insert(0, leaf.clone());
                return Ok(VerifiedChain {
                    certs: path,
                    anchor_index,
                });
            }
            Err(e) => last_err = e,
        }
    }
    Err(last_err)
}

/// Depth-first search from `cert` to `root` through `pool`; returns the issuers, nearest first.
fn build(
    cert: &Certificate,
    root: &Certificate,
    pool: &[&Certificate],
    time: UnixSeconds,
    purpose: Purpose,
) -> Result<Vec<Certificate>, X509Error> {
    // Each step tries the root first, then any pool certificate; depth is bounded by the limit
    // and no certificate is used twice.
    fn step(
        cert: &Certificate,
        root: &Certificate,
        pool: &[&Certificate],
        used: &mut Vec<usize>,
        time: UnixSeconds,
        purpose: Purpose,
        cas_below: usize,
    ) -> Result<Vec<Certificate>, X509Error> {
        if used.len() + 2 > limits::MAX_CHAIN_DEPTH {
            return Err(X509Error::Limit(format!(
                "chain deeper than {}",
                limits::MAX_CHAIN_DEPTH
            )));
        }
        let issuer_name = cert.issuer_der()?;
        let mut last = X509Error::NoPath {
            subject: cert.subject_string(),
            issuer: cert.issuer_string(),
        };
        if root.subject_der()? == issuer_name {
            match cert.verify_signed_by(root).and_then(|()| {
                check_issuer(root, purpose, cas_below)?;
                check_time(root, time)
            }) {
                Ok(()) => return Ok(vec![root.clone()]),
                Err(e) => last = e,
            }
        }
        for (i, cand) in pool.iter().enumerate() {
            if used.contains(&i) || cand.subject_der()? != issuer_name || cand.der() == cert.der() {
                continue;
            }
            let checked = cert.verify_signed_by(cand).and_then(|()| {
                check_issuer(cand, purpose, cas_below)?;
                check_time(cand, time)
            });
            if let Err(e) = checked {
                last = e;
                continue;
            }
            used.push(i);
            match step(cand, root, pool, used, time, purpose, cas_below + 1) {
                Ok(mut rest) => {
                    rest.insert(0, (*cand).clone());
                    return Ok(rest);
                }
                Err(e) => last = e,
            }
            used.pop();
        }
        Err(last)
    }
    step(cert, root, pool, &mut Vec::new(), time, purpose, 0)
}
