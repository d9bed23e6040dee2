//! A raw PostgreSQL client over a `TcpStream` for what drivers cannot do: exact byte sequences,
//! malformed input, chosen statement names, and many cheap idle connections. Messages are built
//! by hand; replies are read with the wire crate's `FrameDecoder`.

use std::time::Duration;

use articdbm_wire_pg::auth::{ScramClient, md5_response};
use articdbm_wire_pg::backend::{Authentication, ErrorFields};
use articdbm_wire_pg::frontend::password::{
    SaslInitialResponse, write_password, write_sasl_response,
};
use articdbm_wire_pg::startup::StartupParams;
use articdbm_wire_pg::{Frame, FrameDecoder};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One typed message: tag, length, body.
pub fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 5);
    v.push(tag);
    v.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    v.extend_from_slice(body);
    v
}

fn cstr(v: &mut Vec<u8>, s: &str) {
    v.extend_from_slice(s.as_bytes());
    v.push(0);
}

pub fn query(sql: &str) -> Vec<u8> {
    let mut b = Vec::new();
    cstr(&mut b, sql);
    msg(b'Q', &b)
}

/// Parse without parameter types.
pub fn parse(name: &str, sql: &str) -> Vec<u8> {
    let mut b = Vec::new();
    cstr(&mut b, name);
    cstr(&mut b, sql);
    b.extend_from_slice(&0u16.to_be_bytes());
    msg(b'P', &b)
}

/// Bind without parameters, all results in text.
pub fn bind(portal: &str, statement: &str) -> Vec<u8> {
    let mut b = Vec::new();
    cstr(&mut b, portal);
    cstr(&mut b, statement);
    b.extend_from_slice(&0u16.to_be_bytes());
    b.extend_from_slice(&0u16.to_be_bytes());
    b.extend_from_slice(&0u16.to_be_bytes());
    msg(b'B', &b)
}

pub fn execute(portal: &str) -> Vec<u8> {
    let mut b = Vec::new();
    cstr(&mut b, portal);
    b.extend_from_slice(&0u32.to_be_bytes());
    msg(b'E', &b)
}

pub fn close_statement(name: &str) -> Vec<u8> {
    let mut b = vec![b'S'];
    cstr(&mut b, name);
    msg(b'C', &b)
}

pub fn sync() -> Vec<u8> {
    msg(b'S', &[])
}

pub fn terminate() -> Vec<u8> {
    msg(b'X', &[])
}

/// Bind, Execute and Sync of a named statement (the unnamed portal).
pub fn run_statement(name: &str) -> Vec<u8> {
    [bind("", name), execute(""), sync()].concat()
}

/// A CancelRequest packet.
pub fn cancel_request(process_id: i32, secret: i32) -> Vec<u8> {
    let mut v = Vec::with_capacity(16);
    v.extend_from_slice(&16u32.to_be_bytes());
    v.extend_from_slice(&80_877_102u32.to_be_bytes());
    v.extend_from_slice(&process_id.to_be_bytes());
    v.extend_from_slice(&secret.to_be_bytes());
    v
}

pub struct Raw {
    pub stream: TcpStream,
    buf: BytesMut,
    decoder: FrameDecoder,
    /// BackendKeyData (process id, secret) received at login.
    pub key: Option<(i32, i32)>,
    /// The ParameterStatus values (name, value) reported at login, in order.
    pub reported: Vec<(String, String)>,
}

impl Raw {
    pub async fn tcp(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect to the proxy");
        Raw {
            stream,
            buf: BytesMut::with_capacity(4096),
            decoder: FrameDecoder::new(1 << 30),
            key: None,
            reported: Vec::new(),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// The next message; `None` when the peer closed (or reset) the connection. Panics after
    /// 15 s without one.
    pub async fn recv(&mut self) -> Option<Frame> {
        let wait = async {
            loop {
                match self.decoder.decode(&mut self.buf) {
                    Ok(Some(f)) => return Some(f),
                    Ok(None) => {}
                    Err(e) => panic!("proxy sent an invalid frame: {e}"),
                }
                match self.stream.read_buf(&mut self.buf).await {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                }
            }
        };
        match tokio::time::timeout(Duration::from_secs(15), wait).await {
            Ok(f) => f,
            Err(_) => panic!("no message from the proxy within 15 s"),
        }
    }

    /// Messages up to and including ReadyForQuery; panics if the connection ends first.
    pub async fn until_ready(&mut self) -> Vec<Frame> {
        let mut frames = Vec::new();
        loop {
            let f = match self.recv().await {
                Some(f) => f,
                None => panic!("connection closed before ReadyForQuery; got {frames:?}"),
            };
            let done = f.tag() == b'Z';
            frames.push(f);
            if done {
                return frames;
            }
        }
    }

    /// Messages until the peer closes the connection (at most 15 s).
    pub async fn until_closed(&mut self) -> Vec<Frame> {
        let mut frames = Vec::new();
        while let Some(f) = self.recv().await {
            frames.push(f);
        }
        frames
    }

    pub async fn startup(&mut self, params: &[(&str, &str)]) {
        let mut buf = BytesMut::new();
        StartupParams {
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
        .write(&mut buf);
        self.send(&buf).await.expect("send startup");
    }

    /// Connects and logs in (md5 or SCRAM, whatever the proxy asks); `Err` carries the proxy's
    /// ErrorResponse.
    pub async fn login(
        port: u16,
        user: &str,
        password: &str,
        db: &str,
        extra: &[(&str, &str)],
    ) -> Result<Raw, ErrorFields> {
        let mut raw = Raw::tcp(port).await;
        let mut params = vec![("user", user), ("database", db)];
        params.extend_from_slice(extra);
        raw.startup(&params).await;
        let mut scram: Option<ScramClient> = None;
        let mut out = BytesMut::new();
        loop {
            let Some(f) = raw.recv().await else {
                panic!("connection closed during login");
            };
            match f.tag() {
                b'R' => match Authentication::decode(&f).expect("authentication message") {
                    Authentication::Ok => {}
                    Authentication::Md5Password { salt } => {
                        write_password(&mut out, md5_response(user, password, salt).as_bytes());
                    }
                    Authentication::Sasl { .. } => {
                        let c = ScramClient::new(password);
                        SaslInitialResponse::write(&mut out, "SCRAM-SHA-256", &c.client_first());
                        scram = Some(c);
                    }
                    Authentication::SaslContinue(data) => {
                        let c = scram.as_mut().expect("SASL started");
                        let reply = c.handle_server_first(&data).expect("server-first");
                        write_sasl_response(&mut out, &reply);
                    }
                    Authentication::SaslFinal(data) => {
                        let c = scram.as_mut().expect("SASL started");
                        c.handle_server_final(&data).expect("server signature");
                    }
                    other => panic!("unexpected authentication request {other:?}"),
                },
                b'E' => return Err(ErrorFields::decode(&f).expect("error fields")),
                b'K' => {
                    let b = f.body();
                    raw.key = Some((
                        i32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                        i32::from_be_bytes([b[4], b[5], b[6], b[7]]),
                    ));
                }
                b'S' => {
                    let body = f.body();
                    let mut parts = body.split(|b| *b == 0);
                    let name = String::from_utf8_lossy(parts.next().unwrap_or_default());
                    let value = String::from_utf8_lossy(parts.next().unwrap_or_default());
                    raw.reported.push((name.into_owned(), value.into_owned()));
                }
                b'Z' => return Ok(raw),
                _ => {}
            }
            if !out.is_empty() {
                raw.send(&out).await.expect("send auth response");
                out.clear();
            }
        }
    }

    /// Sends `bytes` and collects the replies up to ReadyForQuery.
    pub async fn exchange(&mut self, bytes: &[u8]) -> Vec<Frame> {
        self.send(bytes).await.expect("send");
        self.until_ready().await
    }
}

/// The first ErrorResponse among `frames`.
pub fn error(frames: &[Frame]) -> Option<ErrorFields> {
    frames
        .iter()
        .find(|f| f.tag() == b'E')
        .map(|f| ErrorFields::decode(f).expect("error fields"))
}

/// The SQLSTATE of the first ErrorResponse, or "" if none.
pub fn error_code(frames: &[Frame]) -> String {
    error(frames).map(|e| e.code).unwrap_or_default()
}

/// The transaction status byte of the last ReadyForQuery.
pub fn status(frames: &[Frame]) -> u8 {
    let f = frames.last().expect("a message");
    assert_eq!(f.tag(), b'Z', "last message is ReadyForQuery");
    f.as_bytes()[5]
}

/// The text values of every DataRow among `frames`.
pub fn rows(frames: &[Frame]) -> Vec<Vec<Option<String>>> {
    frames
        .iter()
        .filter(|f| f.tag() == b'D')
        .map(|f| {
            let body = f.body();
            let n = u16::from_be_bytes([body[0], body[1]]) as usize;
            let mut at = 2;
            let mut vals = Vec::with_capacity(n);
            for _ in 0..n {
                let len = i32::from_be_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
                at += 4;
                if len < 0 {
                    vals.push(None);
                } else {
                    let l = len as usize;
                    vals.push(Some(
                        String::from_utf8_lossy(&body[at..at + l]).into_owned(),
                    ));
                    at += l;
                }
            }
            vals
        })
        .collect()
}

/// The message tags of `frames` as a string (for readable assertions), e.g. "12CZ".
pub fn tags(frames: &[Frame]) -> String {
    frames.iter().map(|f| f.tag() as char).collect()
}
