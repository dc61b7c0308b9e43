#![no_main]
//! Manifests and indexes read from registries (legacy `.sig` manifests, referrers indexes,
//! image indexes): never a panic; appending to a parsed manifest or index gives one that reads
//! back with the new entry in it.
use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use signet_oci::manifest::{
    LegacyLayer, fallback_index_add, index_children, index_manifests, legacy_layers,
    legacy_manifest,
};
use signet_oci::{ImageDigest, media};

fuzz_target!(|data: &[u8]| {
    let _ = index_children(data);
    let layers = legacy_layers(data);
    let layer = LegacyLayer {
        media_type: media::SIMPLE_SIGNING.to_string(),
        payload: b"{}".to_vec(),
        annotations: BTreeMap::from([("k".to_string(), "v".to_string())]),
    };
    if let Ok(Some(m)) = legacy_manifest(Some(data), &layer) {
        let after = legacy_layers(&m.bytes).expect("an appended manifest reads back");
        let before = layers.map(|l| l.len()).unwrap_or(0);
        assert_eq!(after.len(), before + 1);
        assert_eq!(
            after.last().map(|l| l.digest().to_string()),
            Some(ImageDigest::of(b"{}").to_string())
        );
    }
    let _ = index_manifests(data);
    let referrer = signet_oci::manifest::descriptor(media::OCI_MANIFEST, 2, &ImageDigest::of(b"r"))
        .expect("a descriptor");
    if let Ok(Some(index)) = fallback_index_add(Some(data), &referrer) {
        let listed = index_manifests(&index).expect("an updated index reads back");
        assert!(listed.iter().any(|d| d.digest() == referrer.digest()));
        assert_eq!(fallback_index_add(Some(&index), &referrer).ok(), Some(None));
    }
});
