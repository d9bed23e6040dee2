//! User enumeration from the login steps, both protocols, through a real proxy: an unknown
//! user must go through the same steps as some known user would, and always the same ones for
//! the same name (a probe repeated cannot tell them apart). The test proxy's users cover each
//! kind: over MySQL `nat` (mysql_native verifier: AuthSwitchRequest), `sha` (caching_sha2
//! verifier: the answer at once) and the PostgreSQL-only users (full authentication); over
//! PostgreSQL `bob` (md5 challenge) and `alice`/`admin` (SCRAM).

mod common;

use common::Setup;
use common::mysql::{MyDb, Raw, mysql_toml, start};
use common::raw;

/// The first thing a MySQL client logging in as `user` with caching_sha2_password (a wrong
/// password) hears after its HandshakeResponse: 'E' ERR, 'S' AuthSwitchRequest, 'F' full
/// authentication asked (AuthMoreData 0x04).
async fn mysql_first_step(port: u16, user: &str) -> char {
    let mut c = Raw::connect(port).await;
    c.packet().await.expect("greeting");
    // PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH, LENENC data, LONG_PASSWORD
    let caps: u32 = 0x0000_0200 | 0x0000_8000 | 0x0008_0000 | 0x0020_0000 | 0x1;
    let mut p = Vec::new();
    p.extend_from_slice(&caps.to_le_bytes());
    p.extend_from_slice(&(16u32 << 20).to_le_bytes());
    p.push(45);
    p.extend_from_slice(&[0; 23]);
    p.extend_from_slice(user.as_bytes());
    p.push(0);
    p.push(32);
    p.extend_from_slice(&[0x5a; 32]);
    p.extend_from_slice(b"caching_sha2_password\0");
    let mut packet = (p.len() as u32).to_le_bytes()[..3].to_vec();
    packet.push(1);
    packet.extend_from_slice(&p);
    c.send(&packet).await;
    let (_, reply) = c.packet().await.expect("a reply to the handshake response");
    match (reply.first(), reply.get(1)) {
        (Some(0xFF), _) => 'E',
        (Some(0xFE), _) => 'S',
        (Some(0x01), Some(0x04)) => 'F',
        other => panic!("{user}: unexpected reply {other:?} {reply:?}"),
    }
}

/// The authentication request a PostgreSQL client logging in as `user` gets: 5 (md5) or 10
/// (SASL).
async fn pg_first_step(port: u16, user: &str) -> i32 {
    let mut c = raw::Raw::tcp(port).await;
    c.startup(&[("user", user), ("database", common::DB)]).await;
    let f = c.recv().await.expect("an authentication request");
    assert_eq!(f.tag(), b'R', "{user}: {f:?}");
    let body = f.body();
    i32::from_be_bytes([body[0], body[1], body[2], body[3]])
}

#[tokio::test]
async fn unknown_mysql_users_go_through_known_users_steps() {
    let db = MyDb::create().await;
    let p = start(Setup::new("session").toml(&mysql_toml(&db))).await;
    assert_eq!(mysql_first_step(p.port, "nat").await, 'S');
    assert_eq!(mysql_first_step(p.port, "sha").await, 'E');
    assert_eq!(mysql_first_step(p.port, "alice").await, 'F');
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..60 {
        let name = format!("nobody_{i}");
        let step = mysql_first_step(p.port, &name).await;
        assert_eq!(
            mysql_first_step(p.port, &name).await,
            step,
            "{name}: a repeated probe saw other steps"
        );
        *seen.entry(step).or_insert(0) += 1;
    }
    // Each kind of known user is 1 in 5 or more: 60 unknown names show every kind.
    assert_eq!(
        seen.keys().collect::<String>(),
        "EFS",
        "unknown users' first steps: {seen:?}"
    );
}

#[tokio::test]
async fn unknown_pg_users_go_through_known_users_steps() {
    let db = MyDb::create().await;
    let p = start(Setup::new("session").toml(&mysql_toml(&db))).await;
    assert_eq!(pg_first_step(p.pg_port, "bob").await, 5);
    assert_eq!(pg_first_step(p.pg_port, "alice").await, 10);
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..60 {
        let name = format!("nobody_{i}");
        let step = pg_first_step(p.pg_port, &name).await;
        assert_eq!(
            pg_first_step(p.pg_port, &name).await,
            step,
            "{name}: a repeated probe saw other steps"
        );
        *seen.entry(step).or_insert(0) += 1;
    }
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        vec![5, 10],
        "unknown users' first steps: {seen:?}"
    );
}
