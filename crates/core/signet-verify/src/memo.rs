//! Remembered results of pure, expensive checks.
//!
//! A verifier is bound to one trusted root and configuration, so a chain, SCT or checkpoint
//! check is a function of the certificate, issuer, times or checkpoint text alone. The bundles
//! of one release share a certificate and a few checkpoints (entries logged in the same batch),
//! so without this each of 130 bundles repeats three P-256 verifications it already made.
//! Only successes are kept (an error is always recomputed, with its full message), keys are
//! SHA-256 over every input with lengths, and the set is bounded (cleared when full).

use std::collections::HashMap;
use std::sync::Mutex;

use signet_types::Sha256Hash;

/// Most results kept per kind.
const MAX: usize = 4096;

/// Successful results by input digest.
#[derive(Debug)]
pub(crate) struct Memo<T> {
    map: Mutex<HashMap<Sha256Hash, T>>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Memo<T> {
    /// The remembered result for `key`, or `f`'s, remembered if it succeeds.
    pub(crate) fn get_or_try<E>(
        &self,
        key: Sha256Hash,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        if let Some(v) = self.map.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(v);
        }
        let v = f()?;
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= MAX {
                m.clear();
            }
            m.insert(key, v.clone());
        }
        Ok(v)
    }
}

/// SHA-256 over a label and length-prefixed parts (no two input lists share a key).
pub(crate) fn key(label: &str, parts: &[&[u8]]) -> Sha256Hash {
    // A capacity hint only: saturating is harmless.
    let size = parts.iter().fold(label.len().saturating_add(1), |n, p| {
        n.saturating_add(p.len()).saturating_add(8)
    });
    let mut buf = Vec::with_capacity(size);
    buf.extend_from_slice(label.as_bytes());
    buf.push(0);
    for p in parts {
        buf.extend_from_slice(&(p.len() as u64).to_be_bytes());
        buf.extend_from_slice(p);
    }
    signet_crypto::sha256(&buf)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn remembers_successes_only_and_keys_are_unambiguous() {
        let m: Memo<u32> = Memo::default();
        let k = key("x", &[b"ab", b"c"]);
        assert_ne!(k, key("x", &[b"a", b"bc"]));
        assert_ne!(k, key("y", &[b"ab", b"c"]));
        assert_eq!(m.get_or_try(k, || Err::<u32, &str>("no")), Err("no"));
        let mut calls = 0;
        for _ in 0..3 {
            let v = m.get_or_try(k, || {
                calls += 1;
                Ok::<u32, &str>(7)
            });
            assert_eq!(v, Ok(7));
        }
        assert_eq!(calls, 1);
    }
}
