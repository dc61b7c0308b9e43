//! Public keys, digests and signature verification for signet, on AWS-LC (`aws-lc-rs`).
//!
//! Keys are read from DER `SubjectPublicKeyInfo` (RFC 5280) or PEM. The algorithm is taken from
//! the SPKI, never from the signature or the caller, so an ECDSA key cannot be confused for RSA.
//! Verification is offered over a message, or over a precomputed digest (needed when a user
//! verifies `sha256:<hex>` instead of a file). Its only I/O is reading files whole, through one
//! capped reader ([`read_capped`]) and the private key loader built on it ([`read_private_key_file`]),
//! and writing key files ([`write_private_key_file`], [`create_private_key_file`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
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

mod capped;
mod digest;
mod key;
mod keyfile;
mod pem_text;
mod signing;

pub use capped::{ReadFileError, read_capped, read_capped_string};
pub use digest::{DigestStream, HashAlgorithm, Sha256Stream, sha256};
pub use key::{CryptoError, KeyAlgorithm, PublicKey, Scheme};
pub use keyfile::{
    KeyFileError, PRIVATE_KEY_MODE, check_private_key_file, create_new_file,
    create_private_key_file, is_atomic_temporary, read_private_key_file, write_file_atomically,
    write_private_key_file,
};
pub use pem_text::{certificate_pem, pem_encode};
pub use signing::{ExternalSigner, SigningKey, SigningKeyError};
