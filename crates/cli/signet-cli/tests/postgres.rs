//! `signet server --database postgres://…` on a throwaway PostgreSQL cluster: keyless signing
//! and verification work, the logs' entries are in the database (no `log.sqlite`), a restart
//! serves the same tree; an unusable database stops the server before anything starts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

mod common;

use common::{output_text as text, signet_in as signet};

fn start(data: &Path, db: &str) -> common::Listening {
    let d = data.to_str().unwrap();
    common::Listening::start(
        &[
            "server",
            "--dev-oidc",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            d,
            "--database",
            db,
        ],
        &[],
    )
}

/// (tree size, root hash) of the Rekor v1 log.
async fn head(url: &str) -> (i64, String) {
    let info: serde_json::Value = reqwest::get(format!("{url}/api/v1/log"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        info["treeSize"].as_i64().unwrap(),
        info["rootHash"].as_str().unwrap().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_on_postgres_signs_verifies_and_keeps_its_tree() {
    let cluster = signet_testkit::postgres::cluster();
    let db = cluster.database();
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let art = work.path().join("artifact");
    std::fs::write(&art, b"release bytes").unwrap();
    let (art, bundle) = (
        art.to_str().unwrap().to_string(),
        work.path().join("a.sigstore.json"),
    );
    let bundle = bundle.to_str().unwrap();

    let server = start(data.path(), &db);
    let url = server.url.clone();
    // A token of the running server's development issuer (its URL names the port), then
    // sign-blob with it.
    let sign = || {
        let o = signet(
            data.path(),
            &["oidc", "token", "--subject", "alice@example.com"],
        );
        assert!(o.status.success(), "{}", text(&o));
        let token = String::from_utf8(o.stdout).unwrap().trim().to_string();
        let o = signet(
            data.path(),
            &[
                "sign-blob",
                &art,
                "--identity-token",
                &token,
                "--bundle",
                bundle,
            ],
        );
        assert!(o.status.success(), "{}", text(&o));
    };
    sign();
    let issuer = format!("{url}/oidc");
    let verify = |url: &str| {
        signet(
            data.path(),
            &[
                "verify-blob",
                &art,
                "--bundle",
                bundle,
                "--rekor-url",
                url,
                "--certificate-identity",
                "alice@example.com",
                "--certificate-oidc-issuer",
                &issuer,
            ],
        )
    };
    let o = verify(&url);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Verified OK"), "{}", text(&o));
    let before = head(&url).await;
    assert_eq!(before.0, 1);

    // The entries are in the database, under each log's directory name; none in SQLite files.
    let names = cluster.psql(&db, "SELECT name || '=' || size FROM trees ORDER BY name");
    assert!(names.contains("ct=1") && names.contains("log=1"), "{names}");
    assert!(names.contains("log-v2=0"), "{names}");
    for d in ["log", "ct", "log-v2"] {
        assert!(data.path().join(d).join("log.key").exists());
        assert!(!data.path().join(d).join("log.sqlite").exists(), "{d}");
    }

    // Restarted on the same database: the same tree, and it verifies again and grows.
    drop(server);
    let server = start(data.path(), &db);
    let url2 = server.url.clone();
    assert_eq!(head(&url2).await, before);
    let o = verify(&url2);
    assert!(o.status.success(), "{}", text(&o));
    sign();
    assert_eq!(head(&url2).await.0, 2);
    drop(server);

    // The same data directory on an empty database: its recorded checkpoints name entries the
    // database does not hold, so it is refused rather than forked.
    let o = signet(
        data.path(),
        &[
            "server",
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            data.path().to_str().unwrap(),
            "--database",
            &cluster.database(),
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("refusing to open the log"),
        "{}",
        text(&o)
    );
}

/// A database that cannot be used (malformed URL, nothing listening, wrong password) stops
/// `signet server` with one line naming it and a non-zero exit, before the data directory is
/// created.
#[test]
fn an_unusable_database_stops_the_server_before_anything_starts() {
    let cluster = signet_testkit::postgres::cluster();
    let db = cluster.database();
    let name = db.rsplit('/').next().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cases = [
        (
            "postgres://u:p@127.0.0.1:notaport/x".to_string(),
            "invalid PostgreSQL URL",
        ),
        (
            format!("postgres://u:p@127.0.0.1:{free}/x"),
            &*format!("127.0.0.1:{free}/x"),
        ),
        (
            cluster.url_wrong_password(name),
            "password authentication failed",
        ),
    ];
    for (url, want) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let err = common::server_refuses_to_start(&data, &["--database", &url]);
        assert!(err.contains(want), "{want:?} not in {err}");
        assert!(err.contains("database"), "{err}");
        assert!(!data.exists(), "{url}: the data directory was created");
    }
}
