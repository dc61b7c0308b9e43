/// Everything that can go wrong while configuring issuers, verifying a token or turning its
/// claims into a certificate identity.
///
/// The variants are distinct so that callers (and tests) can tell the failures apart. A CA
/// should still answer clients with one generic message (Fulcio: "There was an error processing
/// the identity token") and log the detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// The token (or a JWKS / discovery document) is not well-formed.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The token's `iss` matches no configured issuer.
    #[error("failed to match issuer URL {0} from token with any configured providers")]
    UnknownIssuer(String),
    /// The JWS header names an algorithm that is not accepted (e.g. `none`, `HS256`).
    #[error("unsupported token signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// No key of the issuer's JWKS fits the token's `kid` and algorithm.
    #[error("no key in the issuer's key set matches the token")]
    UnknownKey,
    /// The signature does not verify.
    #[error("token signature is invalid")]
    BadSignature,
    /// `aud` does not contain the issuer's client id.
    #[error("token audience does not contain the expected client id")]
    WrongAudience,
    /// `exp` has passed.
    #[error("token has expired")]
    Expired,
    /// `nbf` or `iat` lies in the future.
    #[error("token is not yet valid")]
    NotYetValid,
    /// `iss` is not the expected issuer.
    #[error("token issuer does not match the configured issuer")]
    WrongIssuer,
    /// A required claim is absent or has the wrong type.
    #[error("token lacks required claim {0}")]
    MissingClaim(String),
    /// An email-type issuer sent an email whose `email_verified` is not true.
    #[error("email address is not verified")]
    EmailNotVerified,
    /// The claims do not form a valid identity for the issuer's type.
    #[error("invalid identity: {0}")]
    InvalidIdentity(String),
    /// The issuer configuration is invalid.
    #[error("invalid issuer configuration: {0}")]
    Config(String),
    /// OpenID discovery or JWKS retrieval failed (network, status, size, content).
    #[error("OIDC discovery failed: {0}")]
    Discovery(String),
}
