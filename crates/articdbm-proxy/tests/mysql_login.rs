//! MySQL front end, login phase, with a real client (mysql_async) and raw packets: both
//! auth plugins (fast path and wrong passwords), unknown users, caching_sha2 full
//! authentication over RSA and over TLS, TLS with a verified certificate, the TLS
//! requirement, database resolution and permissions, connection limits, bad input and the
//! login timeout. Tests marked "needs the session loop" run a statement after login.

mod common;

use std::time::Duration;

use articdbm_wire_mysql::auth::scramble::native_scramble;
use common::mysql::{
    MyDb, MyProxy, NAT_PW, Raw, SHA_PW, mysql_toml, parse_err, server_error, ssl_opts, start,
};
use common::pki::Pki;
use common::{ALICE_PW, Setup, within};
use mysql_async::prelude::Queryable;

async fn proxy(db: &MyDb) -> MyProxy {
    start(Setup::new("session").toml(&mysql_toml(db))).await
}

#[tokio::test]
async fn native_password_login_and_wrong_password() {
    let db = MyDb::create().await;
    let p = proxy(&db).await;
    let conn = p
        .connect("nat", NAT_PW, Some(&db.name))
        .await
        .expect("nat logs in");
    drop(conn);
    let (code, state, msg) = server_error(p.connect("nat", "wrong", Some(&db.name)).await);
    assert_eq!((code, state.as_str()), (1045, "28000"));
    assert_eq!(
        msg,
        "Access denied for user 'nat'@'127.0.0.1' (using password: YES)"
    );
    assert!(
        p.state
            .counters
            .auth_failures
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1
    );
}

#[tokio::test]
async fn caching_sha2_fast_auth_and_wrong_password() {
    let db = MyDb::create().await;
    let p = proxy(&db).await;
    p.connect("sha", SHA_PW, Some(&db.name))
        .await
        .expect("sha logs in");
    let (code, state, msg) = server_error(p.connect("sha", "nope", Some(&db.name)).await);
    assert_eq!((code, state.as_str()), (1045, "28000"));
    assert!(msg.starts_with("Access denied for user 'sha'@"), "{msg}");
}

#[tokio::test]
async fn unknown_user_and_empty_password() {
    let db = MyDb::create().await;
    let p = proxy(&db).await;
    let (code, state, msg) = server_error(p.connect("nobody", "x", Some(&db.name)).await);
    assert_eq!((code, state.as_str()), (1045, "28000"));
    assert_eq!(
        msg,
        "Access denied for user 'nobody'@'127.0.0.1' (using password: YES)"
    );
    let (code, _, msg) = server_error(p.connect("nat", "", Some(&db.name)).await);
    assert_eq!(code, 1045);
    assert!(msg.ends_with("(using password: NO)"), "{msg}");
}

#[tokio::test]
async fn plugin_switch_both_ways() {
    // The handshake announces mysql_native_password: `sha` is switched to caching_sha2.
    let db = MyDb::create().await;
    let setup = Setup::new("session").toml(&mysql_toml(&db)).env(
        "ARTICDBM_AUTH__MYSQL_DEFAULT_PLUGIN",
        "mysql_native_password",
    );
    let p = start(setup).await;
    p.connect("sha", SHA_PW, Some(&db.name))
        .await
        .expect("sha after a switch");
    p.connect("nat", NAT_PW, Some(&db.name))
        .await
        .expect("nat without a switch");
    assert_eq!(
        server_error(p.connect("sha", "bad", Some(&db.name)).await).0,
        1045
    );
}

#[tokio::test]
async fn rsa_full_auth_without_tls_for_a_scram_only_user() {
    let db = MyDb::create().await;
    let p = proxy(&db).await;
    // alice has only a PostgreSQL SCRAM verifier: caching_sha2 full authentication, the
    // client asks for the RSA public key and sends the encrypted password.
    p.connect("alice", ALICE_PW, Some(&db.name))
        .await
        .expect("alice over RSA");
    let (code, _, _) = server_error(p.connect("alice", "wrong", Some(&db.name)).await);
    assert_eq!(code, 1045);
}

#[tokio::test]
async fn tls_verified_login_and_cleartext_full_auth() {
    let pki = Pki::new();
    let db = MyDb::create().await;
    let p = start(
        Setup::new("session")
            .toml(&mysql_toml(&db))
            .toml(&pki.tls_toml()),
    )
    .await;
    let opts = p
        .opts("sha", SHA_PW, Some(&db.name))
        .ssl_opts(Some(ssl_opts(&pki.ca_pem)));
    p.connect_opts(opts).await.expect("sha over verified TLS");
    let opts = p
        .opts("alice", ALICE_PW, Some(&db.name))
        .ssl_opts(Some(ssl_opts(&pki.ca_pem)));
    p.connect_opts(opts)
        .await
        .expect("alice full auth over TLS");
    // A client that does not trust the CA fails the handshake.
    let untrusted = Pki::new();
    let opts = p
        .opts("sha", SHA_PW, Some(&db.name))
        .ssl_opts(Some(ssl_opts(&untrusted.ca_pem)));
    assert!(p.connect_opts(opts).await.is_err());
}

#[tokio::test]
async fn tls_required_refuses_plaintext() {
    let pki = Pki::new();
    let db = MyDb::create().await;
    let p = start(
        Setup::new("session")
            .toml(&mysql_toml(&db))
            .toml(&pki.tls_toml()),
    )
    .await;
    let (code, state, msg) = server_error(p.connect("nat", NAT_PW, Some(&db.name)).await);
    assert_eq!((code, state.as_str()), (3159, "HY000"));
    assert!(msg.contains("insecure transport"), "{msg}");
}

#[tokio::test]
async fn database_resolution_and_permissions() {
    let db = MyDb::create().await;
    let p = proxy(&db).await;
    // No schema: the only MySQL database is used.
    p.connect("nat", NAT_PW, None)
        .await
        .expect("default database");
    // A PostgreSQL database over MySQL.
    let (code, state, msg) = server_error(p.connect("nat", NAT_PW, Some("db")).await);
    assert_eq!((code, state.as_str()), (1049, "42000"));
    assert!(msg.contains("PostgreSQL"), "{msg}");
    let (code, _, msg) = server_error(p.connect("nat", NAT_PW, Some("nosuchdb")).await);
    assert_eq!(code, 1049);
    assert_eq!(msg, "Unknown database 'nosuchdb'");
    // A MySQL database over PostgreSQL.
    let pg = tokio_postgres::Config::new()
        .host("127.0.0.1")
        .port(p.pg_port)
        .user("alice")
        .password(ALICE_PW)
        .dbname(&db.name)
        .connect(tokio_postgres::NoTls)
        .await;
    let err = pg.err().expect("refused");
    let db_err = err.as_db_error().expect("db error");
    assert_eq!(
        db_err.code(),
        &tokio_postgres::error::SqlState::INVALID_CATALOG_NAME
    );
    assert!(db_err.message().contains("MySQL"), "{}", db_err.message());
}

#[tokio::test]
async fn database_permission_denied() {
    let db = MyDb::create().await;
    let nat = articdbm_wire_mysql::auth::NativeVerifier::from_password(b"pw");
    let setup = Setup::new("session").toml(&mysql_toml(&db)).toml(&format!(
        "[users.narrow]\nmysql_password = \"{nat}\"\ndatabases = [\"db\"]\n"
    ));
    let p = start(setup).await;
    let (code, state, msg) = server_error(p.connect("narrow", "pw", Some(&db.name)).await);
    assert_eq!((code, state.as_str()), (1044, "42000"));
    assert_eq!(
        msg,
        format!(
            "Access denied for user 'narrow'@'127.0.0.1' to database '{}'",
            db.name
        )
    );
}

#[tokio::test]
async fn two_mysql_databases_login_without_a_schema() {
    let db = MyDb::create().await;
    let other = MyDb::create().await;
    let setup = Setup::new("session").toml(&mysql_toml(&db)).toml(&format!(
        "[databases.{}]\nkind = \"mysql\"\nuser = \"root\"\n",
        other.name
    ));
    let p = start(setup).await;
    // Accepted as MySQL does; a statement that needs a database gets 1046.
    let mut c = p.connect("nat", NAT_PW, None).await.expect("no schema");
    let (code, state, _) = server_error(c.query_drop("SELECT * FROM t").await);
    assert_eq!((code, state.as_str()), (1046, "3D000"));
    p.connect("nat", NAT_PW, Some(&other.name))
        .await
        .expect("explicit schema");
}

#[tokio::test]
async fn too_many_connections_is_1040_before_the_handshake() {
    let db = MyDb::create().await;
    let setup = Setup::new("session")
        .toml(&mysql_toml(&db))
        .env("ARTICDBM_PROXY__MAX_CLIENT_CONNECTIONS", "1");
    let p = start(setup).await;
    let mut first = Raw::connect(p.port).await;
    let (seq, greeting) = first.packet().await.expect("greeting");
    assert_eq!((seq, greeting[0]), (0, 10));
    let mut second = Raw::connect(p.port).await;
    let (seq, err) = second.packet().await.expect("ERR");
    assert_eq!(seq, 0);
    assert_eq!(
        parse_err(&err),
        (1040, String::new(), "Too many connections".into())
    );
    assert!(second.closed().await);
    drop(first);
    // The slot is free again.
    within(10, async {
        loop {
            if p.connect("nat", NAT_PW, Some(&db.name)).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
}

/// A HandshakeResponse41 for `user` with a native scramble of `password`.
fn response(user: &str, password: &str, nonce: &[u8]) -> Vec<u8> {
    let caps: u32 = 0x0000_0200 | 0x0000_8000 | 0x0008_0000 | 0x0020_0000 | 0x1; // 41, secure, plugin, lenenc, long pw
    let mut p = Vec::new();
    p.extend_from_slice(&caps.to_le_bytes());
    p.extend_from_slice(&(16u32 << 20).to_le_bytes());
    p.push(45);
    p.extend_from_slice(&[0; 23]);
    p.extend_from_slice(user.as_bytes());
    p.push(0);
    let scramble = native_scramble(password.as_bytes(), nonce);
    p.push(scramble.len() as u8);
    p.extend_from_slice(&scramble);
    p.extend_from_slice(b"mysql_native_password\0");
    p
}

fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut v = len.to_le_bytes()[..3].to_vec();
    v.push(seq);
    v.extend_from_slice(payload);
    v
}

/// The nonce of a raw greeting.
fn nonce_of(greeting: &[u8]) -> Vec<u8> {
    let after_version = greeting[1..].iter().position(|&b| b == 0).expect("version") + 2;
    let part1 = &greeting[after_version + 4..after_version + 12];
    let rest = &greeting[after_version + 13 + 18..];
    let mut nonce = part1.to_vec();
    nonce.extend_from_slice(&rest[..12]);
    nonce
}

#[tokio::test]
async fn raw_native_login_then_bad_input_is_refused_and_others_still_served() {
    let db = MyDb::create().await;
    let setup = Setup::new("session").toml(&mysql_toml(&db)).env(
        "ARTICDBM_AUTH__MYSQL_DEFAULT_PLUGIN",
        "mysql_native_password",
    );
    let p = start(setup).await;

    // A hand-made native login is accepted (the raw client is right).
    let mut c = Raw::connect(p.port).await;
    let (_, greeting) = c.packet().await.expect("greeting");
    let nonce = nonce_of(&greeting);
    c.send(&packet(1, &response("nat", NAT_PW, &nonce))).await;
    let (seq, ok) = c.packet().await.expect("reply");
    assert_eq!((seq, ok[0]), (2, 0x00), "{ok:?}");

    // Garbage (an HTTP request): its "length" is far over the login limit.
    let mut c = Raw::connect(p.port).await;
    c.packet().await.expect("greeting");
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let (_, err) = c.packet().await.expect("ERR");
    assert_eq!(parse_err(&err).0, 1153);
    assert!(c.closed().await);

    // Oversized length.
    let mut c = Raw::connect(p.port).await;
    c.packet().await.expect("greeting");
    c.send(&[0xff, 0xff, 0xff, 1]).await;
    let (_, err) = c.packet().await.expect("ERR");
    let (code, state, _) = parse_err(&err);
    assert_eq!((code, state.as_str()), (1153, "08S01"));

    // Wrong sequence id.
    let mut c = Raw::connect(p.port).await;
    let (_, greeting) = c.packet().await.expect("greeting");
    let nonce = nonce_of(&greeting);
    c.send(&packet(7, &response("nat", NAT_PW, &nonce))).await;
    let (_, err) = c.packet().await.expect("ERR");
    let (code, state, msg) = parse_err(&err);
    assert_eq!(
        (code, state.as_str(), msg.as_str()),
        (1156, "08S01", "Got packets out of order")
    );
    assert!(c.closed().await);

    // Malformed response (too short).
    let mut c = Raw::connect(p.port).await;
    c.packet().await.expect("greeting");
    c.send(&packet(1, &[0x00, 0x02, 0x00])).await;
    let (_, err) = c.packet().await.expect("ERR");
    assert_eq!(parse_err(&err).0, 1043);

    // Cut packet: announced 200 bytes, 10 sent, then gone.
    let mut c = Raw::connect(p.port).await;
    c.packet().await.expect("greeting");
    c.send(&[200, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).await;
    drop(c);

    // Random bytes of every kind, many times over.
    for i in 0..20u8 {
        let mut c = Raw::connect(p.port).await;
        c.packet().await.expect("greeting");
        let noise: Vec<u8> = (0..64u8)
            .map(|j| j.wrapping_mul(31).wrapping_add(i * 7))
            .collect();
        c.send(&noise).await;
        drop(c);
    }
    // A real client is still served.
    p.connect("nat", NAT_PW, Some(&db.name))
        .await
        .expect("still serving");
}

#[tokio::test]
async fn idle_login_times_out() {
    let db = MyDb::create().await;
    let setup = Setup::new("session")
        .toml(&mysql_toml(&db))
        .env("ARTICDBM_PROXY__AUTH_TIMEOUT_SECS", "1");
    let p = start(setup).await;
    let mut c = Raw::connect(p.port).await;
    c.packet().await.expect("greeting");
    assert!(c.closed().await, "closed after the login deadline");
}

/// Needs the session loop (crate::mysql::session): a statement after login.
#[tokio::test]
async fn statement_after_login_needs_session() {
    let db = MyDb::create().await;
    let p = proxy(&db).await;
    let mut conn = p
        .connect("nat", NAT_PW, Some(&db.name))
        .await
        .expect("login");
    let one: Option<i64> = within(20, conn.query_first("SELECT 1"))
        .await
        .expect("SELECT 1");
    assert_eq!(one, Some(1));
    let schema: Option<String> = within(20, conn.query_first("SELECT DATABASE()"))
        .await
        .expect("DATABASE()");
    assert_eq!(schema.as_deref(), Some(db.name.as_str()));
}

/// Needs the session loop: a held session counts against the user's max_connections.
#[tokio::test]
async fn per_user_connection_limit_needs_session() {
    let db = MyDb::create().await;
    let nat = articdbm_wire_mysql::auth::NativeVerifier::from_password(b"pw");
    let setup = Setup::new("session").toml(&mysql_toml(&db)).toml(&format!(
        "[users.one]\nmysql_password = \"{nat}\"\nmax_connections = 1\n"
    ));
    let p = start(setup).await;
    let first = p.connect("one", "pw", Some(&db.name)).await.expect("first");
    let (code, state, _) = server_error(p.connect("one", "pw", Some(&db.name)).await);
    assert_eq!((code, state.as_str()), (1203, "42000"));
    drop(first);
}
