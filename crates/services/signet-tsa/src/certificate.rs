//! The TSA certificate and its files.
//!
//! The certificate is issued directly by the instance's CA root (`root → TSA`): the CA's
//! intermediate is restricted to EKU codeSigning, and verifiers chain EKUs (Go's x509, and
//! timestamp-authority's `--enforce-intermediate-eku`), so a timeStamping leaf under it would be
//! refused. The leaf follows timestamp-authority's profile (`pkg/x509`, the public-good TSA):
//! one **critical** EKU timeStamping, critical KU digitalSignature, CA:FALSE.
//!
//! Files in the TSA directory (`DATA/tsa/`): `tsa.key` (PKCS#8 PEM, 0600) and `chain.pem`
//! (leaf first, root last).

use std::path::Path;
use std::sync::Arc;

use rcgen::{CertificateParams, CustomExtension, DistinguishedName, DnType, IsCa, KeyUsagePurpose};
use signet_ca::{CaChain, CaSigner, FileSigner};
use signet_types::UnixSeconds;
use signet_types::limits::FileLimit;

use crate::{TimestampAuthority, TsaError};

/// The TSA key file.
pub const KEY_FILE: &str = "tsa.key";
/// The TSA chain file (PEM, leaf first, root last).
pub const CHAIN_FILE: &str = "chain.pem";
/// The most bytes read of a chain file.
pub const CHAIN_FILE_LIMIT: FileLimit = FileLimit::new(
    "TSA certificate chain",
    signet_types::limits::MAX_MATERIAL_FILE,
);

/// id-ce-extKeyUsage.
const ID_CE_EXT_KEY_USAGE: [u64; 4] = [2, 5, 29, 37];

/// Years a TSA certificate is valid (never past the root): it verifies tokens at their genTime,
/// so it may outlive its signing period, as the public-good TSA's ten-year certificate does.
const YEARS: i64 = 10;

/// Issues a TSA certificate for `tsa_key` under `ca`'s root (whose key is `root_key`), named
/// `<org> timestamp authority`; returns the chain (TSA certificate, root) as DER.
pub fn issue(
    ca: &CaChain,
    root_key: &FileSigner,
    tsa_key: &impl rcgen::PublicKeyData,
    org: &str,
    now: time::OffsetDateTime,
) -> Result<Vec<Vec<u8>>, TsaError> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, org);
    dn.push(DnType::CommonName, format!("{org} timestamp authority"));
    p.distinguished_name = dn;
    p.not_before = now;
    p.not_after = YEARS
        .checked_mul(365 * 86_400)
        .and_then(|s| now.checked_add(time::Duration::seconds(s)))
        .ok_or_else(|| TsaError::Material(format!("{now} + {YEARS} years is out of range")))?;
    p.is_ca = IsCa::ExplicitNoCa;
    // rcgen marks KeyUsage critical, but not ExtendedKeyUsage: written by hand, critical.
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let eku = {
        use der::Encode;
        let oid = const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
        x509_cert::ext::pkix::ExtendedKeyUsage(vec![oid])
            .to_der()
            .map_err(TsaError::encode)?
    };
    let mut ext = CustomExtension::from_oid_content(&ID_CE_EXT_KEY_USAGE, eku);
    ext.set_criticality(true);
    p.custom_extensions.push(ext);
    let leaf = ca.sign_under_root(root_key, p, tsa_key)?;
    Ok(vec![leaf, ca.root().der().to_vec()])
}

/// Creates a TSA in `dir` (a new P-256 key, 0600, and its certificate under `ca`'s root) and
/// returns it.
pub fn create(
    dir: &Path,
    ca: &CaChain,
    root_key: &FileSigner,
    org: &str,
    now: time::OffsetDateTime,
) -> Result<TimestampAuthority, TsaError> {
    let key = FileSigner::generate_p256()?;
    let key_pem = key.to_pem();
    let tsa = create_with_signer(dir, ca, root_key, org, now, Arc::new(key))?;
    let key_path = dir.join(KEY_FILE);
    signet_crypto::write_file_atomically(
        &key_path,
        key_pem.as_bytes(),
        signet_crypto::PRIVATE_KEY_MODE,
    )
    .map_err(|e| TsaError::Material(format!("{}: {e}", key_path.display())))?;
    Ok(tsa)
}

/// Creates a TSA in `dir` for the key `signer` holds (an HSM key; no key file is written): its
/// certificate under `ca`'s root, in `dir/chain.pem`.
pub fn create_with_signer<S: CaSigner + 'static>(
    dir: &Path,
    ca: &CaChain,
    root_key: &FileSigner,
    org: &str,
    now: time::OffsetDateTime,
    signer: Arc<S>,
) -> Result<TimestampAuthority, TsaError> {
    let chain = issue(ca, root_key, signer.as_ref(), org, now)?;
    let pem: String = chain
        .iter()
        .map(|c| signet_x509::Certificate::from_der(c).map(|c| c.to_pem()))
        .collect::<Result<_, _>>()
        .map_err(|e| TsaError::Material(e.to_string()))?;
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |e: std::io::Error| TsaError::Material(format!("{p}: {e}"))
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let chain_path = dir.join(CHAIN_FILE);
    signet_crypto::write_file_atomically(&chain_path, pem.as_bytes(), 0o644)
        .map_err(io(&chain_path))?;
    TimestampAuthority::new(&chain, signer, UnixSeconds(now.unix_timestamp()))
}

/// Reads a chain file (`dir/chain.pem`): DER certificates, leaf first.
pub fn read_chain(dir: &Path) -> Result<Vec<Vec<u8>>, TsaError> {
    let p = dir.join(CHAIN_FILE);
    let text = signet_crypto::read_capped_string(&p, CHAIN_FILE_LIMIT)
        .map_err(|e| TsaError::Material(e.to_string()))?;
    let blocks =
        pem::parse_many(&text).map_err(|e| TsaError::Material(format!("{}: {e}", p.display())))?;
    if blocks.is_empty() {
        return Err(TsaError::Material(format!(
            "{}: no certificates",
            p.display()
        )));
    }
    Ok(blocks.into_iter().map(pem::Pem::into_contents).collect())
}

/// Loads the TSA in `dir` (the key file must be 0600), checked at `now` as
/// [`TimestampAuthority::new`] does.
pub fn load(dir: &Path, now: UnixSeconds) -> Result<TimestampAuthority, TsaError> {
    let pem = signet_ca::keys::read_private_pem(&dir.join(KEY_FILE))?;
    let key = FileSigner::from_pem(&pem)?;
    load_with_signer(dir, now, Arc::new(key))
}

/// Loads the TSA in `dir` whose key `signer` holds (an HSM key; `dir` has no key file).
pub fn load_with_signer(
    dir: &Path,
    now: UnixSeconds,
    signer: Arc<dyn CaSigner>,
) -> Result<TimestampAuthority, TsaError> {
    TimestampAuthority::new(&read_chain(dir)?, signer, now)
}
