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
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&[1]);
    ctx.update(&left.0);
    ctx.update(&right.0);
    finish(ctx)
}

/// Root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Sha256Hash {
    finish(digest::Context::new(&digest::SHA256))
}

fn bit_len(x: u64) -> usize {
    (u64::BITS - x.leading_zeros()) as usize
}

/// Splits an inclusion proof length into (inner, border) counts (transparency-dev/merkle).
fn decomp_incl_proof(index: u64, size: u64) -> (usize, usize) {
    let inner = bit_len(index ^ (size - 1));
    let border = (index >> inner).count_ones() as usize;
    (inner, border)
}

fn chain_inner(seed: Sha256Hash, proof: &[Sha256Hash], index: u64) -> Sha256Hash {
    proof.iter().enumerate().fold(seed, |acc, (i, h)| {
        if (index >> i) & 1 == 0 {
            node_hash(&acc, h)
        } else {
            node_hash(h, &acc)
        }
    })
}

fn chain_inner_right(seed: Sha256Hash, proof: &[Sha256Hash], index: u64) -> Sha256Hash {
    proof.iter().enumerate().fold(seed, |acc, (i, h)| {
        if (index >> i) & 1 == 1 {
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
    if proof.len() != inner + border || proof.len() > limits::MAX_PROOF_HASHES {
        return Err(TlogError::ProofLength {
            expected: inner + border,
            actual: proof.len(),
        });
    }
    let res = chain_inner(*leaf, &proof[..inner], index.0);
    Ok(chain_border_right(res, &proof[inner..]))
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
    if s2 < s1 || (s1 == 0 && s2 > 0) {
        return Err(TlogError::BadSizes { size1, size2 });
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
    // s1 > 0 and s1 < s2 from here.
    let (inner, border) = decomp_incl_proof(s1 - 1, s2);
    let shift = s1.trailing_zeros() as usize;
    let inner = inner - shift;
    // Unless size1 is a power of two, the first proof element is the seed.
    let (seed, rest) = if s1 == 1u64 << shift {
        (*root1, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => {
                return Err(TlogError::ProofLength {
                    expected: 1 + inner + border,
                    actual: 0,
                });
            }
        }
    };
    if rest.len() != inner + border {
        let extra = usize::from(s1 != 1u64 << shift);
        return Err(TlogError::ProofLength {
            expected: inner + border + extra,
            actual: proof.len(),
        });
    }
    let mask = (s1 - 1) >> shift;
    let hash1 = chain_inner_right(seed, &rest[..inner], mask);
    let hash1 = chain_border_right(hash1, &rest[inner..]);
    if hash1 != *root1 {
        return Err(TlogError::RootMismatch);
    }
    let hash2 = chain_inner(seed, &rest[..inner], mask);
    let hash2 = chain_border_right(hash2, &rest[inner..]);
    if hash2 != *root2 {
        return Err(TlogError::RootMismatch);
    }
    Ok(())
}
