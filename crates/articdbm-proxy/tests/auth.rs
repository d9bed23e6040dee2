//! Client authentication at the proxy: SCRAM-SHA-256 and md5 users with right and wrong
//! passwords, unknown users (all 28P01 alike), and TLS with full certificate verification
//! against a test CA (`mode = "required"` refuses plaintext with 28000).

mod common;

use common::pki::Pki;
use common::{ADMIN_PW, ALICE_PW, BOB_PW, DB, Setup, code_of, current_user, unique, within};
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_are_checked() {
    let proxy = Setup::new("transaction").size(1).start().await;
    // Right passwords.
    for (user, pw) in [("alice", ALICE_PW), ("bob", BOB_PW)] {
        let c = within(10, proxy.try_connect(user, pw, DB))
            .await
            .unwrap_or_else(|e| panic!("{user} logs in: {e}"));
        let who = current_user(&c.client).await;
        assert_eq!(who, "postgres", "backend role of database db");
    }
    // Wrong passwords, an unknown user, an empty password: 28P01 each, same message shape.
    for (user, pw) in [
        ("alice", "wrong"),
        ("alice", BOB_PW),
        ("bob", "wrong"),
        ("bob", ALICE_PW),
        ("mallory", "anything"),
        ("alice", ""),
    ] {
        let r = within(10, proxy.try_connect(user, pw, DB))
            .await
            .map(|_| ());
        let e = r.expect_err("login must fail");
        let db = e
            .as_db_error()
            .unwrap_or_else(|| panic!("{user} / {pw:?}: not a server error: {e:?}"));
        assert_eq!(db.code(), &SqlState::INVALID_PASSWORD, "{user} / {pw:?}");
        assert_eq!(
            db.message(),
            format!("password authentication failed for user \"{user}\"")
        );
    }
    assert!(
        proxy
            .state
            .counters
            .auth_failures
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 6
    );
    // The failures did not disturb the proxy.
    let r = proxy.try_connect("admin", ADMIN_PW, DB).await;
    assert!(r.is_ok(), "admin logs in: {:?}", r.err());
}

/// A database the user may not use (42501), one the proxy does not know (3D000), and one whose
/// backend database does not exist (08004 naming the server's 3D000).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_permissions_and_unknown_databases() {
    let v = articdbm_wire_pg::auth::ScramVerifier::generate("carol-pw", 4096).to_string();
    let missing = unique("nodb");
    let proxy = Setup::new("transaction")
        .size(1)
        .toml(&format!(
            "[users.carol]\npassword = \"{v}\"\ndatabases = [\"other\"]\n\n\
             [databases.other]\ndbname = \"{missing}\"\nuser = \"postgres\"\n"
        ))
        .start()
        .await;
    let r = proxy.try_connect("carol", "carol-pw", DB).await.map(|_| ());
    assert_eq!(code_of(r), SqlState::INSUFFICIENT_PRIVILEGE);
    let r = proxy
        .try_connect("alice", ALICE_PW, "nosuch")
        .await
        .map(|_| ());
    assert_eq!(code_of(r), SqlState::INVALID_CATALOG_NAME);
    let r = proxy
        .try_connect("carol", "carol-pw", "other")
        .await
        .map(|_| ());
    let e = r.expect_err("backend database missing");
    let db = e.as_db_error().expect("server error");
    assert_eq!(
        db.code(),
        &SqlState::SQLSERVER_REJECTED_ESTABLISHMENT_OF_SQLCONNECTION
    );
    // The client is told its database is not available, never the backend's name or error
    // (those are in the proxy's log).
    assert!(db.message().contains("\"other\""), "{}", db.message());
    assert!(!db.message().contains(&missing), "{}", db.message());
}

/// A tokio-postgres TLS connector that trusts only the test CA.
fn tls_connector(pki: &Pki) -> tokio_postgres_rustls::MakeRustlsConnect {
    tokio_postgres_rustls::MakeRustlsConnect::new(pki.client_config())
}

fn tls_config(port: u16) -> tokio_postgres::Config {
    let mut c = tokio_postgres::Config::new();
    c.host("localhost")
        .hostaddr(std::net::IpAddr::from([127, 0, 0, 1]))
        .port(port)
        .user("alice")
        .password(ALICE_PW)
        .dbname(DB)
        .ssl_mode(SslMode::Require)
        .connect_timeout(std::time::Duration::from_secs(10));
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_required_with_verified_certificate() {
    let pki = Pki::new();
    let proxy = Setup::new("transaction")
        .size(1)
        .toml(&pki.tls_toml())
        .start()
        .await;

    // Verified TLS (the certificate chains to our CA and names "localhost"): works.
    let (client, connection) = within(10, tls_config(proxy.port).connect(tls_connector(&pki)))
        .await
        .expect("TLS connection with a verified certificate");
    tokio::spawn(connection);
    let n: i32 = client
        .query_one("SELECT 41 + $1", &[&1i32])
        .await
        .expect("query over TLS")
        .get(0);
    assert_eq!(n, 42);
    assert!(proxy.state.clients().iter().any(|c| c.tls));

    // A client trusting another CA refuses the proxy's certificate.
    let other = Pki::new();
    let r = within(10, tls_config(proxy.port).connect(tls_connector(&other))).await;
    assert!(r.is_err(), "certificate from an untrusted CA accepted");

    // The certificate does not name 127.0.0.1: verify-full against the IP fails.
    let mut by_ip = tls_config(proxy.port);
    by_ip.host("127.0.0.1");
    let r = within(10, by_ip.connect(tls_connector(&pki))).await;
    assert!(
        r.is_err(),
        "certificate accepted for a name it does not carry"
    );

    // Garbage instead of a TLS handshake after the proxy said 'S': the connection just ends.
    let mut ssl = Vec::new();
    ssl.extend_from_slice(&8u32.to_be_bytes());
    ssl.extend_from_slice(&80_877_103u32.to_be_bytes());
    let mut raw = tokio::net::TcpStream::connect(("127.0.0.1", proxy.port))
        .await
        .expect("connect");
    tokio::io::AsyncWriteExt::write_all(&mut raw, &ssl)
        .await
        .expect("send");
    let mut answer = [0u8; 1];
    tokio::io::AsyncReadExt::read_exact(&mut raw, &mut answer)
        .await
        .expect("answer");
    assert_eq!(&answer, b"S");
    tokio::io::AsyncWriteExt::write_all(&mut raw, b"\x16\x03\x01\x00\x05hello garbage")
        .await
        .expect("send garbage");
    let mut rest = Vec::new();
    let _ = within(
        10,
        tokio::io::AsyncReadExt::read_to_end(&mut raw, &mut rest),
    )
    .await;
    let (client, connection) = within(10, tls_config(proxy.port).connect(tls_connector(&pki)))
        .await
        .expect("TLS still works after a broken handshake");
    tokio::spawn(connection);
    client.simple_query("SELECT 1").await.expect("query");

    // Plaintext is refused with 28000.
    let mut plain = tls_config(proxy.port);
    plain.ssl_mode(SslMode::Disable);
    let r = within(10, plain.connect(tokio_postgres::NoTls))
        .await
        .map(|_| ());
    assert_eq!(code_of(r), SqlState::INVALID_AUTHORIZATION_SPECIFICATION);
    let mut prefer = tls_config(proxy.port);
    prefer.ssl_mode(SslMode::Prefer);
    // NoTls cannot upgrade: prefer falls back to plaintext, which is refused too.
    let r = within(10, prefer.connect(tokio_postgres::NoTls))
        .await
        .map(|_| ());
    assert_eq!(code_of(r), SqlState::INVALID_AUTHORIZATION_SPECIFICATION);
}
