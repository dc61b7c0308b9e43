//! TLS to PostgreSQL (`sslmode`, `sslrootcert` in the URL, libpq's meanings): a throwaway
//! cluster started with `ssl=on` and a server certificate for `localhost` issued by a test CA
//! (rcgen), and one without TLS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use signet_log::{LogError, LogStore, PgDatabase};

use signet_testkit::postgres::tls_certificates as certificates;

/// Another CA's certificate (PEM): not the server's issuer.
fn other_ca() -> String {
    let (ca, _, _) = certificates();
    ca
}

/// `url` (`postgres://user:pw@127.0.0.1:port/db`) with `host` instead of 127.0.0.1 (reaching
/// 127.0.0.1 still) and `params` added.
fn with(url: &str, host: &str, params: &str) -> String {
    let url = url.replacen("@127.0.0.1:", &format!("@{host}:"), 1);
    format!("{url}?hostaddr=127.0.0.1&{params}")
}

/// `url` at `host` with `sslmode=mode&sslrootcert=root`.
fn verified(url: &str, host: &str, mode: &str, root: &str) -> String {
    with(url, host, &format!("sslmode={mode}&sslrootcert={root}"))
}

async fn connect(url: &str) -> Result<PgDatabase, LogError> {
    PgDatabase::connect(url).await
}

/// Connects, creates a log's store and writes to it: the connection works.
async fn serves(url: &str) {
    let db = connect(url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let store = db.store("log").await.unwrap();
    store.set_meta("probe", "1").await.unwrap();
    assert_eq!(store.meta("probe").await.unwrap().as_deref(), Some("1"));
}

/// The error of connecting to `url`: one line.
async fn refused(url: &str) -> String {
    let e = match connect(url).await {
        Ok(_) => panic!("{url} connected"),
        Err(e) => e.to_string(),
    };
    assert!(!e.contains('\n'), "{e}");
    e
}

fn write(dir: &Path, name: &str, pem: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, pem).unwrap();
    p.to_str().unwrap().to_string()
}

#[tokio::test]
async fn sslmode_and_sslrootcert_are_honoured() {
    let (ca, cert, key) = certificates();
    let cluster =
        signet_testkit::postgres::private_cluster_with_tls(&signet_testkit::postgres::ServerTls {
            cert_pem: &cert,
            key_pem: &key,
        });
    let url = cluster.database();
    let tmp = tempfile::tempdir().unwrap();
    let root = write(tmp.path(), "root.pem", &ca);
    let wrong = write(tmp.path(), "wrong.pem", &other_ca());

    // The right root, the certificate's name: verified and served.
    serves(&verified(&url, "localhost", "verify-full", &root)).await;
    // A root that did not issue the server's certificate.
    let e = refused(&verified(&url, "localhost", "verify-full", &wrong)).await;
    assert!(e.contains("TLS"), "{e}");
    assert!(e.contains("invalid peer certificate"), "{e}");
    // verify-ca checks the issuer as well.
    let e = refused(&verified(&url, "localhost", "verify-ca", &wrong)).await;
    assert!(
        e.contains("TLS") && e.contains("invalid peer certificate"),
        "{e}"
    );

    // 127.0.0.1 is not a name in the certificate: verify-full refuses, verify-ca does not
    // check names.
    let e = refused(&verified(&url, "127.0.0.1", "verify-full", &root)).await;
    assert!(e.contains("TLS"), "{e}");
    assert!(e.contains("not valid for name \"127.0.0.1\""), "{e}");
    serves(&verified(&url, "127.0.0.1", "verify-ca", &root)).await;
    // require: encrypted, the certificate not checked (libpq's meaning without a root file).
    serves(&with(&url, "127.0.0.1", "sslmode=require")).await;
    // require with a root file is verify-ca, as in libpq.
    let e = refused(&verified(&url, "localhost", "require", &wrong)).await;
    assert!(e.contains("invalid peer certificate"), "{e}");
    // The default (prefer) and disable connect too.
    serves(&url).await;
    serves(&with(&url, "127.0.0.1", "sslmode=disable")).await;
    // signet's sessions really are encrypted, or not, as asked (the server's view).
    let sessions = |ssl: bool| {
        cluster.psql(
            &url,
            &format!(
                "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.backend_type = 'client backend' AND a.application_name = '' \
                 AND s.ssl = {ssl}"
            ),
        )
    };
    let full = connect(&verified(&url, "localhost", "verify-full", &root))
        .await
        .unwrap();
    assert_ne!(sessions(true), "0");
    drop(full);
    let plain = connect(&with(&url, "127.0.0.1", "sslmode=disable"))
        .await
        .unwrap();
    assert_ne!(sessions(false), "0");
    drop(plain);
}

#[tokio::test]
async fn sslmode_require_fails_clearly_without_tls_on_the_server() {
    let url = signet_testkit::postgres::database();
    let e = refused(&format!("{url}?sslmode=require")).await;
    assert!(e.contains("TLS"), "{e}");
    // prefer falls back to plain TCP, as libpq does.
    serves(&format!("{url}?sslmode=prefer")).await;
}
