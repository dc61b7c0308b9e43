//! The CA and the CT log together, wired as the server wires them ([`InProcessCt`]): a leaf with
//! an embedded SCT from our own log verifies with the verifier's independent code (path
//! validation, SCT check), and the CT log refuses what it must.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use signet_ca::fulcio::CtSubmitter;
use signet_ca::{CaChain, ExtValue, Identity, LeafSan};
use signet_server::ca::InProcessCt;
use signet_types::UnixSeconds;
use signet_x509::{Certificate, Purpose, TrustAnchorChain, verify_chain, verify_embedded_scts};

fn identity() -> Identity {
    Identity {
        san: LeafSan::Uri(
            "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main".into(),
        ),
        extensions: vec![
            (
                "1.3.6.1.4.1.57264.1.1".into(),
                ExtValue::Raw("https://token.actions.githubusercontent.com".into()),
            ),
            (
                "1.3.6.1.4.1.57264.1.8".into(),
                ExtValue::Utf8("https://token.actions.githubusercontent.com".into()),
            ),
        ],
    }
}

async fn leaf_with_embedded_sct_verifies_independently(backend: signet_log::Backend) {
    let dir = std::env::temp_dir().join(format!("signet-ca-ct-{}", rand::random::<u64>()));
    let now = time::OffsetDateTime::now_utc();
    let (ca, _, _) = CaChain::generate("signet test", now).unwrap();
    let ct = Arc::new(
        signet_ct::CtLog::open(
            &backend,
            &dir,
            vec![ca.root().clone()],
            Arc::new(signet_log::SystemClock),
        )
        .await
        .unwrap(),
    );
    let leaf_key = signet_crypto::SigningKey::generate_p256().unwrap();
    let pending = ca
        .precertificate(leaf_key.public_key().spki_der(), &identity(), now)
        .unwrap();
    let chain = ca.ct_chain(&pending);
    let sct_list = InProcessCt(ct.clone())
        .add_pre_chain(chain.clone())
        .await
        .unwrap();
    let leaf = Certificate::from_der(&ca.finish(pending, &sct_list).unwrap()).unwrap();

    // SCT: verified with the log's key by signet-x509 (the verifier's code path).
    let ct_key = ct.public_key().clone();
    let ct_id = ct.log_id();
    let scts = verify_embedded_scts(&leaf, ca.intermediate(), &|id, _| {
        (*id == ct_id).then(|| ct_key.clone())
    })
    .unwrap();
    assert_eq!(scts.len(), 1);
    // Path validation at issuance time, for code signing.
    let anchor = TrustAnchorChain::new(vec![ca.intermediate().clone(), ca.root().clone()]).unwrap();
    let t = UnixSeconds(leaf.not_before().0 + 1);
    verify_chain(
        &leaf,
        &[],
        std::slice::from_ref(&anchor),
        t,
        Purpose::CodeSigning,
    )
    .unwrap();
    // ... and not after the ten minutes.
    assert!(
        verify_chain(
            &leaf,
            &[],
            &[anchor],
            UnixSeconds(t.0 + 601),
            Purpose::CodeSigning
        )
        .is_err()
    );

    // The entry is in the CT log: its leaf hash has an inclusion proof to the signed head.
    let sth = ct.signed_tree_head().unwrap();
    assert_eq!(sth.tree_size, 1);

    // Refusals: a final certificate (no poison), a chain from another CA, a truncated chain.
    let e = ct
        .add_pre_chain(&[leaf.der().to_vec(), chain[1].clone(), chain[2].clone()])
        .await
        .unwrap_err();
    assert!(e.to_string().contains("poison"), "{e}");
    let (other, _, _) = CaChain::generate("other", now).unwrap();
    let p2 = other
        .precertificate(leaf_key.public_key().spki_der(), &identity(), now)
        .unwrap();
    let e = ct.add_pre_chain(&other.ct_chain(&p2)).await.unwrap_err();
    assert!(e.to_string().contains("root"), "{e}");
    let e = ct.add_pre_chain(&chain[..1]).await.unwrap_err();
    assert_eq!(e.status(), 400);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The CT log on both backends: embedded SQLite, and a database of a throwaway PostgreSQL
/// cluster (logs named by their directory's full path).
mod leaf_with_embedded_sct_verifies_independently {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::leaf_with_embedded_sct_verifies_independently(signet_log::Backend::Embedded).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let url = signet_testkit::postgres::database();
        let backend = signet_log::Backend::postgres(&url, std::path::Path::new("/"))
            .await
            .unwrap();
        super::leaf_with_embedded_sct_verifies_independently(backend).await
    }
}
