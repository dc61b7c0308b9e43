//! The one PEM encoder: Go's `pem.Encode` layout (64-column base64, `\n` line ends, a trailing
//! `\n`), which is what Fulcio, Rekor and cosign write. (The `pem` crate's default is CRLF.)

/// PEM text of one block with tag `tag` (e.g. `CERTIFICATE`, `PUBLIC KEY`) around `der`.
pub fn pem_encode(tag: &str, der: &[u8]) -> String {
    let cfg = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, der), cfg)
}

/// PEM text of a DER certificate (`CERTIFICATE`).
pub fn certificate_pem(der: &[u8]) -> String {
    pem_encode("CERTIFICATE", der)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Go's layout: LF only, 64 columns, a trailing newline; and it parses back.
    #[test]
    fn lf_64_columns_trailing_newline() {
        let der = vec![0xabu8; 100];
        let text = certificate_pem(&der);
        assert!(!text.contains('\r'));
        assert!(text.ends_with("-----END CERTIFICATE-----\n"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first(), Some(&"-----BEGIN CERTIFICATE-----"));
        assert_eq!(lines.get(1).map(|l| l.len()), Some(64));
        assert_eq!(pem::parse(&text).unwrap().contents(), der.as_slice());
        assert!(pem_encode("PUBLIC KEY", &der).starts_with("-----BEGIN PUBLIC KEY-----\n"));
    }
}
