//! `signet completions SHELL` and `signet man`: shell completions and manual pages generated
//! from the command-line definition itself, so they never drift from the flags.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::CommandFactory;

/// `signet completions` flags.
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for (e.g. `signet completions bash > /etc/bash_completion.d/signet`).
    shell: clap_complete::Shell,
}

/// `signet man` flags.
#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write one page per command (`signet.1`, `signet-sign-blob.1`, …) into this directory
    /// instead of printing `signet.1` to standard output.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// Prints the completion script for `args.shell`.
pub fn completions(args: &CompletionsArgs) -> Result<()> {
    let mut cmd = crate::Cli::command();
    // Into memory first: the generator panics on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "signet", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("writing the completion script")
}

/// Prints `signet.1`, or writes every command's page into `--out-dir`.
pub fn man(args: &ManArgs) -> Result<()> {
    let cmd = crate::Cli::command();
    match &args.out_dir {
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .context("writing the manual page")?;
            out.flush().context("writing the manual page")
        }
        Some(dir) => write_pages(cmd, dir),
    }
}

fn write_pages(cmd: clap::Command, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    clap_mangen::generate_to(cmd, dir)
        .with_context(|| format!("writing manual pages into {}", dir.display()))?;
    eprintln!("wrote the manual pages into {}", dir.display());
    Ok(())
}
