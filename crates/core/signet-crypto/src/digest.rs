use aws_lc_rs::digest as lc;
use signet_types::Sha256Hash;

/// Digest algorithms that appear in Sigstore material.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    pub(crate) fn lc(self) -> &'static lc::Algorithm {
        match self {
            Self::Sha256 => &lc::SHA256,
            Self::Sha384 => &lc::SHA384,
            Self::Sha512 => &lc::SHA512,
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// Digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        lc::digest(self.lc(), data).as_ref().to_vec()
    }

    /// Every algorithm, strongest last.
    pub const ALL: [Self; 3] = [Self::Sha256, Self::Sha384, Self::Sha512];

    /// The lower-case name in-toto subjects and `<alg>:<hex>` digests use (`sha256`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// The algorithm called `name` (as [`Self::name`] spells it, any case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }
}

/// Several digests of one input computed in a single pass (a file read once, hashed by every
/// algorithm a verifier may need).
pub struct DigestStream(Vec<(HashAlgorithm, lc::Context)>);

impl DigestStream {
    /// A hasher for each of `algorithms` (repeats are computed once).
    pub fn new(algorithms: &[HashAlgorithm]) -> Self {
        let mut v: Vec<(HashAlgorithm, lc::Context)> = Vec::new();
        for &a in algorithms {
            if !v.iter().any(|(b, _)| *b == a) {
                v.push((a, lc::Context::new(a.lc())));
            }
        }
        Self(v)
    }

    /// Feeds more bytes to every hasher.
    pub fn update(&mut self, data: &[u8]) {
        for (_, c) in &mut self.0 {
            c.update(data);
        }
    }

    /// Each algorithm with its digest, in the order first given.
    pub fn finish(self) -> Vec<(HashAlgorithm, Vec<u8>)> {
        self.0
            .into_iter()
            .map(|(a, c)| (a, c.finish().as_ref().to_vec()))
            .collect()
    }
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Sha256Hash {
    let d = lc::digest(&lc::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    Sha256Hash(out)
}

/// Incremental SHA-256, for hashing files in chunks.
#[derive(Clone)]
pub struct Sha256Stream(lc::Context);

impl Default for Sha256Stream {
    fn default() -> Self {
        Self(lc::Context::new(&lc::SHA256))
    }
}

impl Sha256Stream {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds more bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// Finishes and returns the digest.
    pub fn finish(self) -> Sha256Hash {
        let d = self.0.finish();
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Sha256Hash(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_gives_each_algorithms_digest() {
        let mut st = DigestStream::new(&[
            HashAlgorithm::Sha512,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha512,
        ]);
        st.update(b"ab");
        st.update(b"c");
        let out = st.finish();
        assert_eq!(
            out,
            vec![
                (HashAlgorithm::Sha512, HashAlgorithm::Sha512.digest(b"abc")),
                (HashAlgorithm::Sha256, sha256(b"abc").as_bytes().to_vec()),
            ]
        );
        // FIPS 180-2 test vector for SHA-512("abc").
        assert_eq!(
            out[0].1[..8],
            [0xdd, 0xaf, 0x35, 0xa1, 0x93, 0x61, 0x7a, 0xba]
        );
        for a in HashAlgorithm::ALL {
            assert_eq!(HashAlgorithm::from_name(&a.name().to_uppercase()), Some(a));
        }
        assert_eq!(HashAlgorithm::from_name("sha1"), None);
    }

    #[test]
    fn known_answers() {
        assert_eq!(
            sha256(b"").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let mut s = Sha256Stream::new();
        s.update(b"a");
        s.update(b"bc");
        assert_eq!(
            s.finish().to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(HashAlgorithm::Sha384.digest(b"abc").len(), 48);
    }
}
