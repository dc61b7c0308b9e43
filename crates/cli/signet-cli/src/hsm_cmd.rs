//! Keys in an HSM: the `--ca-key`/`--ct-key`/`--log-key`/`--log-v2-key`/`--tsa-key`/
//! `--tuf-online-key` flags of
//! `signet server` and `signet init` (RFC 7512 `pkcs11:` URIs; without them every key is a file
//! in the data directory, as before), and `signet admin hsm create-key`.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use signet_crypto::SigningKey;
use signet_hsm::Pkcs11Uri;

/// Where the instance's signing keys live when not in the data directory.
#[derive(Args, Default, Clone)]
pub struct KeyArgs {
    /// The CA's issuing (intermediate) key in a PKCS#11 token, as an RFC 7512 URI:
    /// `pkcs11:token=T;object=LABEL?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin`
    /// (or `&pin-value=PIN`). A new data directory gets an intermediate certificate for this
    /// key; an existing one must already hold this key's certificate. ECDSA P-256 keys only.
    #[arg(long, value_name = "PKCS11_URI")]
    pub ca_key: Option<String>,
    /// The CT log's key in a PKCS#11 token (as --ca-key). The CT log's store must have been
    /// created with this key.
    #[arg(long, value_name = "PKCS11_URI")]
    pub ct_key: Option<String>,
    /// The Rekor v1 transparency log's key (signed entry timestamps and checkpoints) in a
    /// PKCS#11 token (as --ca-key); used by the active tree.
    #[arg(long, value_name = "PKCS11_URI")]
    pub log_key: Option<String>,
    /// The Rekor v2 log's checkpoint key in a PKCS#11 token (as --ca-key).
    #[arg(long, value_name = "PKCS11_URI")]
    pub log_v2_key: Option<String>,
    /// The timestamp authority's key in a PKCS#11 token (as --ca-key). A new TSA gets a
    /// certificate for it from the CA root (whose key `ca/root.key` must then be here).
    #[arg(long, value_name = "PKCS11_URI")]
    pub tsa_key: Option<String>,
    /// The instance's online TUF key (snapshot and timestamp) in a PKCS#11 token (as
    /// --ca-key). A new TUF root names it; an existing root must already name it.
    #[arg(long, value_name = "PKCS11_URI")]
    pub tuf_online_key: Option<String>,
}

impl std::fmt::Debug for KeyArgs {
    /// The URIs with any `pin-value` masked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("KeyArgs");
        for (flag, v) in self.flags() {
            d.field(flag, &v.map(signet_hsm::mask_pin));
        }
        d.finish()
    }
}

/// The keys [`KeyArgs`] names, opened (logged in, checked by a probe signature).
#[derive(Default, Clone)]
pub struct HsmKeys {
    /// The CA's issuing key.
    pub ca: Option<SigningKey>,
    /// The CT log's key.
    pub ct: Option<SigningKey>,
    /// The Rekor v1 log's key.
    pub log: Option<SigningKey>,
    /// The Rekor v2 log's key.
    pub log_v2: Option<SigningKey>,
    /// The timestamp authority's key.
    pub tsa: Option<SigningKey>,
    /// The online TUF key.
    pub tuf_online: Option<SigningKey>,
}

fn open_one(flag: &str, uri: Option<&str>) -> Result<Option<SigningKey>> {
    let Some(text) = uri else { return Ok(None) };
    let uri = Pkcs11Uri::parse(text).with_context(|| format!("--{flag}"))?;
    let key = signet_hsm::open_key(&uri).with_context(|| format!("--{flag} {uri}"))?;
    tracing::info!("{flag}: {uri}");
    Ok(Some(key))
}

impl KeyArgs {
    /// Checks every URI's syntax (no module is loaded).
    pub fn check_syntax(&self) -> Result<()> {
        for (flag, v) in self.flags() {
            if let Some(t) = v {
                Pkcs11Uri::parse(t).with_context(|| format!("--{flag}"))?;
            }
        }
        Ok(())
    }

    fn flags(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("ca-key", self.ca_key.as_deref()),
            ("ct-key", self.ct_key.as_deref()),
            ("log-key", self.log_key.as_deref()),
            ("log-v2-key", self.log_v2_key.as_deref()),
            ("tsa-key", self.tsa_key.as_deref()),
            ("tuf-online-key", self.tuf_online_key.as_deref()),
        ]
    }

    /// Opens every key named.
    pub fn open(&self) -> Result<HsmKeys> {
        let [ca, ct, log, log_v2, tsa, tuf_online] = self.flags().map(|(f, v)| open_one(f, v));
        Ok(HsmKeys {
            ca: ca?,
            ct: ct?,
            log: log?,
            log_v2: log_v2?,
            tsa: tsa?,
            tuf_online: tuf_online?,
        })
    }
}

/// `signet admin hsm` flags.
#[derive(Args, Debug)]
pub struct HsmArgs {
    #[command(subcommand)]
    command: HsmCommand,
}

#[derive(Subcommand, Debug)]
enum HsmCommand {
    /// Generate an ECDSA P-256 key pair in a PKCS#11 token (private half sensitive and never
    /// extractable) and print its public key (PEM). Refuses when the label or ID is taken.
    /// Then give the same URI to `signet server --ca-key` (or --ct-key, --log-key, …).
    CreateKey(CreateKeyArgs),
    /// Print the public key (PEM) of a key in a PKCS#11 token (after a login and a probe
    /// signature: it also checks the URI and PIN work).
    PublicKey(CreateKeyArgs),
}

/// `signet admin hsm create-key` flags.
#[derive(Args, Debug)]
struct CreateKeyArgs {
    /// The key: `pkcs11:token=T;object=LABEL?module-path=…&pin-source=file:…`.
    #[arg(long, value_name = "PKCS11_URI")]
    uri: String,
}

/// `signet admin hsm`.
pub fn run(args: HsmArgs) -> Result<()> {
    match args.command {
        HsmCommand::CreateKey(a) => {
            let uri = Pkcs11Uri::parse(&a.uri).context("--uri")?;
            let public = signet_hsm::create_key(&uri).with_context(|| format!("{uri}"))?;
            eprintln!("created an ECDSA P-256 key pair: {uri}");
            print!("{}", public.to_pem());
        }
        HsmCommand::PublicKey(a) => {
            let uri = Pkcs11Uri::parse(&a.uri).context("--uri")?;
            let key = signet_hsm::open_key(&uri).with_context(|| format!("{uri}"))?;
            print!("{}", key.public_key().to_pem());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn debug_output_masks_pins() {
        let a = KeyArgs {
            ca_key: Some("pkcs11:token=t;object=ca?module-path=/m.so&pin-value=4321".into()),
            ..Default::default()
        };
        let shown = format!("{a:?}");
        assert!(shown.contains("pin-value=***"), "{shown}");
        assert!(!shown.contains("4321"), "{shown}");
    }
}
