//! RFC 6962 wire structures: SCTs (§3.2), the embedded SCT-list extension (§3.3), the Merkle
//! tree leaf (§3.4) and the tree head signature (§3.5). The codec is `signet-x509`'s (one SCT
//! codec, beside its parser); this module adds the CT API's JSON form of an SCT.

use signet_types::b64;
pub use signet_x509::sct::{
    HASH_SHA256, SIG_ECDSA, Sct, SctError, digitally_signed, precert_merkle_leaf,
    sct_list_extension, tree_head_signed_data,
};

/// certificate-transparency-go's `AddChainResponse` JSON (the body of `add-pre-chain`).
pub trait AddChainResponse {
    /// The response body for this SCT.
    fn to_add_chain_response(&self) -> Result<serde_json::Value, SctError>;
}

impl AddChainResponse for Sct {
    fn to_add_chain_response(&self) -> Result<serde_json::Value, SctError> {
        Ok(serde_json::json!({
            "sct_version": 0,
            "id": b64::encode(self.log_id.as_bytes()),
            "timestamp": self.timestamp_ms,
            "extensions": b64::encode(&self.extensions),
            "signature": b64::encode(self.digitally_signed()?),
        }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A v1 SCT from log `[7; 32]` at 1692374735120 ms, ECDSA-SHA256, a 4-byte signature.
    fn sample() -> Sct {
        let mut tls = vec![0];
        tls.extend_from_slice(&[7; 32]);
        tls.extend_from_slice(&1_692_374_735_120u64.to_be_bytes());
        tls.extend_from_slice(&[0, 0, HASH_SHA256, SIG_ECDSA, 0, 4, 0x30, 0x02, 0x01, 0x02]);
        Sct::from_tls(&tls).unwrap()
    }

    #[test]
    fn add_chain_response_shape() {
        let j = sample().to_add_chain_response().unwrap();
        assert_eq!(j["sct_version"], 0);
        assert_eq!(j["timestamp"], 1_692_374_735_120u64);
        let sig = b64::decode(j["signature"].as_str().unwrap()).unwrap();
        assert_eq!(&sig[..4], &[4, 3, 0, 4]);
    }
}
