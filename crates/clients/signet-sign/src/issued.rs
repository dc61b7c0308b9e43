//! The check of a certificate the CA issued, before it is used.

use signet_crypto::SigningKey;
use signet_trust::TrustedRoot;
use signet_x509::{Certificate, Purpose, TrustAnchorChain, verify_chain, verify_embedded_scts};

use crate::SignError;

/// Checks a certificate from the CA before using it: our key, chains to a trusted CA for code
/// signing now, and carries an SCT from a trusted CT log. Returns the leaf as PEM, re-encoded
/// (LF line ends) whatever layout the CA used: this is what goes into log entries and `.cert` files.
pub fn check_issued(
    root: &TrustedRoot,
    chain: &[String],
    key: &SigningKey,
) -> Result<String, SignError> {
    let issued = |m: &str| SignError::Issued(m.to_string());
    let with_cause = |m: &str, e: &dyn std::fmt::Display| SignError::Issued(format!("{m}: {e}"));
    let leaf_pem = chain
        .first()
        .ok_or_else(|| issued("the CA returned no certificate"))?;
    let leaf = Certificate::from_pem(leaf_pem)
        .map_err(|e| with_cause("the CA returned an invalid certificate", &e))?;
    if leaf.spki_der() != key.public_key().spki_der() {
        return Err(issued("the CA certified a different key"));
    }
    let anchors = root
        .certificate_authorities
        .iter()
        .filter_map(|ca| {
            let certs: Option<Vec<Certificate>> = ca
                .chain
                .iter()
                .map(|d| Certificate::from_der(d).ok())
                .collect();
            certs.and_then(|c| TrustAnchorChain::new(c).ok())
        })
        .collect::<Vec<_>>();
    let now = signet_types::UnixSeconds(leaf.not_before().0);
    let verified = verify_chain(&leaf, &[], &anchors, now, Purpose::CodeSigning).map_err(|e| {
        with_cause(
            "the CA's certificate does not chain to the trusted root",
            &e,
        )
    })?;
    let scts = verify_embedded_scts(&leaf, verified.issuer(), &|id, t| {
        root.ctlog(id.as_bytes())
            .filter(|l| l.valid_for.contains(t))
            .and_then(|l| l.key.usable().cloned())
    })
    .map_err(|e| with_cause("the certificate's SCT does not verify", &e))?;
    if scts.is_empty() {
        return Err(issued(
            "the certificate carries no SCT from a trusted CT log",
        ));
    }
    Ok(leaf.to_pem())
}
