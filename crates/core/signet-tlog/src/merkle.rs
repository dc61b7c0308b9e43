//! RFC 6962 hashing and proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2).

use aws_lc_rs::digest;
use signet_types::{LogIndex, Sha256Hash, TreeSize, limits};

use crate::TlogError;

fn finish(ctx: digest::Context) -> Sha256Hash {
    let d = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    Sha256Hash(out)
}

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Sha256Hash {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&[0]);
    ctx.update(data);
    finish(ctx)
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Sha256Hash, right: &Sha256Hash) -> Sha256Hash {
    // One-shot over a stack buffer: the hot path of every append and proof check.
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(&left.0);
    buf[33..].copy_from_slice(&right.0);
    let d = digest::digest(&digest::SHA256, &buf);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    Sha256Hash(out)
}

/// Root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Sha256Hash {
    finish(digest::Context::new(&digest::SHA256))
}

fn bit_len(x: u64) -> usize {
    // `leading_zeros` is at most `u64::BITS`, so this never saturates.
    u64::BITS.saturating_sub(x.leading_zeros()) as usize
}

/// Bit `i` of `x`; false for `i >= 64`.
fn bit(x: u64, i: usize) -> bool {
    u32::try_from(i)
        .ok()
        .and_then(|i| x.checked_shr(i))
        .is_some_and(|v| v & 1 == 1)
}

/// Splits an inclusion proof length into (inner, border) counts (transparency-dev/merkle).
/// Needs `index < size`; both counts are at most 64.
fn decomp_incl_proof(index: u64, size: u64) -> (usize, usize) {
    // `size > index >= 0`, so `size - 1` is exact.
    let inner = bit_len(index ^ size.saturating_sub(1));
    // `inner` reaches 64 for the largest trees; shifting a u64 by 64 would overflow.
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    (inner, border)
}

fn chain_inner(seed: Sha256Hash, proof: &[Sha256Hash], index: u64) -> Sha256Hash {
    proof.iter().enumerate().fold(seed, |acc, (i, h)| {
        if bit(index, i) {
            node_hash(h, &acc)
        } else {
            node_hash(&acc, h)
        }
    })
}

fn chain_inner_right(seed: Sha256Hash, proof: &[Sha256Hash], index: u64) -> Sha256Hash {
    proof.iter().enumerate().fold(seed, |acc, (i, h)| {
        if bit(index, i) {
            node_hash(h, &acc)
        } else {
            acc
        }
    })
}

fn chain_border_right(seed: Sha256Hash, proof: &[Sha256Hash]) -> Sha256Hash {
    proof.iter().fold(seed, |acc, h| node_hash(h, &acc))
}

/// Recomputes the root from an inclusion proof.
pub fn root_from_inclusion_proof(
    index: LogIndex,
    size: TreeSize,
    leaf: &Sha256Hash,
    proof: &[Sha256Hash],
) -> Result<Sha256Hash, TlogError> {
    if index.0 >= size.0 {
        return Err(TlogError::IndexOutOfRange { index, size });
    }
    let (inner, border) = decomp_incl_proof(index.0, size.0);
    // Both counts are at most 64: never saturates.
    let expected = inner.saturating_add(border);
    let length = || TlogError::ProofLength {
        expected,
        actual: proof.len(),
    };
    if proof.len() != expected || proof.len() > limits::MAX_PROOF_HASHES {
        return Err(length());
    }
    let (inner_part, border_part) = proof.split_at_checked(inner).ok_or_else(length)?;
    let res = chain_inner(*leaf, inner_part, index.0);
    Ok(chain_border_right(res, border_part))
}

/// Verifies that `leaf` is at `index` in the tree of `size` leaves with root `root`.
pub fn verify_inclusion(
    index: LogIndex,
    size: TreeSize,
    leaf: &Sha256Hash,
    proof: &[Sha256Hash],
    root: &Sha256Hash,
) -> Result<(), TlogError> {
    if root_from_inclusion_proof(index, size, leaf, proof)? == *root {
        Ok(())
    } else {
        Err(TlogError::RootMismatch)
    }
}

/// Verifies that the tree of `size2` leaves with root `root2` extends the tree of `size1`
/// leaves with root `root1`.
pub fn verify_consistency(
    size1: TreeSize,
    size2: TreeSize,
    proof: &[Sha256Hash],
    root1: &Sha256Hash,
    root2: &Sha256Hash,
) -> Result<(), TlogError> {
    let (s1, s2) = (size1.0, size2.0);
    let bad_sizes = || TlogError::BadSizes { size1, size2 };
    if s2 < s1 || (s1 == 0 && s2 > 0) {
        return Err(bad_sizes());
    }
    if proof.len() > limits::MAX_PROOF_HASHES {
        return Err(TlogError::ProofLength {
            expected: limits::MAX_PROOF_HASHES,
            actual: proof.len(),
        });
    }
    if s1 == s2 {
        if !proof.is_empty() {
            return Err(TlogError::ProofLength {
                expected: 0,
                actual: proof.len(),
            });
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(TlogError::RootMismatch)
        };
    }
    // 0 < s1 < s2 from here, so `last1 < s2` and `shift < 64`.
    let last1 = s1.checked_sub(1).ok_or_else(bad_sizes)?;
    let (inner, border) = decomp_incl_proof(last1, s2);
    let shift = s1.trailing_zeros();
    // `shift < inner` when 0 < size1 < size2; an error rather than a panic all the same.
    let inner = inner.checked_sub(shift as usize).ok_or_else(bad_sizes)?;
    // `inner + border <= 128`: never saturates.
    let wanted = inner.saturating_add(border);
    let power_of_two = s1.is_power_of_two();
    // Unless size1 is a power of two, the first proof element is the seed.
    let (seed, rest) = if power_of_two {
        (*root1, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => {
                return Err(TlogError::ProofLength {
                    expected: wanted.saturating_add(1),
                    actual: 0,
                });
            }
        }
    };
    let length = || TlogError::ProofLength {
        expected: wanted.saturating_add(usize::from(!power_of_two)),
        actual: proof.len(),
    };
    if rest.len() != wanted {
        return Err(length());
    }
    let (inner_part, border_part) = rest.split_at_checked(inner).ok_or_else(length)?;
    let mask = last1.checked_shr(shift).unwrap_or(0);
    let hash1 = chain_inner_right(seed, inner_part, mask);
    let hash1 = chain_border_right(hash1, border_part);
    if hash1 != *root1 {
        return Err(TlogError::RootMismatch);
    }
    let hash2 = chain_inner(seed, inner_part, mask);
    let hash2 = chain_border_right(hash2, border_part);
    if hash2 != *root2 {
        return Err(TlogError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Sha256Hash {
        Sha256Hash::from_hex(s).unwrap()
    }

    /// The RFC 6962 reference tree used by Certificate Transparency and transparency-dev/merkle
    /// (`testonly.LeafInputs`), with its published roots.
    fn leaves() -> Vec<Sha256Hash> {
        let inputs: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[
                0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
                0x6e, 0x6f,
            ],
        ];
        inputs.iter().map(|d| leaf_hash(d)).collect()
    }

    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn hashes_match_known_answers() {
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let l = leaves();
        assert_eq!(l[0], h(ROOTS[0]));
        assert_eq!(node_hash(&l[0], &l[1]), h(ROOTS[1]));
        assert_eq!(
            node_hash(&h(ROOTS[1]), &node_hash(&l[2], &l[3])),
            h(ROOTS[3])
        );
    }

    #[test]
    fn inclusion_known_answers() {
        let l = leaves();
        let proof0 = [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ];
        verify_inclusion(LogIndex(0), TreeSize(8), &l[0], &proof0, &h(ROOTS[7])).unwrap();
        let proof5 = [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ];
        assert_eq!(
            root_from_inclusion_proof(LogIndex(5), TreeSize(8), &l[5], &proof5).unwrap(),
            h(ROOTS[7])
        );
        // Last leaf of an unbalanced tree: the border part of the proof.
        let proof2 = [h(ROOTS[1])];
        verify_inclusion(LogIndex(2), TreeSize(3), &l[2], &proof2, &h(ROOTS[2])).unwrap();
        // A one-leaf tree: empty proof, root = leaf.
        verify_inclusion(LogIndex(0), TreeSize(1), &l[0], &[], &l[0]).unwrap();

        // Rejections.
        assert_eq!(
            verify_inclusion(LogIndex(8), TreeSize(8), &l[0], &proof0, &h(ROOTS[7])),
            Err(TlogError::IndexOutOfRange {
                index: LogIndex(8),
                size: TreeSize(8)
            })
        );
        assert!(matches!(
            verify_inclusion(LogIndex(0), TreeSize(0), &l[0], &[], &empty_root()),
            Err(TlogError::IndexOutOfRange { .. })
        ));
        assert_eq!(
            verify_inclusion(LogIndex(0), TreeSize(8), &l[0], &proof0[..2], &h(ROOTS[7])),
            Err(TlogError::ProofLength {
                expected: 3,
                actual: 2
            })
        );
        let mut long = proof0.to_vec();
        long.push(proof0[0]);
        assert!(matches!(
            verify_inclusion(LogIndex(0), TreeSize(8), &l[0], &long, &h(ROOTS[7])),
            Err(TlogError::ProofLength { .. })
        ));
        let huge = vec![proof0[0]; limits::MAX_PROOF_HASHES + 1];
        assert!(matches!(
            verify_inclusion(LogIndex(0), TreeSize(u64::MAX), &l[0], &huge, &l[0]),
            Err(TlogError::ProofLength { .. })
        ));
        assert_eq!(
            verify_inclusion(LogIndex(0), TreeSize(8), &l[1], &proof0, &h(ROOTS[7])),
            Err(TlogError::RootMismatch)
        );
        assert_eq!(
            verify_inclusion(LogIndex(1), TreeSize(8), &l[0], &proof0, &h(ROOTS[7])),
            Err(TlogError::RootMismatch)
        );
    }

    #[test]
    fn consistency_known_answers() {
        let r = |n: usize| h(ROOTS[n - 1]);
        let p3_8 = [
            h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
            h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
            h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ];
        verify_consistency(TreeSize(3), TreeSize(8), &p3_8, &r(3), &r(8)).unwrap();
        // size1 a power of two: the proof omits root1.
        let p4_8 = [h(
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        )];
        verify_consistency(TreeSize(4), TreeSize(8), &p4_8, &r(4), &r(8)).unwrap();
        // Equal sizes: empty proof, equal roots. Empty to empty is trivially consistent.
        verify_consistency(TreeSize(8), TreeSize(8), &[], &r(8), &r(8)).unwrap();
        verify_consistency(TreeSize(0), TreeSize(0), &[], &empty_root(), &empty_root()).unwrap();

        // Rejections.
        let bad = |s1: u64, s2: u64, p: &[Sha256Hash], r1: &Sha256Hash, r2: &Sha256Hash| {
            verify_consistency(TreeSize(s1), TreeSize(s2), p, r1, r2).unwrap_err()
        };
        assert_eq!(
            bad(0, 8, &[], &empty_root(), &r(8)),
            TlogError::BadSizes {
                size1: TreeSize(0),
                size2: TreeSize(8)
            }
        );
        assert!(matches!(
            bad(8, 3, &p3_8, &r(8), &r(3)),
            TlogError::BadSizes { .. }
        ));
        assert!(matches!(
            bad(8, 8, &p4_8, &r(8), &r(8)),
            TlogError::ProofLength { .. }
        ));
        assert_eq!(bad(8, 8, &[], &r(8), &r(7)), TlogError::RootMismatch);
        assert!(matches!(
            bad(3, 8, &p3_8[..3], &r(3), &r(8)),
            TlogError::ProofLength { .. }
        ));
        assert!(matches!(
            bad(3, 8, &[], &r(3), &r(8)),
            TlogError::ProofLength { .. }
        ));
        let huge = vec![p3_8[0]; limits::MAX_PROOF_HASHES + 1];
        assert!(matches!(
            bad(3, u64::MAX, &huge, &r(3), &r(8)),
            TlogError::ProofLength { .. }
        ));
        assert_eq!(bad(3, 8, &p3_8, &r(3), &r(7)), TlogError::RootMismatch);
        assert_eq!(bad(3, 8, &p3_8, &r(4), &r(8)), TlogError::RootMismatch);
        assert_eq!(bad(4, 8, &p4_8, &r(4), &r(7)), TlogError::RootMismatch);
    }

    /// Sizes near 2^64 (attacker-controlled in bundles) are handled without overflow.
    #[test]
    fn extreme_sizes_do_not_overflow() {
        let x = Sha256Hash([9; 32]);
        let expected = |r: Result<(), TlogError>| match r {
            Err(TlogError::ProofLength { expected, .. }) => expected,
            other => panic!("{other:?}"),
        };
        let big = [
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            (1 << 63) + 1,
            (1 << 63) - 1,
        ];
        for size in big {
            for index in [0, 1, size / 2, size - 2, size - 1] {
                let (i, s) = (LogIndex(index), TreeSize(size));
                let n = expected(verify_inclusion(i, s, &x, &[], &x));
                assert!(n <= 64);
                let proof = vec![x; n];
                assert_eq!(
                    verify_inclusion(i, s, &x, &proof, &x),
                    Err(TlogError::RootMismatch)
                );
            }
            for size1 in [1, 3, size / 2, size - 1] {
                let (s1, s2) = (TreeSize(size1), TreeSize(size));
                let n = expected(verify_consistency(s1, s2, &[], &x, &x));
                assert!(n <= limits::MAX_PROOF_HASHES);
                let proof = vec![x; n];
                assert_eq!(
                    verify_consistency(s1, s2, &proof, &x, &x),
                    Err(TlogError::RootMismatch)
                );
            }
        }
        // Every proof length against a spread of sizes: errors only, never a panic.
        for size in big.into_iter().chain([1, 2, 3, 1000]) {
            for len in 0..=limits::MAX_PROOF_HASHES + 1 {
                let proof = vec![x; len];
                let _ = verify_inclusion(LogIndex(size / 3), TreeSize(size), &x, &proof, &x);
                let _ = verify_consistency(TreeSize(size / 3), TreeSize(size), &proof, &x, &x);
            }
        }
    }
}
