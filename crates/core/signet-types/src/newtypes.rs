use core::fmt;

/// A SHA-256 digest. Used for artifact digests, Merkle nodes, log IDs and key IDs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Hash(pub [u8; 32]);

/// Why a byte string or hex string could not be read as a [`Sha256Hash`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashParseError {
    /// The input had the wrong length.
    #[error("expected a 32-byte SHA-256 value, got {actual} bytes")]
    Length {
        /// Length that was supplied.
        actual: usize,
    },
    /// The input was not hexadecimal.
    #[error("SHA-256 value is not valid hex")]
    Hex,
}

impl Sha256Hash {
    /// Length of the digest in bytes.
    pub const LEN: usize = 32;

    /// Reads a digest from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, HashParseError> {
        <[u8; 32]>::try_from(bytes)
            .map(Self)
            .map_err(|_| HashParseError::Length {
                actual: bytes.len(),
            })
    }

    /// Reads a digest from 64 hex characters (either case).
    pub fn from_hex(s: &str) -> Result<Self, HashParseError> {
        if s.len() != 64 {
            return Err(HashParseError::Length {
                actual: s.len() / 2,
            });
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| HashParseError::Hex)?;
        Ok(Self(out))
    }

    /// Lowercase hex encoding.
    pub fn to_hex(&self) -> String {
        // Table-driven into a fixed buffer: `hex::encode` goes through a char iterator and was
        // 2% of a log append (a response carries about twenty hashes).
        let mut buf = [0u8; 64];
        match hex::encode_to_slice(self.0, &mut buf) {
            Ok(()) => String::from_utf8(buf.to_vec()).unwrap_or_else(|_| hex::encode(self.0)),
            Err(_) => hex::encode(self.0),
        }
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl AsRef<[u8]> for Sha256Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Sha256Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Hash({})", self.to_hex())
    }
}

impl fmt::Display for Sha256Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Zero-based position of a leaf in a transparency log (RFC 6962 `m`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct LogIndex(pub u64);

/// Number of leaves in a transparency-log tree (RFC 6962 `n`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct TreeSize(pub u64);

/// Seconds since the Unix epoch, UTC. All verification times are passed around as this type.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct UnixSeconds(pub i64);

impl fmt::Display for LogIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for TreeSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for UnixSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let h = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
        assert_eq!(Sha256Hash::from_hex(h).unwrap().to_hex(), h);
        assert!(Sha256Hash::from_hex(&h[..62]).is_err());
        assert!(Sha256Hash::from_hex(&h.replace('a', "g")).is_err());
        assert!(Sha256Hash::from_slice(&[0u8; 31]).is_err());
    }
}
