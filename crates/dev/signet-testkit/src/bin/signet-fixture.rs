//! `signet-fixture ARTIFACT OUT_DIR`: writes `bundle.sigstore.json`, `trusted_root.json` and
//! `key.pub` for ARTIFACT, signed by a fresh managed key and logged in a fresh in-memory log.
//! For benchmarks and tests only.

use anyhow::{Context, Result, bail};
use signet_crypto::SigningKey;
use signet_testkit::VirtualLog;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, artifact, out] = args.as_slice() else {
        bail!("usage: signet-fixture ARTIFACT OUT_DIR");
    };
    let data = std::fs::read(artifact).with_context(|| format!("reading {artifact}"))?;
    let mut log = VirtualLog::new("log.bench.invalid")?;
    let key = SigningKey::generate_p256()?;
    let bundle = log.managed_key_bundle(&key, &data, 1_750_000_000)?;
    std::fs::create_dir_all(out)?;
    std::fs::write(
        format!("{out}/bundle.sigstore.json"),
        serde_json::to_vec_pretty(&bundle)?,
    )?;
    std::fs::write(
        format!("{out}/trusted_root.json"),
        log.trusted_root().to_json()?,
    )?;
    std::fs::write(format!("{out}/key.pub"), key.public_key().to_pem())?;
    Ok(())
}
