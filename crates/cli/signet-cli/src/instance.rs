//! One signet instance on one data directory: its keys, its CA, and the trust files that
//! describe it (`trusted_root.json`, `signing_config.json`, `trust_config.json`).
//!
//! Layout of the data directory:
//! * `ca/` — `root.pem`, `intermediate.pem`, `intermediate.key` and `root.key` (0600);
//! * `ct/` — the CT log (key, database, recorded checkpoint); `log/` — the transparency log
//!   (`log.key`, `log.sqlite`, `checkpoint`); after rotations, `log-N/` and `ct-N/` hold the
//!   newer ones and `ca/retired/N/` the retired CA certificates, as `rotations.json` records;
//! * `log-v2/` — the Rekor v2 (tile-based) log, its own tree and key, served under
//!   [`V2_PATH`] (`signet server`);
//! * with `--database postgres://…`, the logs' entries, hashes and search keys are in that
//!   database instead of `log.sqlite` files, each log under its directory's name (`log`,
//!   `log-v2`, `ct`, …); keys and recorded checkpoints stay here;
//! * `lock` — held by the process using the directory;
//! * `tsa/` — the timestamp authority: `tsa.key` (0600) and `chain.pem` (its certificate, issued
//!   by the CA root, then the root); retired chains in `tsa/retired/N/`;
//! * `oidc/` — the development issuer's key and URL (only with `--dev-oidc`);
//! * `trusted_root.json`, `signing_config.json`, `trust_config.json` — written on every start;
//! * `tuf/` — the TUF repository that publishes them (`crate::tuf_serve`).

use crate::hsm_cmd::HsmKeys;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use signet_ca::CaChain;
use signet_ct::CtLog;
use signet_log::{Backend, LogConfig, PgDatabase, ShardedLog, Store, SystemClock};
use signet_release::write_atomic;
use signet_trust::{
    AuthoritySubject, CertificateAuthority, Service, SigningConfig, TimeRange,
    TransparencyLog as TrustedLog, TrustedKey, TrustedRoot,
};
use signet_types::UnixSeconds;

use crate::rotate_cmd::{Rotations, dir_in};
use crate::trust_cfg::{SIGNING_CONFIG, TRUST_CONFIG, TRUSTED_ROOT};

/// The active transparency log's directory before any rotation.
pub const LOG_DIR: &str = "log";
/// The active CT log's directory before any rotation.
pub const CT_DIR: &str = "ct";

/// The open services of an instance.
pub struct Instance {
    pub ca: CaChain,
    pub ct: CtLog,
    /// The transparency log: the active tree and those rotations froze.
    pub log: ShardedLog<Store>,
    /// When each frozen tree's key stopped signing (one per inactive shard, oldest first).
    log_ends: Vec<i64>,
    /// Retired CT logs: (key, log ID, start, end).
    retired_ct: Vec<(signet_crypto::PublicKey, Vec<u8>, i64, i64)>,
    /// Retired CA chains: (intermediate, root, end).
    retired_ca: Vec<(signet_x509::Certificate, signet_x509::Certificate, i64)>,
    /// The timestamp authority (none while the CA root key is kept off line).
    pub tsa: Option<signet_tsa::TimestampAuthority>,
    /// Retired timestamp authorities: (chain, end).
    retired_tsa: Vec<(Vec<signet_x509::Certificate>, i64)>,
}

/// The timestamp authority's directory.
pub const TSA_DIR: &str = "tsa";

/// The URL of the timestamp authority of the instance at `url`.
pub fn tsa_url(url: &str) -> String {
    format!("{}/api/v1/timestamp", url.trim_end_matches('/'))
}

/// Loads the timestamp authority in `DATA/tsa`, or creates it (a new key and a certificate
/// from the CA root, whose key `ca/root.key` must then be here; without it the instance runs
/// without a TSA, with a warning). Also reads the retired TSA chains `rot` records.
#[allow(clippy::type_complexity)]
fn open_tsa(
    data_dir: &Path,
    ca: &CaChain,
    rot: &Rotations,
    hsm_key: Option<&signet_crypto::SigningKey>,
) -> Result<(
    Option<signet_tsa::TimestampAuthority>,
    Vec<(Vec<signet_x509::Certificate>, i64)>,
)> {
    let dir = data_dir.join(TSA_DIR);
    let now = time::OffsetDateTime::now_utc();
    let tsa = if let Some(key) = hsm_key {
        let signer = Arc::new(signet_ca::ExternalCaSigner::new(key.clone()));
        if dir.join(signet_tsa::certificate::KEY_FILE).exists() {
            anyhow::bail!(
                "--tsa-key names an HSM key, but this TSA's key is the file {}",
                dir.join(signet_tsa::certificate::KEY_FILE).display()
            );
        }
        if dir.join(signet_tsa::certificate::CHAIN_FILE).exists() {
            Some(
                signet_tsa::certificate::load_with_signer(
                    &dir,
                    UnixSeconds(now.unix_timestamp()),
                    signer as Arc<dyn signet_ca::CaSigner>,
                )
                .context("loading the timestamp authority with the HSM key (--tsa-key)")?,
            )
        } else {
            let root_key = data_dir.join("ca").join(signet_ca::keys::ROOT_KEY);
            let root_key =
                signet_ca::FileSigner::from_pem(&signet_ca::keys::read_private_pem(&root_key)?)
                    .context("a new TSA certificate needs the CA root key")?;
            let org = authority_subject(ca.root()).organization;
            let tsa =
                signet_tsa::certificate::create_with_signer(&dir, ca, &root_key, &org, now, signer)
                    .context("creating the timestamp authority for the HSM key")?;
            eprintln!(
                "created a timestamp authority in {} (key in the HSM)",
                dir.display()
            );
            Some(tsa)
        }
    } else if dir.join(signet_tsa::certificate::CHAIN_FILE).exists()
        && !dir.join(signet_tsa::certificate::KEY_FILE).exists()
    {
        anyhow::bail!(
            "{} exists but its key {} does not: the TSA's key is held outside the data \
             directory (an HSM: give --tsa-key pkcs11:…)",
            dir.join(signet_tsa::certificate::CHAIN_FILE).display(),
            dir.join(signet_tsa::certificate::KEY_FILE).display()
        );
    } else if dir.join(signet_tsa::certificate::KEY_FILE).exists() {
        Some(
            signet_tsa::certificate::load(&dir, UnixSeconds(now.unix_timestamp()))
                .context("loading the timestamp authority")?,
        )
    } else {
        let root_key = data_dir.join("ca").join(signet_ca::keys::ROOT_KEY);
        if root_key.exists() {
            let root_key =
                signet_ca::FileSigner::from_pem(&signet_ca::keys::read_private_pem(&root_key)?)?;
            let org = authority_subject(ca.root()).organization;
            let tsa = signet_tsa::certificate::create(&dir, ca, &root_key, &org, now)
                .context("creating the timestamp authority")?;
            eprintln!("created a timestamp authority in {}", dir.display());
            Some(tsa)
        } else {
            eprintln!(
                "WARNING: no timestamp authority: creating one needs the CA root key {} (kept \
                 off line?); put it back and restart to add one",
                root_key.display()
            );
            None
        }
    };
    let mut retired = Vec::new();
    for r in &rot.tsa.retired {
        let chain = signet_tsa::certificate::read_chain(&dir_in(data_dir, &r.dir)?)?
            .iter()
            .map(|c| signet_x509::Certificate::from_der(c))
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("retired TSA chain in {}", r.dir))?;
        retired.push((chain, r.until));
    }
    Ok((tsa, retired))
}

/// Retires the timestamp authority (its chain copied into `keep`) for a new key and certificate
/// from the CA root (its key `ca/root.key` must be here). Returns what happened.
pub fn rotate_tsa(
    data_dir: &Path,
    inst: &Instance,
    keep: &Path,
    now: time::OffsetDateTime,
) -> Result<String> {
    let Some(old) = &inst.tsa else {
        anyhow::bail!(
            "this instance runs no timestamp authority, so there is no TSA key to rotate"
        );
    };
    let p = data_dir.join("ca").join(signet_ca::keys::ROOT_KEY);
    if !p.exists() {
        anyhow::bail!(
            "the CA root key {} is not here (kept off line?): put it back for the rotation",
            p.display()
        );
    }
    let root_key = signet_ca::FileSigner::from_pem(&signet_ca::keys::read_private_pem(&p)?)?;
    write_atomic(
        &keep.join(signet_tsa::certificate::CHAIN_FILE),
        old.chain_pem().as_bytes(),
    )?;
    let org = authority_subject(inst.ca.root()).organization;
    let new =
        signet_tsa::certificate::create(&data_dir.join(TSA_DIR), &inst.ca, &root_key, &org, now)
            .context("creating the new timestamp authority")?;
    let leaf = |t: &signet_tsa::TimestampAuthority| {
        t.chain()
            .first()
            .map(|c| c.serial_hex())
            .unwrap_or_default()
    };
    Ok(format!(
        "timestamps are now signed by a new TSA key (certificate serial {}); the retired chain \
         (serial {}) is kept in {}",
        leaf(&new),
        leaf(old),
        keep.display()
    ))
}

/// The trusted root's timestamp authorities: the retired ones with the end of their validity,
/// then the active one. Each chain includes the TSA certificate (sigstore-go needs it to verify
/// tokens without certificates; sigstore-python skips chains shorter than two).
fn tsa_authorities(inst: &Instance, url: &str) -> Vec<CertificateAuthority> {
    let entry = |chain: &[signet_x509::Certificate], end: Option<i64>| CertificateAuthority {
        subject: chain.first().map(authority_subject),
        uri: tsa_url(url),
        chain: chain.iter().map(|c| c.der().to_vec()).collect(),
        valid_for: TimeRange {
            start: chain.first().map(signet_x509::Certificate::not_before),
            end: end.map(UnixSeconds),
        },
    };
    let mut out: Vec<_> = inst
        .retired_tsa
        .iter()
        .map(|(chain, end)| entry(chain, Some(*end)))
        .collect();
    if let Some(t) = &inst.tsa {
        out.push(entry(t.chain(), None));
    }
    out
}

/// `signing` with this instance's timestamp authority, when it runs one: `tsaUrls` and
/// `tsaConfig` `{"selector": "ANY"}` (only then: see [`signing_config`]).
pub fn with_tsa(mut signing: SigningConfig, inst: &Instance, url: &str) -> SigningConfig {
    if let Some(t) = &inst.tsa {
        let since = t.chain().first().map_or(0, |c| c.not_before().0);
        signing.tsa_urls = vec![Service {
            url: tsa_url(url),
            major_api_version: 1,
            operator: "signet".into(),
            valid_for: serde_json::json!({"start": rfc3339(since)}),
        }];
        signing.tsa_config = serde_json::json!({"selector": "ANY"});
    }
    signing
}

/// Locks the data directory for this process (`DATA/lock`, released when the returned file is
/// dropped or the process ends): one `signet server` per data directory, and no rotation while
/// it runs.
pub fn lock(data_dir: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("{}", data_dir.display()))?;
    let p = data_dir.join("lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .with_context(|| format!("{}", p.display()))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "{} is in use by another signet process (a running `signet server`?): stop it first",
            data_dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(anyhow::Error::new(e).context(format!("locking {}", p.display())))
        }
    }
}

/// Loads, without creating or changing anything, the keys and certificates `data_dir` holds:
/// the CA, the timestamp authority and every log key of the current and retired trees
/// (`signet server --check-config`).
pub fn check_keys(data_dir: &Path) -> Result<()> {
    let rot = Rotations::read(data_dir)?;
    let ca_dir = data_dir.join("ca");
    if ca_dir.join(signet_ca::keys::INTERMEDIATE_KEY).exists() {
        CaChain::load(&ca_dir)
            .with_context(|| format!("loading the CA in {}", ca_dir.display()))?;
    }
    let tsa_dir = data_dir.join(TSA_DIR);
    if tsa_dir.join(signet_tsa::certificate::KEY_FILE).exists() {
        let now = UnixSeconds(time::OffsetDateTime::now_utc().unix_timestamp());
        signet_tsa::certificate::load(&tsa_dir, now).context("loading the timestamp authority")?;
    }
    let mut dirs = vec![
        rot.log.active_dir(data_dir, LOG_DIR)?,
        rot.ct.active_dir(data_dir, CT_DIR)?,
        data_dir.join(LOG_V2_DIR),
    ];
    for r in rot.log.retired.iter().chain(&rot.ct.retired) {
        dirs.push(dir_in(data_dir, &r.dir)?);
    }
    for dir in dirs {
        let key = dir.join(signet_log::KEY_FILE);
        if key.exists() {
            let der = signet_crypto::read_private_key_file(&key)?;
            signet_crypto::SigningKey::from_pkcs8_der(&der)
                .with_context(|| format!("log key {}", key.display()))?;
        }
    }
    Ok(())
}

/// Creates the CA on first use (or loads it), and opens the CT log and the transparency log
/// (every tree rotations made: see [`crate::rotate_cmd`]), their entries in `backend`.
pub async fn open(
    data_dir: &Path,
    org: &str,
    log_host: &str,
    backend: &Backend,
    keys: &HsmKeys,
) -> Result<Instance> {
    let rot = Rotations::read(data_dir)?;
    let ca_dir = data_dir.join("ca");
    let int_key = ca_dir.join(signet_ca::keys::INTERMEDIATE_KEY);
    let int_cert = ca_dir.join(signet_ca::keys::INTERMEDIATE_CERT);
    let ca = if let Some(key) = &keys.ca {
        let signer = Arc::new(signet_ca::ExternalCaSigner::new(key.clone()));
        if int_cert.exists() {
            if int_key.exists() {
                anyhow::bail!(
                    "--ca-key names an HSM key, but this CA's issuing key is the file {}: an \
                     instance's CA key cannot move into an HSM this way (start a new data \
                     directory with --ca-key)",
                    int_key.display()
                );
            }
            CaChain::load_with_signer(&ca_dir, signer)
                .context("loading the CA with the HSM key (--ca-key)")?
        } else {
            let (ca, root_key) =
                CaChain::generate_for_signer(org, time::OffsetDateTime::now_utc(), signer)
                    .context("creating the CA for the HSM key")?;
            ca.write_without_issuing_key(&ca_dir, &root_key)
                .context("writing the CA")?;
            eprintln!(
                "created a new CA in {} (issuing key in the HSM)",
                ca_dir.display()
            );
            ca
        }
    } else if int_key.exists() {
        CaChain::load(&ca_dir).context("loading the CA")?
    } else if int_cert.exists() {
        anyhow::bail!(
            "{} exists but its key {} does not: the CA's issuing key is held outside the data \
             directory (an HSM: give --ca-key pkcs11:…)",
            int_cert.display(),
            int_key.display()
        );
    } else {
        let (ca, root_key, int_key) =
            CaChain::generate(org, time::OffsetDateTime::now_utc()).context("creating the CA")?;
        ca.write(&ca_dir, &root_key, &int_key)
            .context("writing the CA")?;
        eprintln!("created a new CA in {}", ca_dir.display());
        ca
    };
    let mut retired_ca = Vec::new();
    for r in &rot.ca.retired {
        let dir = dir_in(data_dir, &r.dir)?;
        let read = |name: &str| -> Result<signet_x509::Certificate> {
            let p = dir.join(name);
            let pem = signet_crypto::read_capped_string(&p, signet_ca::keys::CA_CERTIFICATE_FILE)?;
            signet_x509::Certificate::from_pem(&pem).with_context(|| format!("{}", p.display()))
        };
        retired_ca.push((
            read(signet_ca::keys::INTERMEDIATE_CERT)?,
            read(signet_ca::keys::ROOT_CERT)?,
            r.until,
        ));
    }
    let (tsa, retired_tsa) = open_tsa(data_dir, &ca, &rot, keys.tsa.as_ref())?;
    let ct = open_ct(
        backend,
        &rot.ct.active_dir(data_dir, CT_DIR)?,
        &ca,
        keys.ct.clone(),
    )
    .await?;
    let mut retired_ct = Vec::new();
    for r in &rot.ct.retired {
        let old = open_ct(backend, &dir_in(data_dir, &r.dir)?, &ca, None).await?;
        retired_ct.push((
            old.public_key().clone(),
            old.log_id().as_bytes().to_vec(),
            old.created(),
            r.until,
        ));
    }
    let frozen = rot
        .log
        .retired
        .iter()
        .map(|r| dir_in(data_dir, &r.dir))
        .collect::<Result<Vec<_>>>()?;
    let log = ShardedLog::open(
        &frozen,
        &rot.log.active_dir(data_dir, LOG_DIR)?,
        &LogConfig::new(log_host).with_key(keys.log.clone()),
        Arc::new(SystemClock),
        backend,
    )
    .await
    .context("starting the transparency log")?;
    for ((shard, r), dir) in log.inactive().iter().zip(&rot.log.retired).zip(&frozen) {
        let size = shard.head_state().0;
        if Some(size) != r.size {
            anyhow::bail!(
                "the frozen log tree in {} holds {size} entries, but {} recorded {} when it \
                 was frozen: it was written to or replaced; restore it from a backup",
                dir.display(),
                crate::rotate_cmd::ROTATIONS,
                r.size.map_or("no size".into(), |n| format!("{n} entries"))
            );
        }
    }
    Ok(Instance {
        ca,
        ct,
        log,
        log_ends: rot.log.retired.iter().map(|r| r.until).collect(),
        retired_ct,
        retired_ca,
        tsa,
        retired_tsa,
    })
}

/// Opens (or creates) the CT log in `dir` (its entries in `backend`), accepting chains to
/// `ca`'s root.
pub async fn open_ct(
    backend: &Backend,
    dir: &Path,
    ca: &CaChain,
    key: Option<signet_crypto::SigningKey>,
) -> Result<CtLog> {
    CtLog::open_with_key(
        backend,
        dir,
        vec![ca.root().clone()],
        Arc::new(SystemClock),
        key,
    )
    .await
    .with_context(|| format!("opening the CT log in {}", dir.display()))
}

/// Retires `ca` (its certificates copied into `keep`) for a new intermediate under the same
/// root (its key `ca/root.key` must be here), or with `new_root` a new root and intermediate;
/// writes the new CA into `DATA/ca`. Returns what happened, for the operator.
pub fn rotate_ca(
    data_dir: &Path,
    ca: &CaChain,
    keep: &Path,
    new_root: bool,
    now: time::OffsetDateTime,
) -> Result<String> {
    use signet_ca::keys::{FileSigner, INTERMEDIATE_CERT, ROOT_CERT, ROOT_KEY};
    let ca_dir = data_dir.join("ca");
    let (next, root_key, int_key) = if new_root {
        let org = authority_subject(ca.root()).organization;
        let org = if org.is_empty() { "signet".into() } else { org };
        CaChain::generate(&org, now).context("creating the new CA")?
    } else {
        let p = ca_dir.join(ROOT_KEY);
        if !p.exists() {
            anyhow::bail!(
                "the CA root key {} is not here (kept off line?): put it back for the rotation, \
                 or rotate to a new root with --new-root",
                p.display()
            );
        }
        let root_key = FileSigner::from_pem(&signet_ca::keys::read_private_pem(&p)?)?;
        let (next, int_key) = ca.reissue(&root_key, now)?;
        (next, root_key, int_key)
    };
    write_atomic(
        &keep.join(INTERMEDIATE_CERT),
        ca.intermediate().to_pem().as_bytes(),
    )?;
    write_atomic(&keep.join(ROOT_CERT), ca.root().to_pem().as_bytes())?;
    next.write(&ca_dir, &root_key, &int_key)
        .context("writing the new CA")?;
    Ok(format!(
        "certificates are now issued by {}{}; the retired chain is kept in {}",
        next.intermediate().subject_string(),
        if new_root {
            format!(" under a new root {}", next.root().subject_string())
        } else {
            String::new()
        },
        keep.display()
    ))
}

fn rfc3339(t: i64) -> String {
    signet_trust::format_time(signet_types::UnixSeconds(t))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// A log (transparency or CT) of this instance at `url` in the trusted root.
fn trusted_log(
    url: &str,
    key: &signet_crypto::PublicKey,
    log_id: Vec<u8>,
    start: i64,
    end: Option<i64>,
) -> TrustedLog {
    TrustedLog {
        base_url: url.to_string(),
        log_id,
        key: TrustedKey::Usable(key.clone()),
        key_details: "PKIX_ECDSA_P256_SHA_256".into(),
        valid_for: TimeRange {
            start: Some(UnixSeconds(start)),
            end: end.map(UnixSeconds),
        },
    }
}

/// The trusted root describing this instance at `url`: every key it signed with, the retired
/// ones with the end of their validity.
pub fn trusted_root(inst: &Instance, url: &str) -> Result<TrustedRoot> {
    let mut tlogs = Vec::new();
    for (i, shard) in inst.log.shards().enumerate() {
        let key = shard.public_key();
        tlogs.push(trusted_log(
            url,
            key,
            key.key_id().as_bytes().to_vec(),
            shard.created(),
            inst.log_ends.get(i).copied(),
        ));
    }
    let mut ctlogs: Vec<TrustedLog> = inst
        .retired_ct
        .iter()
        .map(|(key, id, start, end)| trusted_log(url, key, id.clone(), *start, Some(*end)))
        .collect();
    ctlogs.push(trusted_log(
        url,
        inst.ct.public_key(),
        inst.ct.log_id().as_bytes().to_vec(),
        inst.ct.created(),
        None,
    ));
    let authority = |intermediate: &signet_x509::Certificate,
                     root: &signet_x509::Certificate,
                     end: Option<i64>| CertificateAuthority {
        subject: Some(authority_subject(root)),
        uri: url.to_string(),
        chain: vec![intermediate.der().to_vec(), root.der().to_vec()],
        valid_for: TimeRange {
            start: Some(intermediate.not_before()),
            end: end.map(UnixSeconds),
        },
    };
    let mut certificate_authorities: Vec<CertificateAuthority> = inst
        .retired_ca
        .iter()
        .map(|(int, root, end)| authority(int, root, Some(*end)))
        .collect();
    certificate_authorities.push(authority(inst.ca.intermediate(), inst.ca.root(), None));
    Ok(TrustedRoot {
        tlogs,
        ctlogs,
        certificate_authorities,
        timestamp_authorities: tsa_authorities(inst, url),
    })
}

/// When the instance first issued certificates (its oldest CA's start), for the signing config.
pub fn ca_since(inst: &Instance) -> i64 {
    inst.retired_ca
        .first()
        .map_or(inst.ca.intermediate(), |(int, _, _)| int)
        .not_before()
        .0
}

/// The public URL and signing config of the trust files `signet server` (or `signet init`)
/// last wrote in `data_dir`.
pub fn published_trust(data_dir: &Path) -> Result<(String, SigningConfig)> {
    let p = data_dir.join(SIGNING_CONFIG);
    let bytes = std::fs::read(&p).with_context(|| {
        format!(
            "{} is not an initialised signet data directory (no {}): run `signet init` or \
             `signet server` first",
            data_dir.display(),
            p.display()
        )
    })?;
    let signing = SigningConfig::from_json(&bytes).with_context(|| format!("{}", p.display()))?;
    let url = signing
        .ca_urls
        .first()
        .map(|s| s.url.clone())
        .with_context(|| format!("{} names no CA URL", p.display()))?;
    Ok((url, signing))
}

/// The bytes of `trusted_root.json` and `signing_config.json` as written in `data_dir`.
pub fn trust_file_bytes(data_dir: &Path) -> Result<(Vec<u8>, Vec<u8>)> {
    let read = |name: &str| {
        let p = data_dir.join(name);
        std::fs::read(&p).with_context(|| format!("{}", p.display()))
    };
    Ok((read(TRUSTED_ROOT)?, read(SIGNING_CONFIG)?))
}

/// The CA's name in the trusted root: organization and common name of its root certificate
/// (read from the encoded name).
fn authority_subject(root: &signet_x509::Certificate) -> AuthoritySubject {
    let mut s = AuthoritySubject::default();
    for a in root.subject_attributes().unwrap_or_default() {
        match a {
            signet_x509::NameAttribute::Organization(v) => s.organization = v,
            signet_x509::NameAttribute::CommonName(v) => s.common_name = v,
            signet_x509::NameAttribute::Other(_) => {}
        }
    }
    s
}

/// The signing config for this instance at `url` (`oidc_url` when it runs a dev issuer).
///
/// No `tsaConfig`: the instance runs no timestamp authority, and a TSA selector with no TSA
/// makes sigstore-js refuse the whole config (`@sigstore/sign` `bundleBuilderFromSigningConfig`:
/// "No valid TSAs found in signing configuration"); sigstore-python reads an absent selector as
/// "all of the (zero) TSAs".
pub fn signing_config(url: &str, oidc_url: Option<&str>, since: i64) -> SigningConfig {
    let svc = |u: &str| Service {
        url: u.to_string(),
        major_api_version: 1,
        operator: "signet".into(),
        valid_for: serde_json::json!({"start": rfc3339(since)}),
    };
    SigningConfig {
        media_type: signet_trust::SIGNING_CONFIG_MEDIA_TYPE.to_string(),
        ca_urls: vec![svc(url)],
        oidc_urls: oidc_url.map(svc).into_iter().collect(),
        rekor_tlog_urls: vec![svc(url)],
        tsa_urls: vec![],
        rekor_tlog_config: serde_json::json!({"selector": "ANY"}),
        tsa_config: serde_json::Value::Null,
    }
}

/// Writes `trusted_root.json`, `signing_config.json` and `trust_config.json`; returns the
/// path and contents of `trust_config.json` (which the server also serves).
pub fn write_trust_files(
    data_dir: &Path,
    root: &TrustedRoot,
    signing: &SigningConfig,
) -> Result<(PathBuf, String)> {
    let root_json = root.to_json()?;
    let root_value: serde_json::Value = serde_json::from_str(&root_json)?;
    // Through `Value`: keys sorted, the layout these files have always had.
    let signing = serde_json::to_value(signing)?;
    write_atomic(&data_dir.join(TRUSTED_ROOT), root_json.as_bytes())?;
    write_atomic(
        &data_dir.join(SIGNING_CONFIG),
        serde_json::to_string_pretty(&signing)?.as_bytes(),
    )?;
    let client = serde_json::json!({
        "mediaType": crate::trust_cfg::CLIENT_TRUST_CONFIG_MEDIA_TYPE,
        "trustedRoot": root_value,
        "signingConfig": signing,
    });
    let p = data_dir.join(TRUST_CONFIG);
    let client = serde_json::to_string_pretty(&client)?;
    write_atomic(&p, client.as_bytes())?;
    Ok((p, client))
}

/// The development issuer of this data directory (created on first use).
/// Where the development issuer mints GitHub-workflow identities: `<issuer URL>/ci`, a
/// `ci-provider` issuer with Fulcio's `github-workflow` template (Fulcio gives each issuer URL
/// one type; the base URL stays the email issuer).
pub fn dev_ci_issuer_url(issuer_url: &str) -> String {
    format!("{}/ci", issuer_url.trim_end_matches('/'))
}

/// Where the development issuer mints Kubernetes service-account identities: `<issuer URL>/k8s`,
/// a `kubernetes` issuer (SAN `https://kubernetes.io/namespaces/NS/serviceaccounts/SA`).
pub fn dev_k8s_issuer_url(issuer_url: &str) -> String {
    format!("{}/k8s", issuer_url.trim_end_matches('/'))
}

/// Where the development issuer mints SPIFFE identities (JWT-SVID-shaped tokens whose `sub` is
/// a SPIFFE ID in [`DEV_SPIFFE_TRUST_DOMAIN`]): `<issuer URL>/spiffe`, a `spiffe` issuer (SAN =
/// the SPIFFE ID URI).
pub fn dev_spiffe_issuer_url(issuer_url: &str) -> String {
    format!("{}/spiffe", issuer_url.trim_end_matches('/'))
}

/// The trust domain of the development issuer's SPIFFE identities.
pub const DEV_SPIFFE_TRUST_DOMAIN: &str = "signet.test";

pub fn dev_issuer(data_dir: &Path, issuer_url: &str) -> Result<signet_oidc::DevIssuer> {
    let dir = data_dir.join("oidc");
    let key = dir.join("dev-issuer.key");
    let issuer = if key.exists() {
        let pem = signet_ca::keys::read_private_pem(&key)?;
        signet_oidc::DevIssuer::from_pkcs8_pem(issuer_url, &pem)?
    } else {
        let d = signet_oidc::DevIssuer::generate(issuer_url)?;
        std::fs::create_dir_all(&dir)?;
        crate::keyfile::write_new(&key, d.to_pkcs8_pem().as_bytes(), true)?;
        d
    };
    std::fs::write(dir.join("issuer-url"), issuer_url)?;
    Ok(issuer)
}

/// The Rekor v2 log's directory (its own tree and key, beside the v1 log's).
pub const LOG_V2_DIR: &str = "log-v2";
/// Where the Rekor v2 log lives under the public URL: its `baseUrl` in the trusted root and
/// signing config. Its write API is `<baseUrl>/api/v2/log/entries` and its tiles
/// `<baseUrl>/checkpoint`, `<baseUrl>/tile/...`, as clients derive them from a base URL.
pub const V2_PATH: &str = "/rekor-v2";

/// The Rekor v2 log's base URL for an instance at `url`.
pub fn v2_url(url: &str) -> String {
    format!("{}{V2_PATH}", url.trim_end_matches('/'))
}

/// Opens (or creates) the instance's Rekor v2 log in `DATA/log-v2/`, named `host` (its
/// checkpoint origin and key name, the host of its URL), its entries in `backend`.
pub async fn open_v2(
    data_dir: &Path,
    host: &str,
    backend: &Backend,
    key: Option<signet_crypto::SigningKey>,
) -> Result<signet_log::RekorV2Log<Store>> {
    signet_log::RekorV2Log::open_in_with_key(
        backend,
        &data_dir.join(LOG_V2_DIR),
        host,
        Arc::new(SystemClock),
        key,
    )
    .await
    .context("starting the Rekor v2 log")
}

/// Adds the Rekor v2 log, at `url`'s [`V2_PATH`], to `root`'s transparency logs: its log ID is
/// its checkpoint key's C2SP key ID (SHA-256 of the ECDSA key's SPKI).
pub fn add_v2_log(root: &mut TrustedRoot, v2: &signet_log::RekorV2Log<Store>, url: &str) {
    root.tlogs.push(trusted_log(
        &v2_url(url),
        v2.log().public_key(),
        v2.log_id().as_bytes().to_vec(),
        v2.log().created(),
        None,
    ));
}

/// Makes `signing` advertise the Rekor v2 log (`majorApiVersion` 2) instead of the v1 log.
pub fn advertise_v2(signing: &mut SigningConfig, url: &str) {
    for s in &mut signing.rekor_tlog_urls {
        s.url = v2_url(url);
        s.major_api_version = 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_config_names_no_tsa_selector_without_a_tsa() {
        let cfg = signing_config(
            "http://127.0.0.1:3000",
            Some("http://127.0.0.1:3000/oidc"),
            0,
        );
        let cfg = serde_json::to_value(&cfg).unwrap();
        assert_eq!(cfg["tsaUrls"], serde_json::json!([]));
        assert!(cfg.get("tsaConfig").is_none(), "{cfg}");
        assert_eq!(cfg["rekorTlogConfig"]["selector"], "ANY");
        let parsed = signet_trust::SigningConfig::from_json(cfg.to_string().as_bytes());
        assert!(parsed.is_ok(), "{parsed:?}");
    }

    #[test]
    fn signing_config_json_is_written_as_before() {
        // The layout `signing_config.json` had when it was built with `json!`.
        let svc = |u: &str| {
            serde_json::json!({"url": u, "majorApiVersion": 1,
                "validFor": {"start": "2023-11-14T22:13:20Z"}, "operator": "signet"})
        };
        let old = serde_json::json!({
            "mediaType": signet_trust::SIGNING_CONFIG_MEDIA_TYPE,
            "caUrls": [svc("http://s")],
            "oidcUrls": [svc("http://s/oidc")],
            "rekorTlogUrls": [svc("http://s")],
            "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
        });
        let cfg = signing_config("http://s", Some("http://s/oidc"), 1_700_000_000);
        assert_eq!(
            serde_json::to_string_pretty(&serde_json::to_value(&cfg).unwrap()).unwrap(),
            serde_json::to_string_pretty(&old).unwrap()
        );
    }
}

/// `--database`: where the logs' entries are kept.
#[derive(clap::Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// Keep every log's entries (transparency logs, CT logs, Rekor v2 log) in this PostgreSQL
    /// database (`postgres://user:password@host:port/dbname`) instead of SQLite files in the
    /// data directory; keys, the CA, TUF and trust files stay in the data directory. The schema
    /// is created or upgraded on start.
    #[arg(long, env = "SIGNET_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Read entries, Merkle hashes and search keys from this replica of `--database` (a
    /// PostgreSQL streaming replica) when it has them; what it lacks yet (replication lag) is
    /// read from `--database`, and tree heads, checkpoints and writes always use `--database`.
    #[arg(
        long,
        env = "SIGNET_DATABASE_REPLICA",
        value_name = "URL",
        requires = "database"
    )]
    pub database_replica: Option<String>,
}

impl DatabaseArgs {
    /// The backend: connects to the database (and migrates its schema) when one is given.
    pub async fn backend(&self, data_dir: &Path) -> Result<Backend> {
        match &self.database {
            None => Ok(Backend::Embedded),
            Some(url) => {
                let db = PgDatabase::connect(url)
                    .await
                    .context("opening the database")?;
                let db = match &self.database_replica {
                    None => db,
                    Some(r) => db
                        .with_replica(r)
                        .await
                        .context("opening the replica database")?,
                };
                Ok(Backend::Postgres {
                    db,
                    root: data_dir.to_path_buf(),
                })
            }
        }
    }
}
