//! The HTTP client options every command uses: [`signet_client::http`]'s defaults, which the
//! environment can change (for slow networks, or tests that want short timeouts):
//! `SIGNET_HTTP_CONNECT_TIMEOUT`, `SIGNET_HTTP_READ_TIMEOUT` and `SIGNET_HTTP_TIMEOUT`, each in
//! seconds (a decimal number, e.g. `0.5`).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use signet_client::http::HttpOptions;

/// Connect timeout (seconds).
const CONNECT_ENV: &str = "SIGNET_HTTP_CONNECT_TIMEOUT";
/// Read (idle) timeout (seconds).
const READ_ENV: &str = "SIGNET_HTTP_READ_TIMEOUT";
/// Total timeout of one API request (seconds).
const TOTAL_ENV: &str = "SIGNET_HTTP_TIMEOUT";
/// Longest timeout accepted from the environment: one day.
const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// The default options, changed by any of the environment variables that is set.
pub fn options() -> Result<HttpOptions> {
    let mut o = HttpOptions::default();
    for (name, field) in [
        (CONNECT_ENV, &mut o.connect_timeout),
        (READ_ENV, &mut o.read_timeout),
        (TOTAL_ENV, &mut o.timeout),
    ] {
        if let Some(v) = std::env::var_os(name) {
            let v = v.to_str().with_context(|| format!("{name} is not UTF-8"))?;
            *field = parse_secs(v).with_context(|| format!("{name}={v:?}"))?;
        }
    }
    Ok(o)
}

/// A positive number of seconds, at most a day.
fn parse_secs(v: &str) -> Result<Duration> {
    let s: f64 = v.trim().parse().context("not a number of seconds")?;
    if !(s > 0.0 && s <= MAX_TIMEOUT_SECS) {
        bail!("must be more than 0 and at most {MAX_TIMEOUT_SECS} seconds");
    }
    Ok(Duration::from_secs_f64(s))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn seconds_parse_and_bad_values_are_refused() {
        assert_eq!(parse_secs("0.5").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_secs("30").unwrap(), Duration::from_secs(30));
        for bad in ["", "0", "-1", "nan", "inf", "1e9", "ten"] {
            assert!(parse_secs(bad).is_err(), "{bad}");
        }
    }
}
