//! Hostile-input robustness: thousands of byte-level and field-level mutations of real bundles
//! must never panic, and a mutated signature, digest or proof must never verify.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use signet_bundle::Bundle;
use signet_crypto::SigningKey;
use signet_testkit::VirtualLog;
use signet_trust::TrustedRoot;
use signet_verify::{Artifact, Identity, Policy, Verifier};

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn byte_mutations_never_panic_and_never_verify_wrongly() {
    let mut log = VirtualLog::new("log.test").unwrap();
    let key = SigningKey::generate_p256().unwrap();
    let artifact = b"release artifact";
    let bundle = log
        .managed_key_bundle(&key, artifact, 1_750_000_000)
        .unwrap();
    let root = TrustedRoot::from_json(log.trusted_root().to_json().unwrap().as_bytes()).unwrap();
    let verifier = Verifier::new(&root).unwrap();
    let policy = Policy {
        identity: Identity::Key(key.public_key().clone()),
        artifact: Artifact::Bytes(artifact),
    };
    let good = serde_json::to_vec(&bundle).unwrap();
    verifier
        .verify(&Bundle::from_json(&good).unwrap(), &policy)
        .unwrap();

    // Wrong artifact, wrong key: refused.
    let other = Policy {
        identity: policy.identity.clone(),
        artifact: Artifact::Bytes(b"other"),
    };
    assert!(
        verifier
            .verify(&Bundle::from_json(&good).unwrap(), &other)
            .is_err()
    );
    let k2 = SigningKey::generate_p256().unwrap();
    let wrong_key = Policy {
        identity: Identity::Key(k2.public_key().clone()),
        artifact: Artifact::Bytes(artifact),
    };
    assert!(
        verifier
            .verify(&Bundle::from_json(&good).unwrap(), &wrong_key)
            .is_err()
    );

    let mut rng = Rng(0x5eed);
    let mut verified_mutants = 0;
    for _ in 0..3000 {
        let mut m = good.clone();
        for _ in 0..=rng.below(3) {
            let i = rng.below(m.len());
            m[i] = match rng.below(3) {
                0 => m[i] ^ (1 << rng.below(8)),
                1 => b"AZaz09+/=\"{}[],:"[rng.below(16)],
                _ => m[i].wrapping_add(1),
            };
        }
        if let Ok(b) = Bundle::from_json(&m)
            && verifier.verify(&b, &policy).is_ok()
        {
            verified_mutants += 1;
            // Only semantically identical mutants may verify.
            let orig = Bundle::from_json(&good).unwrap();
            assert_eq!(b.content, orig.content, "a mutated signature verified");
            assert_eq!(
                b.tlog_entries[0].canonicalized_body,
                orig.tlog_entries[0].canonicalized_body
            );
        }
    }
    // Most single-byte mutations break something; a handful (e.g. in the key hint or in the
    // checkpoint's witness-free tail) may not.
    assert!(verified_mutants < 300, "{verified_mutants}");
}
