//! Bounded retries with exponential backoff for transient service failures (sigstore-go's
//! `pkg/sign` retries its CA and log calls the same way).

use std::future::Future;
use std::time::Duration;

use signet_client::ClientError;

/// How often and how long to retry a call that failed transiently ([`is_transient`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retry).
    pub attempts: u32,
    /// Wait before the first retry; doubled before each further one.
    pub initial_backoff: Duration,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, waiting 250 ms then 500 ms.
    fn default() -> Self {
        Self {
            attempts: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
        }
    }
}

/// Whether a failure may go away on its own: no connection (or a broken one), a timeout,
/// `429 Too Many Requests` or a `5xx`. A `4xx` is the service's answer and is not retried.
pub fn is_transient(e: &ClientError) -> bool {
    match e {
        ClientError::Http { .. } | ClientError::Timeout { .. } => true,
        ClientError::Status { status, .. } => *status == 429 || (500..=599).contains(status),
        _ => false,
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        Self {
            attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (0 for the first retry).
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// Runs `call` until it succeeds, fails with a non-transient error, or `attempts` calls
    /// were made; returns the last result.
    pub async fn run<T, F, Fut>(&self, mut call: F) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut retry = 0u32;
        loop {
            match call().await {
                Err(e) if is_transient(&e) && retry.saturating_add(1) < self.attempts => {
                    tokio::time::sleep(self.backoff(retry)).await;
                    retry = retry.saturating_add(1);
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::cell::Cell;

    use super::*;

    fn status(status: u16) -> ClientError {
        ClientError::Status {
            url: "http://log".into(),
            status,
            message: String::new(),
        }
    }

    fn fast(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn transient_failures_are_retried_until_success() {
        for code in [429, 500, 502, 503] {
            let calls = Cell::new(0u32);
            let r = rt().block_on(fast(3).run(|| {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { if n < 3 { Err(status(code)) } else { Ok(n) } }
            }));
            assert_eq!(r.unwrap(), 3, "{code}");
        }
    }

    #[test]
    fn retries_are_bounded_and_the_last_error_is_returned() {
        let calls = Cell::new(0u32);
        let r: Result<(), _> = rt().block_on(fast(3).run(|| {
            calls.set(calls.get() + 1);
            async { Err(status(503)) }
        }));
        assert!(matches!(r, Err(ClientError::Status { status: 503, .. })));
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn answers_of_the_service_are_not_retried() {
        for code in [400, 401, 404, 409, 422] {
            let calls = Cell::new(0u32);
            let r: Result<(), _> = rt().block_on(fast(3).run(|| {
                calls.set(calls.get() + 1);
                async move { Err(status(code)) }
            }));
            assert!(r.is_err());
            assert_eq!(calls.get(), 1, "{code}");
        }
    }

    #[test]
    fn timeouts_are_transient_and_refusals_are_not() {
        assert!(is_transient(&ClientError::Timeout {
            url: "http://log".into(),
            limits: "10s".into(),
        }));
        assert!(!is_transient(&ClientError::Verify("forged".into())));
        assert!(!is_transient(&ClientError::Proposed("bad".into())));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0), Duration::from_millis(250));
        assert_eq!(p.backoff(1), Duration::from_millis(500));
        assert_eq!(p.backoff(5), Duration::from_secs(4));
        assert_eq!(p.backoff(200), Duration::from_secs(4));
    }
}
