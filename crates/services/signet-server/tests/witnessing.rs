//! A witnessed checkpoint kept in a tree's store is served again after a restart only if it is
//! a checkpoint of that tree: signed by its key, for a size it holds, with its root at that size.
//! A fork's checkpoint (same key and tree ID, another root) or one beyond the tree is refused and
//! the log's own newest checkpoint is served instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use signet_crypto::SigningKey;
use signet_log::{LogStore, ShardedLog};
use signet_server::witnessing::{META_WITNESSED, Witnessing};
use signet_testkit::log_trees::{forked_trees, proposal};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_checkpoint_of_the_tree_is_served_again() {
    let dir = tempfile::tempdir().unwrap();
    let signer = SigningKey::generate_p256().unwrap();
    let (a, fork) = forked_trees(
        &dir.path().join("a"),
        &dir.path().join("b"),
        &signer,
        &["s0", "s1", "s2"],
    )
    .await;
    let at3 = a.log_info().signed_tree_head;
    for n in ["a3", "a4"] {
        a.add(&proposal(&signer, n)).await.unwrap();
    }
    for n in ["b3", "b4"] {
        fork.add(&proposal(&signer, n)).await.unwrap();
    }
    let fork_at5 = fork.log_info().signed_tree_head;
    for n in ["b5", "b6"] {
        fork.add(&proposal(&signer, n)).await.unwrap();
    }
    let fork_at7 = fork.log_info().signed_tree_head;
    let a = Arc::new(ShardedLog::single(a));
    let tree = a.active().log();
    // Its own older checkpoint: fine. The fork's (same key and origin; another root at the
    // tree's size, or a size beyond the tree), or garbage: refused.
    assert_eq!(tree.check_own_checkpoint(&at3).await.unwrap().size().0, 3);
    let e = tree.check_own_checkpoint(&fork_at5).await.unwrap_err();
    assert!(
        e.to_string().contains("root at size 5 is not the tree's"),
        "{e}"
    );
    let e = tree.check_own_checkpoint(&fork_at7).await.unwrap_err();
    assert!(e.to_string().contains("7 entries, the tree 5"), "{e}");
    let head = tree.head().checkpoint.clone();
    assert!(tree.check_own_checkpoint(&head).await.is_ok());
    assert!(tree.check_own_checkpoint("not a note").await.is_err());

    // Kept in the store: the fork's checkpoint is not served; the tree's own is.
    let open = || Witnessing::open(a.clone(), "test log", Vec::new(), Duration::from_secs(60));
    for forged in [&fork_at5, &fork_at7] {
        tree.store().set_meta(META_WITNESSED, forged).await.unwrap();
        assert_eq!(open().await.unwrap().checkpoint(), head);
    }
    tree.store().set_meta(META_WITNESSED, &at3).await.unwrap();
    assert_eq!(open().await.unwrap().checkpoint(), at3);
}
