#![no_main]
//! Identity-token and JWKS parsing must never panic, and no input verifies against a key set
//! it was not signed for.
use libfuzzer_sys::fuzz_target;
use signet_oidc::{Issuer, IssuerType, IssuerUrl, Jwks};

fuzz_target!(|data: &[u8]| {
    let _ = Jwks::from_json(data);
    if let Ok(token) = std::str::from_utf8(data) {
        let _ = signet_oidc::unverified_issuer(token);
        let jwks = Jwks::from_json(
            br#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k","alg":"ES256","use":"sig",
                "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#,
        );
        if let Ok(jwks) = jwks {
            let issuer = Issuer::new(
                IssuerUrl::Exact("https://issuer.example".into()),
                IssuerType::Email,
            );
            assert!(signet_oidc::verify(token, &issuer, &jwks, 1_700_000_000, 60).is_err());
        }
    }
});
