//! Protocol corners where the proxy must give the server's own answer, checked by sending the
//! same bytes to PostgreSQL directly and through the proxy: a Parse declaring 32,768..65,535
//! parameter types (the count is unsigned), a StartupMessage for protocol 3.x with x > 0 or with
//! `_pq_.` options (NegotiateProtocolVersion, then a normal session), and a Terminate sent before
//! any StartupMessage (the connection closes without a word).

mod common;

use articdbm_wire_pg::Frame;
use articdbm_wire_pg::auth::md5_response;
use articdbm_wire_pg::backend::Authentication;
use articdbm_wire_pg::frontend::password::write_password;
use bytes::BytesMut;
use common::raw::{self, Raw};
use common::{BOB_PW, DB, PG_PORT, Setup, within};

/// A Parse of `sql` declaring `count` parameters, all `int4`.
fn parse_with_types(name: &str, sql: &str, count: u16) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(name.as_bytes());
    b.push(0);
    b.extend_from_slice(sql.as_bytes());
    b.push(0);
    b.extend_from_slice(&count.to_be_bytes());
    for _ in 0..count {
        b.extend_from_slice(&23u32.to_be_bytes());
    }
    raw::msg(b'P', &b)
}

/// A Bind of `statement` with `count` NULL parameters, results in text.
fn bind_nulls(statement: &str, count: u16) -> Vec<u8> {
    let mut b = vec![0];
    b.extend_from_slice(statement.as_bytes());
    b.push(0);
    b.extend_from_slice(&0u16.to_be_bytes());
    b.extend_from_slice(&count.to_be_bytes());
    for _ in 0..count {
        b.extend_from_slice(&(-1i32).to_be_bytes());
    }
    b.extend_from_slice(&0u16.to_be_bytes());
    raw::msg(b'B', &b)
}

fn describe_statement(name: &str) -> Vec<u8> {
    let mut b = vec![b'S'];
    b.extend_from_slice(name.as_bytes());
    b.push(0);
    raw::msg(b'D', &b)
}

/// What a client sees for Parse + Describe + Bind + Execute + Sync of a statement declaring
/// `count` parameters: the message tags, the declared parameter count the server describes, and
/// the row.
async fn many_parameters(
    c: &mut Raw,
    name: &str,
    count: u16,
) -> (String, u16, Vec<Vec<Option<String>>>) {
    let bytes = [
        parse_with_types(name, "SELECT $1::int AS first", count),
        describe_statement(name),
        bind_nulls(name, count),
        raw::execute(""),
        raw::sync(),
    ]
    .concat();
    let frames = within(30, c.exchange(&bytes)).await;
    let described = frames
        .iter()
        .find(|f| f.tag() == b't')
        .map(|f| {
            let b = f.body();
            u16::from_be_bytes([b[0], b[1]])
        })
        .unwrap_or(0);
    (raw::tags(&frames), described, raw::rows(&frames))
}

async fn direct_raw() -> Raw {
    Raw::login(PG_PORT, "postgres", "", "test", &[])
        .await
        .unwrap_or_else(|e| panic!("direct login: {e:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parse_declaring_up_to_65535_parameters() {
    for mode in ["session", "transaction"] {
        let proxy = Setup::new(mode).size(1).start().await;
        let mut direct = direct_raw().await;
        let mut through = Raw::login(proxy.port, "bob", BOB_PW, DB, &[])
            .await
            .expect("login through the proxy");
        for (name, count) in [("", 32_768u16), ("many_named", 40_000), ("", 65_535)] {
            let expected = many_parameters(&mut direct, name, count).await;
            assert_eq!(
                expected.0, "1tT2DCZ",
                "PostgreSQL itself accepts {count} parameters"
            );
            assert_eq!(expected.1, count);
            let got = many_parameters(&mut through, name, count).await;
            assert_eq!(got, expected, "{mode} mode, {count} parameters");
            if !name.is_empty() {
                direct
                    .exchange(&[raw::close_statement(name), raw::sync()].concat())
                    .await;
                through
                    .exchange(&[raw::close_statement(name), raw::sync()].concat())
                    .await;
            }
        }
        // The session is still in step.
        let frames = through.exchange(&raw::query("SELECT 7")).await;
        assert_eq!(raw::rows(&frames), vec![vec![Some("7".to_string())]]);
    }
}

/// A StartupMessage with protocol version `major.minor` and these parameters.
fn startup_packet(minor: u16, params: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(3u32 << 16 | u32::from(minor)).to_be_bytes());
    for (k, v) in params {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut p = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    p.extend_from_slice(&body);
    p
}

/// Sends `packet`, answers an md5 challenge with `password`, and returns every message up to
/// the first ReadyForQuery (or until the connection closes).
async fn login_with(port: u16, packet: &[u8], user: &str, password: &str) -> (Raw, Vec<Frame>) {
    let mut c = Raw::tcp(port).await;
    c.send(packet).await.expect("send startup");
    let mut frames = Vec::new();
    while let Some(f) = c.recv().await {
        if f.tag() == b'R'
            && let Ok(Authentication::Md5Password { salt }) = Authentication::decode(&f)
        {
            let mut out = BytesMut::new();
            write_password(&mut out, md5_response(user, password, salt).as_bytes());
            c.send(&out).await.expect("send password");
        }
        let done = matches!(f.tag(), b'Z' | b'E');
        frames.push(f);
        if done {
            break;
        }
    }
    (c, frames)
}

/// The NegotiateProtocolVersion message among `frames`, as (version, options).
fn negotiation(frames: &[Frame]) -> Option<(u32, Vec<String>)> {
    let f = frames.iter().find(|f| f.tag() == b'v')?;
    let b = f.body();
    let version = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let n = u32::from_be_bytes([b[4], b[5], b[6], b[7]]) as usize;
    let options: Vec<String> = b[8..]
        .split(|&c| c == 0)
        .take(n)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    Some((version, options))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_protocol_minor_is_negotiated_down() {
    let proxy = Setup::new("transaction").size(1).start().await;
    let cases: [(u16, &[(&str, &str)]); 4] = [
        (2, &[]),
        (9999, &[]),
        (0, &[("_pq_.test_option", "1")]),
        (2, &[("_pq_.a", "x"), ("_pq_.b", "y")]),
    ];
    for (minor, extra) in cases {
        let mut direct_params = vec![("user", "postgres"), ("database", "test")];
        direct_params.extend_from_slice(extra);
        let (_, direct) = login_with(
            PG_PORT,
            &startup_packet(minor, &direct_params),
            "postgres",
            "",
        )
        .await;
        let expected = negotiation(&direct);
        assert!(
            expected.is_some(),
            "3.{minor} {extra:?}: the server negotiates"
        );
        assert_eq!(direct.last().map(Frame::tag), Some(b'Z'));

        let mut params = vec![("user", "bob"), ("database", DB)];
        params.extend_from_slice(extra);
        let (mut c, frames) =
            login_with(proxy.port, &startup_packet(minor, &params), "bob", BOB_PW).await;
        assert_eq!(negotiation(&frames), expected, "3.{minor} {extra:?}");
        assert_eq!(
            frames.last().map(Frame::tag),
            Some(b'Z'),
            "3.{minor}: login completes: {frames:?}"
        );
        let frames = c.exchange(&raw::query("SELECT 'negotiated'")).await;
        assert_eq!(
            raw::rows(&frames),
            vec![vec![Some("negotiated".to_string())]]
        );
    }
    // A plain 3.0 startup gets no negotiation message.
    let (_, frames) = login_with(
        proxy.port,
        &startup_packet(0, &[("user", "bob"), ("database", DB)]),
        "bob",
        BOB_PW,
    )
    .await;
    assert_eq!(negotiation(&frames), None);
    assert_eq!(frames.last().map(Frame::tag), Some(b'Z'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_before_startup_closes_silently() {
    let proxy = Setup::new("transaction").size(1).start().await;
    for port in [PG_PORT, proxy.port] {
        let mut c = Raw::tcp(port).await;
        c.send(&raw::terminate()).await.expect("send Terminate");
        let frames = within(10, c.until_closed()).await;
        assert!(frames.is_empty(), "port {port}: {frames:?}");
        // Also when the Terminate arrives in pieces.
        let mut c = Raw::tcp(port).await;
        let t = raw::terminate();
        c.send(&t[..2]).await.expect("send");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        c.send(&t[2..]).await.expect("send");
        let frames = within(10, c.until_closed()).await;
        assert!(frames.is_empty(), "port {port}, split: {frames:?}");
    }
}
