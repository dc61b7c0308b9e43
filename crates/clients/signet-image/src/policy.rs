//! `verify-attestation --policy`: cosign's Rego policies, evaluated with `regorus` (Microsoft's
//! Rego interpreter). As in cosign, the policy is a Rego module of `package signature` whose
//! rule `allow` must be `true` for each verified attestation, with the attestation's in-toto
//! statement as `input`. Rego v0 syntax (what cosign's examples and users write) is accepted,
//! and v1 syntax with `import rego.v1`.

use crate::ImageError;
use signet_oci::verify::VerifiedImageSignature;

/// The rule cosign queries.
const RULE: &str = "data.signature.allow";

/// A parsed Rego policy.
#[derive(Clone, Debug)]
pub struct RegoPolicy {
    name: String,
    engine: regorus::Engine,
}

impl RegoPolicy {
    /// Parses `text` (named `name` in messages).
    pub fn parse(name: &str, text: &str) -> Result<Self, ImageError> {
        let bad = |e: String| ImageError::Policy(format!("{name}: {e}"));
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(true);
        engine
            .add_policy(name.to_string(), text.to_string())
            .map_err(|e| bad(e.to_string()))?;
        if !engine
            .get_packages()
            .map_err(|e| bad(e.to_string()))?
            .iter()
            .any(|p| p == "data.signature")
        {
            return Err(bad(
                "the policy must be `package signature` with a rule `allow` (as for cosign)"
                    .to_string(),
            ));
        }
        Ok(Self {
            name: name.to_string(),
            engine,
        })
    }

    /// Whether the policy allows `statement` (the in-toto statement as JSON); an undefined
    /// `allow` is a refusal.
    pub fn allows(&self, statement: &serde_json::Value) -> Result<bool, ImageError> {
        let bad = |e: String| ImageError::Policy(format!("{}: {e}", self.name));
        let mut engine = self.engine.clone();
        let input = regorus::Value::from_json_str(&statement.to_string())
            .map_err(|e| bad(e.to_string()))?;
        engine.set_input(input);
        let v = engine
            .eval_rule(RULE.to_string())
            .map_err(|e| bad(e.to_string()))?;
        Ok(v == regorus::Value::Bool(true))
    }

    /// Checks every attestation of `verified` against the policy: each must be allowed (as
    /// cosign does); the error names the ones that are not.
    pub fn check_all(
        &self,
        image: &str,
        verified: &[VerifiedImageSignature],
    ) -> Result<(), ImageError> {
        let mut refused = Vec::new();
        for (i, v) in verified.iter().enumerate() {
            let Some(statement) = statement_of(v) else {
                refused.push(format!("attestation {i}: no in-toto statement"));
                continue;
            };
            if !self.allows(&statement)? {
                let t = statement
                    .get("predicateType")
                    .and_then(|t| t.as_str())
                    .unwrap_or("?");
                refused.push(format!("attestation {i} ({t})"));
            }
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(ImageError::Policy(format!(
                "{image}: the policy {} does not allow {}",
                self.name,
                refused.join(", ")
            )))
        }
    }
}

/// The in-toto statement of a verified attestation (its DSSE payload), as JSON.
pub fn statement_of(v: &VerifiedImageSignature) -> Option<serde_json::Value> {
    let payload = v.output.get("payload")?.as_str()?;
    let bytes = signet_types::b64::decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const V0: &str = r#"package signature

default allow = false

allow {
    input.predicateType == "https://slsa.dev/provenance/v1"
    input.predicate.runDetails.builder.id == "https://example.com/builder"
}
"#;

    #[test]
    fn cosign_style_policies() {
        let p = RegoPolicy::parse("p.rego", V0).unwrap();
        let ok = serde_json::json!({
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {"runDetails": {"builder": {"id": "https://example.com/builder"}}},
        });
        assert!(p.allows(&ok).unwrap());
        let mut other = ok.clone();
        other["predicate"]["runDetails"]["builder"]["id"] = "https://evil.example".into();
        assert!(!p.allows(&other).unwrap());
        assert!(!p.allows(&serde_json::json!({})).unwrap());
        // v1 syntax with the import; an undefined allow refuses.
        let v1 = "package signature\nimport rego.v1\nallow if input.x == 1\n";
        let p = RegoPolicy::parse("v1.rego", v1).unwrap();
        assert!(p.allows(&serde_json::json!({"x": 1})).unwrap());
        assert!(!p.allows(&serde_json::json!({"x": 2})).unwrap());
        // Not a policy cosign would run.
        assert!(RegoPolicy::parse("q.rego", "package other\nallow = true\n").is_err());
        assert!(RegoPolicy::parse("bad.rego", "package signature\nallow {").is_err());
    }
}
