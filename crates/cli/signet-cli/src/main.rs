//! `signet`: sign and verify software artifacts with Sigstore-compatible bundles.
#![forbid(unsafe_code)]
// Files and server answers are untrusted input here too: no byte-offset slicing, indexing or
// unchecked arithmetic outside tests.
#![deny(
    clippy::string_slice,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
#![cfg_attr(
    test,
    allow(
        clippy::string_slice,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

mod artifact;
mod backup_cmd;
mod config_file;
mod docs_cmd;
mod hsm_cmd;
mod image_cmd;
mod input;
mod instance;
mod keyfile;
mod log_cmd;
mod migrate_cmd;
mod monitor_cmd;
mod net;
mod oidc_cmd;
mod online;
mod operate;
mod release_cmd;
mod rotate_cmd;
mod server_cmd;
mod sign_cmd;
mod trust_cfg;
mod tuf_client;
mod tuf_cmd;
mod tuf_serve;
mod verify_cmd;
mod witness_cmd;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// mimalloc instead of glibc malloc: the servers allocate per request from many threads, where
/// glibc's arenas cost about a fifth of a log append's CPU (measured with perf).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sign and verify software releases with Sigstore-compatible certificates, logs and bundles.
#[derive(Parser, Debug)]
#[command(name = "signet", version, about)]
struct Cli {
    /// Also trust the certificate authorities in this PEM file (one or more certificates) for
    /// https, besides the system's roots: an instance whose TLS certificate comes from a
    /// private CA. `signet server` trusts them too for its own requests (OIDC discovery and
    /// key sets of --oidc-config issuers, --witness).
    #[arg(long, global = true, env = "SIGNET_CA_BUNDLE", value_name = "FILE")]
    ca_bundle: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Verify a Sigstore bundle for a file or a `sha256:<hex>` digest (sigstore-conformance protocol).
    VerifyBundle(verify_cmd::VerifyBundleArgs),
    /// Verify a blob's signature, cosign-style.
    VerifyBlob(verify_cmd::VerifyBlobArgs),
    /// Create a P-256 key pair for managed-key signing (PREFIX.key, PREFIX.pub).
    GenerateKeyPair(sign_cmd::GenerateKeyPairArgs),
    /// Sign a file with a managed key and record the signature in the transparency log.
    SignBlob(sign_cmd::SignBlobArgs),
    /// Run the signet services (CA, CT log, transparency log) on a data directory.
    Server(server_cmd::ServerArgs),
    /// Create a signet instance's keys and trust files without starting it.
    Init(server_cmd::InitArgs),
    /// Operate a signet instance: rotate its keys.
    Admin(rotate_cmd::AdminArgs),
    /// Read and verify entries of a transparency log (rekor-cli style).
    Log(log_cmd::LogArgs),
    /// Sign every artifact of a release directory, with a signed SHA256SUMS, SBOM and provenance.
    SignRelease(Box<release_cmd::SignReleaseArgs>),
    /// Verify a whole release (directory or URL) in parallel.
    VerifyRelease(release_cmd::VerifyReleaseArgs),
    /// Serve a release directory over HTTP (read-only).
    ServeRelease(release_cmd::ServeReleaseArgs),
    /// Write a Kubernetes-shaped sample release (for tests and benchmarks).
    SampleRelease(release_cmd::SampleReleaseArgs),
    /// The development OIDC issuer (tokens for tests and demos only).
    Oidc(oidc_cmd::OidcArgs),
    /// Sign container images (cosign's bundle format, or the legacy .sig tag).
    Sign(image_cmd::SignArgs),
    /// Attest container images: a signed in-toto statement (SLSA provenance, SBOM, …).
    Attest(image_cmd::AttestArgs),
    /// Verify container image signatures (referrers first, then the legacy .sig tag).
    Verify(image_cmd::VerifyArgs),
    /// Verify container image attestations.
    VerifyAttestation(image_cmd::VerifyAttestationArgs),
    /// Print where an image's signatures or attestations are stored.
    Triangulate(image_cmd::TriangulateArgs),
    /// Show an image's signatures, attestations and referrers.
    Tree(image_cmd::TreeArgs),
    /// Print an image's signatures or attestations.
    Download(image_cmd::DownloadArgs),
    /// Push a small real OCI image (or multi-platform index) for tests and demos.
    SampleImage(image_cmd::SampleImageArgs),
    /// A C2SP tlog-witness: cosign the checkpoints of the configured logs (POST /add-checkpoint)
    /// when each is consistent with the last one cosigned.
    Witness(witness_cmd::WitnessArgs),
    /// Trust a signet instance: with --root, through its TUF repository (renewed on every
    /// use); without, fetch its trust config once and save it.
    Trust(TrustArgs),
    /// Trust a TUF repository (cosign's command): bootstrap from a root obtained out of band;
    /// every later command refreshes the trusted root and signing config through TUF.
    Initialize(InitializeArgs),
    /// The key ceremony of this instance's TUF repository (offline root and targets keys).
    Tuf(tuf_cmd::TufArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(docs_cmd::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command with --out-dir.
    Man(docs_cmd::ManArgs),
}

/// `signet initialize` flags.
#[derive(clap::Args, Debug)]
struct InitializeArgs {
    /// Base URL of the TUF repository (a signet instance's is `<url>/tuf`).
    #[arg(long)]
    mirror: String,
    /// The repository's root, obtained out of band (a signet instance writes
    /// `DATA/tuf/root.json`).
    #[arg(long)]
    root: std::path::PathBuf,
    /// The root's expected SHA-256 (`sha256:<hex>`).
    #[arg(long, value_name = "sha256:HEX")]
    root_checksum: Option<String>,
}

/// `signet trust` flags.
#[derive(clap::Args, Debug)]
struct TrustArgs {
    /// Base URL of the instance (it serves /signet/v1/trust_config.json and /tuf/).
    url: String,
    /// The instance's TUF root (`DATA/tuf/root.json` on the server): trust through its TUF
    /// repository `<url>/tuf`, renewed on every use, instead of a copy fetched once.
    #[arg(long)]
    root: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    let mut command = Cli::command();
    command.build();
    let expanded = match config_file::expand(&command, std::env::args_os().collect()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("Error: {}", one_line(&e));
            return ExitCode::FAILURE;
        }
    };
    let matches = command.clone().get_matches_from(&expanded.argv);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut command).exit());
    if let Some(bundle) = &cli.ca_bundle
        && let Err(e) = net::set_ca_bundle(bundle)
    {
        eprintln!("Error: {}", one_line(&e));
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Command::VerifyBundle(args) => verify_cmd::verify_bundle(args),
        Command::VerifyBlob(args) => verify_cmd::verify_blob(args),
        Command::Server(args) => {
            let effective = command
                .find_subcommand("server")
                .zip(matches.subcommand_matches("server"))
                .map(|(sub, m)| config_file::effective(sub, m, &expanded.from_file))
                .unwrap_or_default();
            server_cmd::run(args, effective)
        }
        Command::Init(args) => server_cmd::init(args),
        Command::Admin(args) => rotate_cmd::run(args),
        Command::GenerateKeyPair(args) => sign_cmd::generate_key_pair(args),
        Command::SignBlob(args) => sign_cmd::sign_blob(args),
        Command::Log(args) => log_cmd::run(args),
        Command::Oidc(args) => oidc_cmd::run(args),
        Command::SignRelease(args) => release_cmd::sign_release(*args),
        Command::VerifyRelease(args) => release_cmd::verify_release(args),
        Command::ServeRelease(args) => release_cmd::serve_release(args),
        Command::SampleRelease(args) => release_cmd::sample_release(args),
        Command::Sign(args) => image_cmd::sign(args),
        Command::Attest(args) => image_cmd::attest(args),
        Command::Verify(args) => image_cmd::verify(args),
        Command::VerifyAttestation(args) => image_cmd::verify_attestation(args),
        Command::Triangulate(args) => image_cmd::triangulate(args),
        Command::Tree(args) => image_cmd::tree(args),
        Command::Download(args) => image_cmd::download(args),
        Command::SampleImage(args) => image_cmd::sample_image(args),
        Command::Trust(args) => match &args.root {
            Some(root) => tuf_client::initialize(
                &format!("{}/tuf", args.url.trim_end_matches('/')),
                root,
                None,
            ),
            None => trust_cfg::trust_url(&args.url),
        },
        Command::Tuf(args) => tuf_cmd::run(args),
        Command::Completions(args) => docs_cmd::completions(&args),
        Command::Man(args) => docs_cmd::man(&args),
        Command::Witness(args) => witness_cmd::run(args),
        Command::Initialize(args) => {
            tuf_client::initialize(&args.mirror, &args.root, args.root_checksum.as_deref())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, outermost first.
pub(crate) fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ").replace('\n', " ")
}
