//! MySQL packets a server refuses, through a real proxy: a command larger than the proxy's
//! `max_client_message_bytes` (its max_allowed_packet) gets ERR 1153 as MariaDB sends it (the
//! rest of the packet read and dropped first, so the client, still writing, gets the ERR and
//! not a reset connection), and a HandshakeResponse with CLIENT_SSL set but sent in plaintext
//! gets ERR 1043 "Bad handshake" as MariaDB answers (a client that asked for TLS must not be
//! served without it).

mod common;

use std::process::Command;

use articdbm_wire_mysql::auth::scramble::native_scramble;
use common::mysql::{MyDb, NAT_PW, Raw, mysql_toml, parse_err, start};
use common::pki::Pki;
use common::{Setup, within};

/// A statement of about `len` bytes through the mysql CLI (which allows 64 MiB packets);
/// returns (success, stdout, stderr).
async fn mysql_cli_big(port: u16, db: &str, len: usize) -> (bool, String, String) {
    let args = vec![
        "--protocol=TCP".to_owned(),
        "-h".to_owned(),
        "127.0.0.1".to_owned(),
        "-P".to_owned(),
        port.to_string(),
        "-u".to_owned(),
        "nat".to_owned(),
        format!("-p{NAT_PW}"),
        "--skip-ssl".to_owned(),
        "--batch".to_owned(),
        "--skip-column-names".to_owned(),
        "--max-allowed-packet=64M".to_owned(),
        "--connect-timeout=10".to_owned(),
        "-D".to_owned(),
        db.to_owned(),
    ];
    let sql = format!("SELECT LENGTH('{}');\n", "x".repeat(len));
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = Command::new("mysql")
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the mysql client (Debian package mariadb-client) runs");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(sql.as_bytes());
        }
        child.wait_with_output().expect("mysql output")
    })
    .await
    .expect("join");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn oversized_command_gets_err_1153_like_mariadb() {
    let db = MyDb::create().await;
    let setup = Setup::new("transaction")
        .toml(&mysql_toml(&db))
        .env("ARTICDBM_PROXY__MAX_CLIENT_MESSAGE_BYTES", "1048576");
    let p = start(setup).await;
    // Under the limit: served.
    let (ok, out, err) = within(60, mysql_cli_big(p.port, &db.name, 512 << 10)).await;
    assert!(ok, "{err}");
    assert_eq!(out.trim(), (512 << 10).to_string());
    // Over it (one packet, then several 16 MiB ones): the server's own error, not a reset.
    for len in [2 << 20, 40 << 20] {
        let (ok, _, err) = within(60, mysql_cli_big(p.port, &db.name, len)).await;
        assert!(!ok);
        assert!(
            err.contains(
                "ERROR 1153 (08S01) at line 1: Got a packet bigger than 'max_allowed_packet' bytes"
            ),
            "{len} bytes: {err}"
        );
    }
}

/// A HandshakeResponse41 for `nat` (native scramble) with `extra` capability bits.
fn response(nonce: &[u8], extra: u32) -> Vec<u8> {
    // PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH, PLUGIN_AUTH_LENENC_CLIENT_DATA, LONG_PASSWORD
    let caps: u32 = 0x0000_0200 | 0x0000_8000 | 0x0008_0000 | 0x0020_0000 | 0x1 | extra;
    let mut p = Vec::new();
    p.extend_from_slice(&caps.to_le_bytes());
    p.extend_from_slice(&(16u32 << 20).to_le_bytes());
    p.push(45);
    p.extend_from_slice(&[0; 23]);
    p.extend_from_slice(b"nat\0");
    let scramble = native_scramble(NAT_PW.as_bytes(), nonce);
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

const CLIENT_SSL: u32 = 0x0000_0800;

#[tokio::test]
async fn ssl_flag_in_a_plaintext_handshake_response_is_refused() {
    let db = MyDb::create().await;
    let pki = Pki::new();
    let tls = pki.tls_toml().replace("\"required\"", "\"optional\"");
    let setup = Setup::new("session").toml(&mysql_toml(&db)).toml(&tls).env(
        "ARTICDBM_AUTH__MYSQL_DEFAULT_PLUGIN",
        "mysql_native_password",
    );
    let p = start(setup).await;

    // Without the flag, a plaintext login is fine (TLS is optional).
    let mut c = Raw::connect(p.port).await;
    let (_, greeting) = c.packet().await.expect("greeting");
    c.send(&packet(1, &response(&nonce_of(&greeting), 0))).await;
    let (seq, ok) = c.packet().await.expect("reply");
    assert_eq!((seq, ok[0]), (2, 0x00), "{ok:?}");

    // With it, in plaintext: refused as MariaDB does.
    let mut c = Raw::connect(p.port).await;
    let (_, greeting) = c.packet().await.expect("greeting");
    c.send(&packet(1, &response(&nonce_of(&greeting), CLIENT_SSL)))
        .await;
    let (seq, err) = c.packet().await.expect("ERR");
    let (code, state, msg) = parse_err(&err);
    assert_eq!(
        (seq, code, state.as_str(), msg.as_str()),
        (2, 1043, "08S01", "Bad handshake")
    );
    assert!(c.closed().await);
}
