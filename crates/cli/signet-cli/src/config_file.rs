//! `signet server --config FILE`: a TOML file of the command's flags, one key per flag (the
//! long flag name, `addr = "0.0.0.0:443"`), read generically from the command's clap
//! definition, so every flag, present and future, can be set there.
//!
//! * A value is typed: a string or number for a flag that takes a value, `true`/`false` for a
//!   switch, an array for a repeatable flag. Each value goes through the flag's own parser; a
//!   wrong type, a bad value or an unknown key (with a "did you mean") is an error naming the
//!   file and the key.
//! * Precedence: command-line flag > environment variable (a flag's `env`) > config file >
//!   default. A key whose flag is on the command line, or whose environment variable is set,
//!   is left out; the others are handed to clap before the command line's own arguments.
//! * [`effective`] prints the resulting settings, each with where it came from and secrets
//!   masked (for `--check-config`).

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};

/// The flag (long name) of a subcommand that names its config file.
const CONFIG_FLAG: &str = "config";

/// A command line with a config file's settings spliced in.
#[derive(Debug)]
pub struct Expanded {
    /// The arguments to parse.
    pub argv: Vec<OsString>,
    /// The flags (argument ids) whose value comes from the config file.
    pub from_file: BTreeSet<String>,
}

/// If `argv` runs a subcommand of `cmd` that has a `--config` flag and it is given, the
/// file's settings are inserted right after the subcommand's name (see the module
/// documentation); otherwise `argv` is returned as it is.
pub fn expand(cmd: &Command, argv: Vec<OsString>) -> Result<Expanded> {
    let unchanged = |argv| {
        Ok(Expanded {
            argv,
            from_file: BTreeSet::new(),
        })
    };
    let mut cmd = cmd.clone();
    cmd.build();
    let Some((pos, name)) = subcommand_position(&cmd, &argv) else {
        return unchanged(argv);
    };
    let Some(sub) = cmd.find_subcommand(&name).cloned() else {
        return unchanged(argv);
    };
    if !sub
        .get_arguments()
        .any(|a| a.get_long() == Some(CONFIG_FLAG))
    {
        return unchanged(argv);
    }
    // What the command line and the environment set (errors are reported by the real parse).
    let first = cmd
        .clone()
        .ignore_errors(true)
        .try_get_matches_from(&argv)
        .ok();
    let Some(given) = first
        .as_ref()
        .and_then(|m| m.subcommand_matches(sub.get_name()))
    else {
        return unchanged(argv);
    };
    let Some(path) = given
        .get_raw(CONFIG_FLAG)
        .and_then(|mut v| v.next())
        .map(PathBuf::from)
    else {
        return unchanged(argv);
    };
    let (file_args, from_file) = file_arguments(&sub, given, &path)?;
    let (head, tail) = argv.split_at(pos.saturating_add(1).min(argv.len()));
    let argv = head
        .iter()
        .cloned()
        .chain(file_args)
        .chain(tail.iter().cloned())
        .collect();
    Ok(Expanded { argv, from_file })
}

/// The index in `argv` of the subcommand's name and that name: the first word that is neither
/// an option of `cmd` nor the value of one.
fn subcommand_position(cmd: &Command, argv: &[OsString]) -> Option<(usize, String)> {
    let takes_value = |long: &str| {
        cmd.get_arguments()
            .any(|a| a.get_long() == Some(long) && a.get_action().takes_values())
    };
    let mut skip_next = false;
    for (i, word) in argv.iter().enumerate().skip(1) {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        let w = word.to_str()?;
        if w == "--" {
            return None;
        }
        if let Some(long) = w.strip_prefix("--") {
            skip_next = !long.contains('=') && takes_value(long);
            continue;
        }
        if w.starts_with('-') {
            continue;
        }
        return Some((i, w.to_string()));
    }
    None
}

/// The arguments the config file at `path` adds for `sub`, and the ids of the flags they set.
fn file_arguments(
    sub: &Command,
    given: &ArgMatches,
    path: &Path,
) -> Result<(Vec<OsString>, BTreeSet<String>)> {
    let text = signet_crypto::read_capped_string(path, crate::input::CONFIG_FILE)?;
    let file = path.display();
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .and_then(|s| text.as_bytes().get(..s.start))
            .map_or(1, |before| {
                before
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    .saturating_add(1)
            });
        anyhow::anyhow!("config file {file}, line {line}: not TOML: {}", e.message())
    })?;
    let mut args = Vec::new();
    let mut from_file = BTreeSet::new();
    for (key, value) in &table {
        let arg = settable(sub)
            .find(|a| a.get_long() == Some(key.as_str()))
            .ok_or_else(|| unknown_key(sub, key))
            .with_context(|| format!("config file {file}"))?;
        let id = arg.get_id().as_str();
        let on_command_line = given.value_source(id) == Some(ValueSource::CommandLine);
        let in_environment = arg.get_env().and_then(std::env::var_os).is_some();
        let words = words(arg, key, value).with_context(|| format!("config file {file}"))?;
        if on_command_line || in_environment {
            continue;
        }
        if words.is_empty() {
            continue; // a switch set to false
        }
        args.extend(words.into_iter().map(OsString::from));
        from_file.insert(id.to_string());
    }
    Ok((args, from_file))
}

/// The flags of `sub` a config file may set.
fn settable(sub: &Command) -> impl Iterator<Item = &Arg> {
    sub.get_arguments().filter(|a| {
        !a.is_positional()
            && !matches!(a.get_action(), ArgAction::Help | ArgAction::Version)
            && !matches!(a.get_long(), Some(CONFIG_FLAG) | None)
    })
}

/// The error for a key no flag has, with the closest flag name when one is close.
fn unknown_key(sub: &Command, key: &str) -> anyhow::Error {
    if key == CONFIG_FLAG {
        return anyhow::anyhow!("a config file cannot name another");
    }
    let close =
        |long: &str| strsim::jaro_winkler(key, long) > 0.8 || strsim::levenshtein(key, long) <= 2;
    let best = settable(sub)
        .filter_map(Arg::get_long)
        .filter(|long| close(long))
        .max_by(|a, b| strsim::jaro_winkler(key, a).total_cmp(&strsim::jaro_winkler(key, b)));
    match best {
        Some(long) => anyhow::anyhow!("unknown key {key:?} (did you mean {long:?}?)"),
        None => anyhow::anyhow!(
            "unknown key {key:?}: the keys are the long flags of `signet {}`",
            sub.get_name()
        ),
    }
}

/// `key = value` for `arg` as command-line words (`--key=value`, once per value; `--key` for a
/// switch set to true; none for one set to false), each value checked by the flag's own parser.
fn words(arg: &Arg, key: &str, value: &toml::Value) -> Result<Vec<String>> {
    let scalar = |v: &toml::Value| -> Result<String> {
        match v {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Float(f) => Ok(f.to_string()),
            other => bail!(
                "key {key:?}: expected a string or a number, not {}",
                other.type_str()
            ),
        }
    };
    let words = match arg.get_action() {
        ArgAction::SetTrue => match value {
            toml::Value::Boolean(true) => return Ok(vec![format!("--{key}")]),
            toml::Value::Boolean(false) => return Ok(Vec::new()),
            other => bail!(
                "key {key:?}: expected true or false, not {}",
                other.type_str()
            ),
        },
        ArgAction::Append => match value {
            toml::Value::Array(items) => items.iter().map(scalar).collect::<Result<Vec<_>>>()?,
            other => bail!(
                "key {key:?} can be given several times: expected an array, not {}",
                other.type_str()
            ),
        },
        _ => vec![scalar(value)?],
    };
    for w in &words {
        check_value(arg, key, w)?;
    }
    Ok(words.iter().map(|w| format!("--{key}={w}")).collect())
}

/// Runs the flag's value parser on `value`.
fn check_value(arg: &Arg, key: &str, value: &str) -> Result<()> {
    let probe = Command::new("config")
        .no_binary_name(true)
        .disable_help_flag(true)
        .arg(
            Arg::new(key.to_string())
                .long(key.to_string())
                .value_name(
                    arg.get_value_names()
                        .and_then(|n| n.first())
                        .map_or_else(|| key.to_ascii_uppercase(), ToString::to_string),
                )
                .action(ArgAction::Set)
                .value_parser(arg.get_value_parser().clone()),
        );
    probe
        .try_get_matches_from([OsString::from(format!("--{key}={value}"))])
        .map_err(|e| {
            let why = e.to_string();
            let why = why
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string();
            anyhow::anyhow!("key {key:?}: {why}")
        })?;
    Ok(())
}

/// Where a setting's value came from.
fn source(m: &ArgMatches, arg: &Arg, from_file: &BTreeSet<String>) -> String {
    let id = arg.get_id().as_str();
    match m.value_source(id) {
        Some(ValueSource::CommandLine) if from_file.contains(id) => "config file".into(),
        Some(ValueSource::CommandLine) => "flag".into(),
        Some(ValueSource::EnvVariable) => format!(
            "environment ({})",
            arg.get_env()
                .map(OsStr::to_string_lossy)
                .unwrap_or_default()
        ),
        Some(ValueSource::DefaultValue) => "default".into(),
        _ => "not set".into(),
    }
}

/// The settings of `sub` in `m` as TOML, one `key = value  # source` line each (unset ones
/// commented out), secrets masked: the value of a key naming a password, secret, token or PIN,
/// and the password of a URL or of a `password=` pair.
pub fn effective(sub: &Command, m: &ArgMatches, from_file: &BTreeSet<String>) -> String {
    let mut out = format!(
        "# effective configuration of `signet {}` (flag > environment > config file > default)\n",
        sub.get_name()
    );
    for arg in settable(sub) {
        let (Some(key), id) = (arg.get_long(), arg.get_id().as_str()) else {
            continue;
        };
        let raw: Vec<String> = m
            .get_raw(id)
            .map(|v| v.map(|s| mask(key, &s.to_string_lossy())).collect())
            .unwrap_or_default();
        let value = match arg.get_action() {
            ArgAction::SetTrue => Some(toml::Value::Boolean(m.get_flag(id))),
            ArgAction::Append if !raw.is_empty() => Some(toml::Value::Array(
                raw.into_iter().map(toml::Value::String).collect(),
            )),
            _ => raw.into_iter().next().map(toml::Value::String),
        };
        let from = source(m, arg, from_file);
        match value {
            Some(v) => out.push_str(&format!("{key} = {v}  # {from}\n")),
            None => out.push_str(&format!("# {key}: not set\n")),
        }
    }
    out
}

/// Masks a secret value (see [`effective`]).
fn mask(key: &str, value: &str) -> String {
    const MASK: &str = "********";
    let k = key.to_ascii_lowercase();
    if ["password", "secret", "token", "pin", "passphrase"]
        .iter()
        .any(|s| k.contains(s))
    {
        return MASK.to_string();
    }
    if signet_hsm::Pkcs11Uri::is_pkcs11(value) {
        return signet_hsm::mask_pin(value);
    }
    if value.contains("://")
        && let Ok(mut url) = reqwest::Url::parse(value)
        && url.password().is_some()
        && url.set_password(Some(MASK)).is_ok()
    {
        return url.to_string();
    }
    // libpq's key=value form.
    value
        .split(' ')
        .map(|part| match part.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}={MASK}"),
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask("database", "postgres://signet:hunter2@db:5432/signet"),
            "postgres://signet:********@db:5432/signet"
        );
        assert_eq!(
            mask("database", "host=db user=signet password=hunter2 dbname=s"),
            "host=db user=signet password=******** dbname=s"
        );
        assert_eq!(mask("api-token", "abc"), "********");
        assert_eq!(
            mask(
                "ca-key",
                "pkcs11:token=t;object=ca?module-path=/m.so&pin-value=1234"
            ),
            "pkcs11:token=t;object=ca?module-path=/m.so&pin-value=***"
        );
        assert_eq!(mask("addr", "127.0.0.1:3000"), "127.0.0.1:3000");
        assert_eq!(
            mask("public-url", "https://log.example.org"),
            "https://log.example.org"
        );
    }
}
