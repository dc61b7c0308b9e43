use regex::Regex;
use signet_crypto::{HashAlgorithm, PublicKey};
use signet_types::Sha256Hash;

/// How to compare a certificate value against what the user expects.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Matcher {
    /// Byte-for-byte equality.
    Exact(String),
    /// A regular expression, unanchored (as cosign's RE2 flags are).
    Regex(Regex),
}

impl Matcher {
    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(s) => s == value,
            Self::Regex(r) => r.is_match(value),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Exact(s) => format!("{s:?}"),
            Self::Regex(r) => format!("a match for /{}/", r.as_str()),
        }
    }
}

/// Who must have signed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Identity {
    /// Keyless: the certificate's SAN and OIDC issuer must match.
    Certificate {
        /// Expected SAN (email, URI or otherName value).
        san: Matcher,
        /// Expected OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8 / 1.1).
        issuer: Matcher,
    },
    /// Managed key: the bundle must be signed by this key.
    Key(PublicKey),
}

impl Identity {
    pub(crate) fn check_certificate(
        &self,
        sans: &[String],
        issuer: Option<&str>,
    ) -> Result<(), String> {
        match self {
            Self::Certificate { san, issuer: want_issuer } => {
                if !sans.iter().any(|s| san.matches(s)) {
                    return Err(format!(
                        "expected certificate identity {}, got {}",
                        san.describe(),
                        if sans.is_empty() { "no identity".to_string() } else { format!("{sans:?}") }
                    ));
                }
                match issuer {
                    Some(i) if want_issuer.matches(i) => Ok(()),
                    Some(i) => Err(format!(
                        "expected OIDC issuer {}, got {i:?}",
                        want_issuer.describe()
                    )),
                    None => Err("certificate has no OIDC issuer extension".to_string()),
                }
            }
            Self::Key(_) => Err(
                "the bundle is signed with a certificate, but a public key was given to verify with"
                    .to_string(),
            ),
        }
    }
}

/// What was signed.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Artifact<'a> {
    /// The artifact bytes.
    Bytes(&'a [u8]),
    /// Only the SHA-256 digest of the artifact (e.g. `sha256:<hex>` on the command line, or a
    /// file hashed by streaming).
    Digest(Sha256Hash),
    /// Digests of the artifact by one or more algorithms (`sha512:<hex>` on the command line,
    /// or a file hashed in one pass by every algorithm its in-toto subjects use). A message
    /// signature needs the SHA-256 one; an in-toto subject is compared on the algorithms it
    /// shares with these.
    Digests(&'a [ArtifactDigest]),
}

/// One digest of the artifact: an algorithm and a value of its length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactDigest {
    algorithm: HashAlgorithm,
    value: Vec<u8>,
}

impl ArtifactDigest {
    /// `value` as a digest by `algorithm`, if its length is that algorithm's.
    pub fn new(algorithm: HashAlgorithm, value: Vec<u8>) -> Option<Self> {
        (value.len() == algorithm.output_len()).then_some(Self { algorithm, value })
    }

    /// Parses `<alg>:<hex>` for `sha256`, `sha384` or `sha512`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, hex_value) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?} is not <algorithm>:<hex>"))?;
        let algorithm = HashAlgorithm::from_name(name)
            .ok_or_else(|| format!("unsupported digest algorithm {name:?}"))?;
        hex::decode(hex_value)
            .ok()
            .and_then(|v| Self::new(algorithm, v))
            .ok_or_else(|| {
                format!(
                    "{text:?} is not a {}:<{} hex digits> digest",
                    algorithm.name(),
                    algorithm.output_len().saturating_mul(2)
                )
            })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// The digest bytes.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// The SHA-256 digest, if this is one.
    pub fn sha256(&self) -> Option<Sha256Hash> {
        match self.algorithm {
            HashAlgorithm::Sha256 => Sha256Hash::from_slice(&self.value).ok(),
            _ => None,
        }
    }
}

impl std::fmt::Display for ArtifactDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), hex::encode(&self.value))
    }
}

/// A complete verification policy: the signer identity and the artifact.
#[derive(Clone, Debug)]
pub struct Policy<'a> {
    /// Who must have signed.
    pub identity: Identity,
    /// What must have been signed.
    pub artifact: Artifact<'a>,
}
