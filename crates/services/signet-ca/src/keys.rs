//! The CA chain and the issuing key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyIdMethod, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P384_SHA384, PublicKeyData,
    SignatureAlgorithm,
};
use signet_types::limits::FileLimit;
use signet_x509::{Certificate, NameAttribute};

/// The most bytes read of a CA certificate file (`root.pem`, `intermediate.pem`).
pub const CA_CERTIFICATE_FILE: FileLimit =
    FileLimit::new("CA certificate", signet_types::limits::MAX_MATERIAL_FILE);

/// Errors of the CA layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaError {
    /// File access failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A key or certificate file is unusable.
    #[error("{0}")]
    Material(String),
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    Generate(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CaError + '_ {
    move |source| CaError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The key that signs certificates. Implement this for a KMS or PKCS#11 key: the CA only needs
/// the public key and a signature over the TBS bytes with the key's algorithm.
pub trait CaSigner: rcgen::SigningKey + Send + Sync {}

impl<T: rcgen::SigningKey + Send + Sync> CaSigner for T {}

/// A PKCS#8 key held in memory (loaded from a 0600 file).
pub struct FileSigner(KeyPair);

impl FileSigner {
    /// Generates a P-384 key (what Fulcio's public-good intermediate uses).
    pub fn generate_p384() -> Result<Self, CaError> {
        KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384)
            .map(Self)
            .map_err(|e| CaError::Generate(e.to_string()))
    }

    /// Generates a P-256 key (the default issuing key: ECDSA P-256 signs several times faster
    /// than P-384, and every certificate is signed twice — precertificate and final).
    pub fn generate_p256() -> Result<Self, CaError> {
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map(Self)
            .map_err(|e| CaError::Generate(e.to_string()))
    }

    /// From PKCS#8 PEM.
    pub fn from_pem(pem: &str) -> Result<Self, CaError> {
        KeyPair::from_pem(pem)
            .map(Self)
            .map_err(|e| CaError::Material(format!("CA key: {e}")))
    }

    /// PKCS#8 PEM.
    pub fn to_pem(&self) -> String {
        self.0.serialize_pem()
    }
}

impl PublicKeyData for FileSigner {
    fn der_bytes(&self) -> &[u8] {
        self.0.der_bytes()
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.0.algorithm()
    }
}

impl rcgen::SigningKey for FileSigner {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.0.sign(msg)
    }
}

/// A CA key held outside the process (an HSM), through [`signet_crypto::SigningKey`]: ECDSA
/// P-256 with SHA-256, DER signatures.
pub struct ExternalCaSigner {
    key: signet_crypto::SigningKey,
}

impl ExternalCaSigner {
    /// Wraps `key` (ECDSA P-256, which [`signet_crypto::SigningKey`] guarantees).
    pub fn new(key: signet_crypto::SigningKey) -> Self {
        Self { key }
    }
}

impl PublicKeyData for ExternalCaSigner {
    fn der_bytes(&self) -> &[u8] {
        // rcgen wants the subjectPublicKey contents: the uncompressed point.
        self.key.public_key().raw()
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for ExternalCaSigner {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.key.sign(msg).map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

/// A shared handle to any [`CaSigner`], usable where rcgen wants a signing key.
#[derive(Clone)]
pub(crate) struct SharedSigner(pub(crate) Arc<dyn CaSigner>);

impl PublicKeyData for SharedSigner {
    fn der_bytes(&self) -> &[u8] {
        self.0.der_bytes()
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.0.algorithm()
    }
}

impl rcgen::SigningKey for SharedSigner {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.0.sign(msg)
    }
}

/// The CA: its chain (intermediate first, root last) and the intermediate's signer.
pub struct CaChain {
    pub(crate) intermediate: Certificate,
    pub(crate) root: Certificate,
    pub(crate) signer: SharedSigner,
    pub(crate) issuer_params: CertificateParams,
}

/// File names inside the CA directory.
pub const ROOT_CERT: &str = "root.pem";
/// Intermediate certificate.
pub const INTERMEDIATE_CERT: &str = "intermediate.pem";
/// Intermediate (issuing) key, PKCS#8 PEM, mode 0600.
pub const INTERMEDIATE_KEY: &str = "intermediate.key";
/// Root key, PKCS#8 PEM, mode 0600 (only needed to re-issue the intermediate; keep offline).
pub const ROOT_KEY: &str = "root.key";

fn sha1_ski(spki_der: &[u8]) -> Result<Vec<u8>, CaError> {
    // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents.
    let bits = subject_public_key_bits(spki_der)?;
    Ok(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bits)
            .as_ref()
            .to_vec(),
    )
}

/// The subjectPublicKey BIT STRING contents (without the unused-bits octet) of a DER SPKI.
pub(crate) fn subject_public_key_bits(spki_der: &[u8]) -> Result<&[u8], CaError> {
    use der::Decode;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| CaError::Material(format!("public key: {e}")))?;
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| CaError::Material("public key BIT STRING has unused bits".into()))?;
    // Borrow from the input: find the same bytes at the end of the SPKI.
    spki_der
        .get(spki_der.len().saturating_sub(bits.len())..)
        .filter(|b| *b == bits)
        .ok_or_else(|| CaError::Material("public key is not DER".into()))
}

fn ca_params(
    cn: &str,
    org: &str,
    path_len: Option<u8>,
    years: i64,
    now: time::OffsetDateTime,
    spki_der: &[u8],
) -> Result<CertificateParams, CaError> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, org);
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.not_before = now;
    // 365-day years, in seconds (`Duration::days` panics on overflow).
    p.not_after = years
        .checked_mul(365 * 86_400)
        .and_then(|secs| now.checked_add(time::Duration::seconds(secs)))
        .ok_or_else(|| CaError::Generate(format!("{now} + {years} years is out of range")))?;
    p.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.key_identifier_method = KeyIdMethod::PreSpecified(sha1_ski(spki_der)?);
    p.serial_number = Some(rcgen::SerialNumber::from_slice(&random_serial()));
    Ok(p)
}

/// 20 random octets with the top bit cleared (a positive serial of at most 159 bits).
pub(crate) fn random_serial() -> [u8; 20] {
    let mut s: [u8; 20] = rand::random();
    s[0] &= 0x7f;
    if s[0] == 0 {
        s[0] = 1;
    }
    s
}

fn generr(e: rcgen::Error) -> CaError {
    CaError::Generate(e.to_string())
}

impl CaChain {
    /// Generates a new root (P-384, 10 years, CA pathlen 1) and intermediate (P-256, CA
    /// pathlen 0, EKU codeSigning as Fulcio requires), both named under `org`. Returns the
    /// chain and the two keys. (Fulcio's public-good intermediate is P-384; P-256 issues about
    /// twice as many certificates per core here, and [`CaChain::load`] accepts either.)
    pub fn generate(
        org: &str,
        now: time::OffsetDateTime,
    ) -> Result<(Self, FileSigner, FileSigner), CaError> {
        let int_key = FileSigner::generate_p256()?;
        let (chain, root_key) = Self::generate_for_signer(
            org,
            now,
            Arc::new(FileSigner::from_pem(&int_key.to_pem())?),
        )?;
        Ok((chain, root_key, int_key))
    }

    /// Like [`CaChain::generate`], but the intermediate certifies the key `int_key` holds (an
    /// HSM key): only the root key is made here. Returns the chain and the root key.
    pub fn generate_for_signer(
        org: &str,
        now: time::OffsetDateTime,
        int_key: Arc<dyn CaSigner>,
    ) -> Result<(Self, FileSigner), CaError> {
        let root_key = FileSigner::generate_p384()?;
        let root_params = ca_params(
            &format!("{org} root"),
            org,
            Some(1),
            10,
            now,
            &root_key.subject_public_key_info(),
        )?;
        let root = root_params.self_signed(&root_key).map_err(generr)?;
        let chain = Self::intermediate_for(
            root.der(),
            &root_params,
            &root_key,
            &format!("{org} intermediate"),
            org,
            now,
            int_key,
        )?;
        Ok((chain, root_key))
    }

    /// A new intermediate with a new P-256 key under this CA's root, whose key `root_key` must
    /// be: the CA a rotation switches to. Its name carries the day it was made (the retired
    /// intermediate keeps its own), and it expires no later than the root. Returns the new CA
    /// and its key.
    pub fn reissue(
        &self,
        root_key: &FileSigner,
        now: time::OffsetDateTime,
    ) -> Result<(Self, FileSigner), CaError> {
        let root_params = self.root_issuer_params(root_key)?;
        let org = self
            .root
            .subject_attributes()
            .map_err(|e| CaError::Material(format!("CA root subject: {e}")))?
            .into_iter()
            .find_map(|a| match a {
                NameAttribute::Organization(o) => Some(o),
                _ => None,
            })
            .unwrap_or_else(|| "signet".into());
        Self::intermediate_under(
            self.root.der(),
            &root_params,
            root_key,
            &format!("{org} intermediate {}", now.date()),
            &org,
            now,
        )
    }

    /// How rcgen names the root as an issuer, after checking `root_key` is the root's key.
    fn root_issuer_params(&self, root_key: &FileSigner) -> Result<CertificateParams, CaError> {
        if root_key.subject_public_key_info() != self.root.spki_der() {
            return Err(CaError::Material(
                "the root key does not match the root certificate".into(),
            ));
        }
        let mut root_params = CertificateParams::default();
        root_params.distinguished_name = distinguished_name(&self.root)?;
        root_params.key_identifier_method =
            KeyIdMethod::PreSpecified(sha1_ski(self.root.spki_der())?);
        Ok(root_params)
    }

    /// Signs a certificate described by `params` for `subject_key` directly under this CA's
    /// root (whose key `root_key` must be): for certificates that must not chain through the
    /// code-signing intermediate, such as the timestamp authority's (an intermediate with EKU
    /// codeSigning would not allow a timeStamping leaf). The certificate never outlives the
    /// root, and gets an authority key identifier. Returns its DER.
    pub fn sign_under_root(
        &self,
        root_key: &FileSigner,
        mut params: CertificateParams,
        subject_key: &impl PublicKeyData,
    ) -> Result<Vec<u8>, CaError> {
        let root_params = self.root_issuer_params(root_key)?;
        let root_end = time::OffsetDateTime::from_unix_timestamp(self.root.not_after().0)
            .map_err(|e| CaError::Material(format!("root expiry: {e}")))?;
        if root_end <= params.not_before {
            return Err(CaError::Material(format!(
                "the root expired at {root_end}: make a new root"
            )));
        }
        params.not_after = params.not_after.min(root_end);
        params.use_authority_key_identifier_extension = true;
        if params.serial_number.is_none() {
            params.serial_number = Some(rcgen::SerialNumber::from_slice(&random_serial()));
        }
        let issuer = rcgen::Issuer::from_params(&root_params, root_key);
        let cert = params.signed_by(subject_key, &issuer).map_err(generr)?;
        Ok(cert.der().to_vec())
    }

    /// A new intermediate named `cn`, `org`, signed by the root (`root_der`, described for
    /// signing by `root_params`, key `root_key`).
    fn intermediate_under(
        root_der: &[u8],
        root_params: &CertificateParams,
        root_key: &FileSigner,
        cn: &str,
        org: &str,
        now: time::OffsetDateTime,
    ) -> Result<(Self, FileSigner), CaError> {
        let int_key = FileSigner::generate_p256()?;
        let chain = Self::intermediate_for(
            root_der,
            root_params,
            root_key,
            cn,
            org,
            now,
            Arc::new(FileSigner::from_pem(&int_key.to_pem())?),
        )?;
        Ok((chain, int_key))
    }

    /// A new intermediate for the key `int_key` holds (a file key or an HSM key), signed by
    /// the root.
    fn intermediate_for(
        root_der: &[u8],
        root_params: &CertificateParams,
        root_key: &FileSigner,
        cn: &str,
        org: &str,
        now: time::OffsetDateTime,
        int_key: Arc<dyn CaSigner>,
    ) -> Result<Self, CaError> {
        let root =
            Certificate::from_der(root_der).map_err(|e| CaError::Material(format!("root: {e}")))?;
        let int_key = SharedSigner(int_key);
        let mut int_params = ca_params(
            cn,
            org,
            Some(0),
            10,
            now,
            &int_key.subject_public_key_info(),
        )?;
        // Never outliving the root (a rotated intermediate is made later than the root).
        let root_end = time::OffsetDateTime::from_unix_timestamp(root.not_after().0)
            .map_err(|e| CaError::Material(format!("root expiry: {e}")))?;
        if root_end <= now {
            return Err(CaError::Material(format!(
                "the root expired at {root_end}: make a new root"
            )));
        }
        int_params.not_after = int_params.not_after.min(root_end);
        int_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        int_params.use_authority_key_identifier_extension = true;
        let issuer = rcgen::Issuer::from_params(root_params, root_key);
        let intermediate = int_params.signed_by(&int_key, &issuer).map_err(generr)?;
        Self::from_parts(intermediate.der(), root_der, int_key.0)
    }

    /// Builds the CA from its certificates and the intermediate's signer, checking they fit:
    /// the intermediate is a CA for code signing, signed by the root, and the signer holds the
    /// intermediate's key.
    pub fn from_parts(
        intermediate_der: &[u8],
        root_der: &[u8],
        signer: Arc<dyn CaSigner>,
    ) -> Result<Self, CaError> {
        fn m(w: &'static str) -> impl Fn(signet_x509::X509Error) -> CaError {
            move |e| CaError::Material(format!("{w}: {e}"))
        }
        let intermediate = Certificate::from_der(intermediate_der).map_err(m("intermediate"))?;
        let root = Certificate::from_der(root_der).map_err(m("root"))?;
        if !intermediate.is_ca() || !root.is_ca() {
            return Err(CaError::Material(
                "CA certificates must have CA:TRUE".into(),
            ));
        }
        intermediate
            .verify_signed_by(&root)
            .map_err(m("intermediate is not signed by the root"))?;
        root.verify_signed_by(&root)
            .map_err(m("root is not self-signed"))?;
        if signer.subject_public_key_info() != intermediate.spki_der() {
            return Err(CaError::Material(
                "the CA signing key does not match the intermediate certificate".into(),
            ));
        }
        let mut issuer_params = CertificateParams::default();
        issuer_params.distinguished_name = distinguished_name(&intermediate)?;
        issuer_params.key_identifier_method =
            KeyIdMethod::PreSpecified(sha1_ski(intermediate.spki_der())?);
        Ok(Self {
            intermediate,
            root,
            signer: SharedSigner(signer),
            issuer_params,
        })
    }

    /// Writes the chain and keys into `dir` (keys mode 0600, written atomically).
    pub fn write(
        &self,
        dir: &Path,
        root_key: &FileSigner,
        int_key: &FileSigner,
    ) -> Result<(), CaError> {
        self.write_without_issuing_key(dir, root_key)?;
        write_file(
            &dir.join(INTERMEDIATE_KEY),
            int_key.to_pem().as_bytes(),
            true,
        )?;
        Ok(())
    }

    /// Writes the chain and the root key into `dir`, but no issuing key (it is held outside
    /// the data directory, in an HSM).
    pub fn write_without_issuing_key(
        &self,
        dir: &Path,
        root_key: &FileSigner,
    ) -> Result<(), CaError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        write_file(&dir.join(ROOT_CERT), self.root.to_pem().as_bytes(), false)?;
        write_file(
            &dir.join(INTERMEDIATE_CERT),
            self.intermediate.to_pem().as_bytes(),
            false,
        )?;
        write_file(&dir.join(ROOT_KEY), root_key.to_pem().as_bytes(), true)
    }

    /// Loads the CA from `dir`. The key file must not be readable by group or others.
    pub fn load(dir: &Path) -> Result<Self, CaError> {
        let signer = FileSigner::from_pem(&read_private_pem(&dir.join(INTERMEDIATE_KEY))?)?;
        Self::load_with_signer(dir, Arc::new(signer))
    }

    /// Loads the CA's certificates from `dir`, its issuing key held by `signer` (which must
    /// be the intermediate certificate's key).
    pub fn load_with_signer(dir: &Path, signer: Arc<dyn CaSigner>) -> Result<Self, CaError> {
        let read = |name: &str| {
            signet_crypto::read_capped_string(&dir.join(name), CA_CERTIFICATE_FILE)
                .map_err(|e| CaError::Material(e.to_string()))
        };
        // The root key is only needed to re-issue the intermediate, but while it sits here it
        // must be as private as the intermediate key.
        let root_key = dir.join(ROOT_KEY);
        if root_key.exists() {
            check_private(&root_key)?;
        }
        let pem_der = |name: &str| -> Result<Vec<u8>, CaError> {
            Certificate::from_pem(&read(name)?)
                .map(|c| c.der().to_vec())
                .map_err(|e| CaError::Material(format!("{name}: {e}")))
        };
        Self::from_parts(&pem_der(INTERMEDIATE_CERT)?, &pem_der(ROOT_CERT)?, signer)
    }

    /// The issuing (intermediate) certificate.
    pub fn intermediate(&self) -> &Certificate {
        &self.intermediate
    }

    /// The root certificate.
    pub fn root(&self) -> &Certificate {
        &self.root
    }

    /// PEM chain from the intermediate to the root (Fulcio's trust bundle order).
    pub fn chain_pem(&self) -> Vec<String> {
        vec![self.intermediate.to_pem(), self.root.to_pem()]
    }

    /// Whether the issuing key still signs, for a readiness check: a probe message signed by
    /// the signer and verified with the intermediate certificate's public key (a key file and
    /// a certificate that no longer match, or a signer that fails, are reported).
    pub fn probe(&self) -> Result<(), CaError> {
        let msg = b"signet readiness probe";
        let sig = rcgen::SigningKey::sign(&self.signer, msg)
            .map_err(|e| CaError::Material(format!("the CA key cannot sign: {e}")))?;
        self.intermediate
            .public_key()
            .map_err(|e| CaError::Material(format!("intermediate certificate: {e}")))?
            .verify(msg, &sig)
            .map_err(|e| {
                CaError::Material(format!(
                    "the CA key's signature does not verify with the intermediate certificate: {e}"
                ))
            })
    }
}

fn distinguished_name(c: &Certificate) -> Result<DistinguishedName, CaError> {
    // Re-create the subject attribute by attribute, in order (our CAs only use O and CN,
    // UTF8String, as `signet init` writes them).
    let mut dn = DistinguishedName::new();
    let attrs = c
        .subject_attributes()
        .map_err(|e| CaError::Material(format!("CA subject: {e}")))?;
    for a in attrs {
        match a {
            NameAttribute::Organization(v) => dn.push(DnType::OrganizationName, v),
            NameAttribute::CommonName(v) => dn.push(DnType::CommonName, v),
            NameAttribute::Other(oid) => {
                return Err(CaError::Material(format!(
                    "unsupported CA subject attribute {oid} (only O and CN)"
                )));
            }
        }
    }
    Ok(dn)
}

/// Writes a CA file atomically through the one key-file writer: private keys 0600 from creation,
/// certificates 0644.
fn write_file(path: &Path, data: &[u8], private: bool) -> Result<(), CaError> {
    let mode = if private {
        signet_crypto::PRIVATE_KEY_MODE
    } else {
        0o644
    };
    signet_crypto::write_file_atomically(path, data, mode).map_err(io(path))
}

/// Reads a PEM private key file through the one loader, [`signet_crypto::read_private_key_file`].
pub fn read_private_pem(path: &Path) -> Result<String, CaError> {
    let der =
        signet_crypto::read_private_key_file(path).map_err(|e| CaError::Material(e.to_string()))?;
    String::from_utf8(der).map_err(|e| CaError::Material(format!("{}: {e}", path.display())))
}

/// Refuses a private key file that group or others can read (the one loader's check,
/// [`signet_crypto::check_private_key_file`]).
pub fn check_private(path: &Path) -> Result<(), CaError> {
    signet_crypto::check_private_key_file(path).map_err(|e| CaError::Material(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A signer that knows its public key but cannot sign (an HSM gone away).
    struct Unreachable(FileSigner);

    impl PublicKeyData for Unreachable {
        fn der_bytes(&self) -> &[u8] {
            self.0.der_bytes()
        }
        fn algorithm(&self) -> &'static SignatureAlgorithm {
            self.0.algorithm()
        }
    }

    impl rcgen::SigningKey for Unreachable {
        fn sign(&self, _: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
            Err(rcgen::Error::RemoteKeyError)
        }
    }

    /// The readiness probe passes for a working key and names a key that cannot sign.
    #[test]
    fn the_probe_signs_and_verifies() {
        let now = time::OffsetDateTime::now_utc();
        let (chain, _, ik) = CaChain::generate("signet test", now).unwrap();
        chain.probe().unwrap();
        let (i, r) = (
            chain.intermediate().der().to_vec(),
            chain.root().der().to_vec(),
        );
        let broken = CaChain::from_parts(&i, &r, Arc::new(Unreachable(ik))).unwrap();
        let e = broken.probe().unwrap_err().to_string();
        assert!(e.contains("the CA key cannot sign"), "{e}");
    }

    /// A temporary file left by an interrupted earlier write (a key's, 0600) must not lend its
    /// mode to the file written next: the certificates come out with the certificate mode (as a
    /// new 0644 file does under this umask), the keys 0600.
    #[cfg(unix)]
    #[test]
    fn a_stale_temporary_file_does_not_lend_its_mode() {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let dir = std::env::temp_dir().join(format!("signet-ca-stale-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        for stale in ["root.tmp", "intermediate.tmp"] {
            let p = dir.join(stale);
            std::fs::write(&p, b"stale").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let probe = dir.join("probe");
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&probe)
            .unwrap();
        let cert_mode = mode(&probe);
        let now = time::OffsetDateTime::now_utc();
        let (chain, rk, ik) = CaChain::generate("signet test", now).unwrap();
        chain.write(&dir, &rk, &ik).unwrap();
        for cert in [ROOT_CERT, INTERMEDIATE_CERT] {
            assert_eq!(mode(&dir.join(cert)), cert_mode, "{cert}");
        }
        for key in [ROOT_KEY, INTERMEDIATE_KEY] {
            assert_eq!(mode(&dir.join(key)), 0o600, "{key}");
        }
        CaChain::load(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_reissued_intermediate_chains_to_the_same_root() {
        let now = time::OffsetDateTime::now_utc();
        let (chain, rk, _) = CaChain::generate("signet test", now).unwrap();
        let (next, nk) = chain.reissue(&rk, now).unwrap();
        assert_eq!(next.root().der(), chain.root().der());
        assert_ne!(
            next.intermediate().spki_der(),
            chain.intermediate().spki_der()
        );
        assert_ne!(
            nk.subject_public_key_info(),
            chain.intermediate().spki_der()
        );
        next.intermediate().verify_signed_by(chain.root()).unwrap();
        assert!(next.intermediate().not_after().0 <= chain.root().not_after().0);
        assert_eq!(
            next.intermediate().subject_string(),
            format!("CN=signet test intermediate {},O=signet test", now.date())
        );
        // Only the root's own key may make it.
        let (other, other_rk, _) = CaChain::generate("other", now).unwrap();
        let e = chain.reissue(&other_rk, now).err().unwrap();
        assert_eq!(
            e.to_string(),
            "the root key does not match the root certificate"
        );
        drop(other);
    }

    #[test]
    fn generated_chain_loads_back_and_checks_permissions() {
        let dir = std::env::temp_dir().join(format!("signet-ca-{}", rand::random::<u64>()));
        let now = time::OffsetDateTime::now_utc();
        let (chain, rk, ik) = CaChain::generate("signet test", now).unwrap();
        assert!(chain.intermediate().is_ca());
        chain.write(&dir, &rk, &ik).unwrap();
        let loaded = CaChain::load(&dir).unwrap();
        assert_eq!(loaded.intermediate().der(), chain.intermediate().der());
        assert_eq!(
            loaded.root().subject_string(),
            "CN=signet test root,O=signet test"
        );
        // A leaf from the loaded chain names its issuer with exactly the intermediate's
        // subject bytes (the name is rebuilt attribute by attribute from the certificate).
        let key = signet_crypto::SigningKey::generate_p256().unwrap();
        let identity = crate::Identity {
            san: crate::LeafSan::Email("a@example.com".into()),
            extensions: vec![],
        };
        let pending = loaded
            .precertificate(key.public_key().spki_der(), &identity, now)
            .unwrap();
        let name = |der: &[u8], issuer: bool| {
            use der::{Decode, Encode};
            let c = x509_cert::Certificate::from_der(der).unwrap();
            let tbs = c.tbs_certificate();
            let n = if issuer { tbs.issuer() } else { tbs.subject() };
            n.to_der().unwrap()
        };
        assert_eq!(
            name(&loaded.ct_chain(&pending)[0], true),
            name(chain.intermediate().der(), false)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Each private key of the CA directory, at each group/world mode, is refused with
            // the fix in the message; back at 0600 the CA loads.
            for name in [INTERMEDIATE_KEY, ROOT_KEY] {
                let p = dir.join(name);
                for mode in [0o644, 0o640, 0o604] {
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
                    let e = CaChain::load(&dir)
                        .err()
                        .expect("exposed key must be refused");
                    assert!(
                        e.to_string()
                            .contains(&format!("chmod 600 {}", p.display())),
                        "{name} {mode:o}: {e}"
                    );
                }
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
                CaChain::load(&dir).unwrap();
            }
        }
        // A certificate file over its limit is refused, naming it (grown sparse, then restored).
        for name in [INTERMEDIATE_CERT, ROOT_CERT] {
            let p = dir.join(name);
            let original = std::fs::read(&p).unwrap();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .unwrap()
                .set_len(CA_CERTIFICATE_FILE.max_bytes + 1)
                .unwrap();
            let e = CaChain::load(&dir).err().expect("oversized certificate");
            assert_eq!(
                e.to_string(),
                format!(
                    "CA certificate {}: larger than the CA certificate limit of 1 MiB",
                    p.display()
                )
            );
            std::fs::write(&p, original).unwrap();
            CaChain::load(&dir).unwrap();
        }
        // A key that does not match the intermediate is refused.
        let other = FileSigner::generate_p384().unwrap();
        assert!(
            CaChain::from_parts(
                chain.intermediate().der(),
                chain.root().der(),
                Arc::new(other)
            )
            .is_err()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
