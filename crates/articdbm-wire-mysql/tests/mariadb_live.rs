//! Against the real MariaDB on 127.0.0.1:3306 (started by scripts/services.sh; root without a
//! password over TCP): handshake and mysql_native_password authentication done with this
//! crate's codec only, then text queries, multi-statements, an error inside a batch, session
//! state tracking, LOCAL INFILE, prepared statements (binary rows of many types, a cursor
//! fetched in steps), each response followed by the ResponseTracker to its exact end.
//! Blocking std I/O is fine here: the codec does none of its own.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap fixture data

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use articdbm_wire_mysql::auth::{AuthClient, AuthError, ClientStep};
use articdbm_wire_mysql::backend::{ErrPacket, HandshakeV10, SessionStateChanges, session_state};
use articdbm_wire_mysql::frontend::stmt_execute::{write_fetch, write_statement_command};
use articdbm_wire_mysql::frontend::{
    ComInitDb, ComQuery, ComStmtPrepare, CursorType, HandshakeResponse41, StmtExecute,
};
use articdbm_wire_mysql::resultset::{
    BinaryRow, ColumnDefinition41, ColumnMeta, DateTime, TextRow, Time, Value,
};
use articdbm_wire_mysql::writer::write_packet;
use articdbm_wire_mysql::{
    Capabilities, Packet, PacketDecoder, Progress, ResponseTracker, ServerStatus,
};
use bytes::{Bytes, BytesMut};

const ADDR: &str = "127.0.0.1:3306";

struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    decoder: PacketDecoder,
    caps: Capabilities,
    status: ServerStatus,
    server_version: String,
}

impl Conn {
    fn read(&mut self) -> Packet {
        loop {
            if let Some(p) = self.decoder.decode(&mut self.buf).expect("framing") {
                return p;
            }
            let mut chunk = [0u8; 8192];
            let n = self.stream.read(&mut chunk).expect("read");
            assert!(n > 0, "server closed the connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn send(&mut self, seq: u8, payload: &[u8]) {
        let mut out = BytesMut::new();
        let mut seq = seq;
        write_packet(&mut out, &mut seq, payload);
        self.stream.write_all(&out).expect("write");
    }

    fn connect(user: &str, password: &str, extra: Capabilities) -> Result<Conn, AuthError> {
        let stream = TcpStream::connect(ADDR).unwrap_or_else(|e| {
            panic!("MariaDB is not reachable on {ADDR} ({e}); run scripts/services.sh")
        });
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut c = Conn {
            stream,
            buf: BytesMut::with_capacity(16 * 1024),
            decoder: PacketDecoder::new(64 << 20),
            caps: Capabilities::NONE,
            status: ServerStatus::default(),
            server_version: String::new(),
        };
        let hello = c.read();
        let hs = HandshakeV10::decode(hello.payload()).expect("handshake");
        c.server_version = String::from_utf8_lossy(&hs.server_version).into_owned();
        assert!(hs.is_mariadb(), "{}", c.server_version);
        assert_eq!(hs.auth_plugin_data.len(), 20);
        let wanted = Capabilities::PROTOCOL_41
            | Capabilities::LONG_PASSWORD
            | Capabilities::SECURE_CONNECTION
            | Capabilities::PLUGIN_AUTH
            | Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA
            | Capabilities::CONNECT_ATTRS
            | Capabilities::TRANSACTIONS
            | Capabilities::MULTI_RESULTS
            | Capabilities::PS_MULTI_RESULTS
            | extra;
        c.caps = Capabilities(wanted.0 & hs.capabilities.0 & 0xFFFF_FFFF);
        assert!(c.caps.contains(Capabilities::REQUIRED));
        let mut auth = AuthClient::new(password.as_bytes(), false);
        let (plugin, data) = auth
            .initial_response(&hs.auth_plugin, &hs.auth_plugin_data)
            .unwrap();
        let resp = HandshakeResponse41 {
            capabilities: c.caps,
            max_packet_size: 16 << 20,
            charset: 45,
            username: Bytes::copy_from_slice(user.as_bytes()),
            auth_response: data.into(),
            database: None,
            auth_plugin: Some(Bytes::from_static(plugin.as_bytes())),
            connect_attrs: Some(articdbm_wire_mysql::frontend::ConnectAttrs::from_pairs([(
                "program_name",
                "articdbm-wire-mysql-test",
            )])),
            zstd_level: None,
        };
        let mut payload = BytesMut::new();
        resp.write(&mut payload);
        c.send(hello.last_seq().wrapping_add(1), &payload);
        loop {
            let p = c.read();
            match auth.handle(p.payload())? {
                ClientStep::Done => return Ok(c),
                ClientStep::Send(d) => c.send(p.last_seq().wrapping_add(1), &d),
                ClientStep::Wait => {}
            }
        }
    }

    /// Sends a command and reads its whole response as the tracker delimits it.
    fn command(&mut self, payload: &[u8]) -> (Vec<Packet>, ResponseTracker) {
        self.command_with_infile(payload, None)
    }

    fn command_with_infile(
        &mut self,
        payload: &[u8],
        infile: Option<&[u8]>,
    ) -> (Vec<Packet>, ResponseTracker) {
        let mut t = ResponseTracker::new(payload, self.caps, self.status).unwrap();
        self.send(0, payload);
        let mut packets = Vec::new();
        while !t.is_done() {
            let p = self.read();
            match t.feed(p.payload()).expect("tracker") {
                Progress::Done | Progress::NeedMore => {}
                Progress::AwaitClient => {
                    let data = infile.expect("unexpected LOCAL INFILE request");
                    let mut seq = p.last_seq().wrapping_add(1);
                    for chunk in [data, b""] {
                        self.send(seq, chunk);
                        assert_eq!(
                            t.feed_client(chunk).unwrap(),
                            if chunk.is_empty() {
                                Progress::NeedMore
                            } else {
                                Progress::AwaitClient
                            }
                        );
                        seq = seq.wrapping_add(1);
                    }
                }
            }
            packets.push(p);
        }
        // The response is over: nothing else may be buffered or in flight.
        assert!(self.buf.is_empty(), "bytes after the end of the response");
        if let Some(s) = t.final_status() {
            self.status = s;
        }
        (packets, t)
    }

    fn query(&mut self, sql: &str) -> (Vec<Packet>, ResponseTracker) {
        let mut p = BytesMut::new();
        ComQuery::write(&mut p, sql, self.caps);
        self.command(&p)
    }

    fn exec_ok(&mut self, sql: &str) {
        let (_, t) = self.query(sql);
        assert!(t.error().is_none(), "{sql}: {:?}", t.error());
    }

    /// Every text result set of a response: rows of fields.
    fn text_results(&self, packets: &[Packet]) -> Vec<Vec<Vec<Option<String>>>> {
        let mut results = Vec::new();
        let mut i = 0;
        while i < packets.len() {
            let p = packets[i].payload();
            if matches!(p[0], 0x00 | 0xFF | 0xFB) {
                i += 1;
                continue;
            }
            let (n, _) = articdbm_wire_mysql::lenenc::decode_int(p).unwrap();
            i += 1;
            for _ in 0..n {
                ColumnDefinition41::decode(packets[i].payload(), self.caps).unwrap();
                i += 1;
            }
            if !self.caps.contains(Capabilities::DEPRECATE_EOF) {
                i += 1;
            }
            let mut rows = Vec::new();
            while packets[i].payload()[0] != 0xFE && packets[i].payload()[0] != 0xFF {
                let row = TextRow::new(packets[i].payload().clone())
                    .decode(n as usize)
                    .unwrap();
                rows.push(
                    row.into_iter()
                        .map(|f| f.map(|b| String::from_utf8_lossy(&b).into_owned()))
                        .collect(),
                );
                i += 1;
            }
            results.push(rows);
            i += 1;
        }
        results
    }
}

fn root(extra: Capabilities) -> Conn {
    Conn::connect("root", "", extra).expect("root login over TCP (no password)")
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

struct TestUser {
    name: String,
}

impl TestUser {
    fn create(password: &str) -> TestUser {
        let name = format!("wire_native_{:08x}", rand::random::<u32>());
        let mut r = root(Capabilities::NONE);
        r.exec_ok(&format!(
            "CREATE USER '{name}'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('{password}')"
        ));
        TestUser { name }
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let mut r = root(Capabilities::NONE);
        r.query(&format!("DROP USER IF EXISTS '{}'@'127.0.0.1'", self.name));
    }
}

#[test]
fn native_password_login_and_select_1() {
    let user = TestUser::create("s3cr3t-Pw");
    for extra in [Capabilities::NONE, Capabilities::DEPRECATE_EOF] {
        let mut c = Conn::connect(&user.name, "s3cr3t-Pw", extra).expect("login");
        assert!(c.server_version.contains("MariaDB"));
        let (packets, t) = c.query("SELECT 1");
        assert_eq!(t.results(), 1);
        assert!(t.error().is_none());
        let status = t.final_status().expect("status");
        assert!(status.contains(ServerStatus::AUTOCOMMIT));
        assert!(!status.in_transaction());
        assert_eq!(c.text_results(&packets), vec![vec![vec![s("1")]]]);
        let col = ColumnDefinition41::decode(packets[1].payload(), c.caps).unwrap();
        assert_eq!(&col.name[..], b"1");
        // One column count, one definition, [EOF], one row, EOF/OK.
        let eofs = usize::from(!extra.contains(Capabilities::DEPRECATE_EOF));
        assert_eq!(packets.len(), 4 + eofs);
    }
    match Conn::connect(&user.name, "wrong", Capabilities::NONE) {
        Err(AuthError::Server { code: 1045, .. }) => {}
        other => panic!("wrong password: {:?}", other.map(|c| c.server_version)),
    }
}

#[test]
fn multi_statements_errors_and_transactions() {
    for extra in [Capabilities::NONE, Capabilities::DEPRECATE_EOF] {
        let mut c = root(Capabilities::MULTI_STATEMENTS | extra);
        let (packets, t) = c.query("SELECT 1; SELECT 2");
        assert_eq!(t.results(), 2);
        assert!(!t.final_status().unwrap().more_results());
        assert_eq!(
            c.text_results(&packets),
            vec![vec![vec![s("1")]], vec![vec![s("2")]]]
        );

        let (packets, t) = c.query("SELECT 1; SELECT * FROM no_such_db.no_such_table; SELECT 3");
        let err = t.error().expect("error mid batch");
        assert_eq!(err.code, 1146);
        assert_eq!(err.sqlstate_str(), "42S02");
        assert_eq!(t.results(), 1);
        assert_eq!(t.final_status(), None);
        assert_eq!(c.text_results(&packets)[0], vec![vec![s("1")]]);

        let (_, t) = c.query("BEGIN; SELECT 1; DO 1");
        assert_eq!(t.results(), 3);
        assert!(t.final_status().unwrap().in_transaction());
        let (_, t) = c.query("SELECT 5");
        assert!(t.final_status().unwrap().in_transaction());
        let (_, t) = c.query("COMMIT");
        assert!(!t.final_status().unwrap().in_transaction());

        // The connection is still in step after all of it.
        let (packets, _) = c.query("SELECT 'still' AS x, NULL AS y");
        assert_eq!(c.text_results(&packets), vec![vec![vec![s("still"), None]]]);
    }
}

#[test]
fn session_state_and_simple_commands() {
    let mut c = root(Capabilities::SESSION_TRACK | Capabilities::DEPRECATE_EOF);
    let mut p = BytesMut::new();
    ComInitDb::write(&mut p, "mysql");
    let (_, t) = c.command(&p);
    let schema = t
        .session_state()
        .iter()
        .flat_map(|b| SessionStateChanges::new(b))
        .filter_map(Result::ok)
        .find(|ch| ch.kind == session_state::SCHEMA)
        .and_then(|ch| ch.schema().map(|s| s.to_vec()));
    assert_eq!(schema.as_deref(), Some(&b"mysql"[..]));
    let (_, t) = c.query("SET autocommit = 0");
    let vars: Vec<_> = t
        .session_state()
        .iter()
        .flat_map(|b| SessionStateChanges::new(b))
        .filter_map(|ch| {
            ch.ok()?
                .system_variable()
                .map(|(n, v)| (n.to_vec(), v.to_vec()))
        })
        .collect();
    assert!(
        vars.contains(&(b"autocommit".to_vec(), b"OFF".to_vec())),
        "{vars:?}"
    );
    assert!(!t.final_status().unwrap().contains(ServerStatus::AUTOCOMMIT));

    for cmd in [&b"\x0e"[..], b"\x1f", b"\x1b\x00\x00", b"\x09"] {
        let (packets, t) = c.command(cmd);
        assert_eq!(packets.len(), 1, "command 0x{:02x}", cmd[0]);
        assert!(
            t.error().is_none(),
            "command 0x{:02x}: {:?}",
            cmd[0],
            t.error()
        );
    }
    let mut p = BytesMut::new();
    ComInitDb::write(&mut p, "no_such_schema_here");
    let (_, t) = c.command(&p);
    assert_eq!(t.error().map(|e| e.code), Some(1049));
    let (packets, t) = c.command(b"\x04user\0");
    assert!(t.error().is_none());
    assert!(packets.len() > 3);
}

#[test]
fn local_infile() {
    for extra in [Capabilities::NONE, Capabilities::DEPRECATE_EOF] {
        let mut c = root(Capabilities::LOCAL_FILES | Capabilities::MULTI_STATEMENTS | extra);
        c.exec_ok("CREATE DATABASE IF NOT EXISTS articdbm_wire_test");
        c.exec_ok("CREATE TEMPORARY TABLE articdbm_wire_test.t (a INT, b TEXT)");
        let mut p = BytesMut::new();
        ComQuery::write(
            &mut p,
            "LOAD DATA LOCAL INFILE 'rows.tsv' INTO TABLE articdbm_wire_test.t; SELECT COUNT(*) FROM articdbm_wire_test.t",
            c.caps,
        );
        let (packets, t) = c.command_with_infile(&p, Some(b"1\tone\n2\ttwo\n3\tthree\n"));
        assert!(t.error().is_none(), "{:?}", t.error());
        assert_eq!(t.results(), 2);
        assert_eq!(c.text_results(&packets), vec![vec![vec![s("3")]]]);
    }
}

fn prepare(c: &mut Conn, sql: &str) -> (u32, Vec<ColumnMeta>) {
    let mut p = BytesMut::new();
    ComStmtPrepare::write(&mut p, sql);
    let (packets, t) = c.command(&p);
    assert!(t.error().is_none(), "{sql}: {:?}", t.error());
    let ok = t.prepare_ok().expect("PREPARE_OK");
    let eofs = !c.caps.contains(Capabilities::DEPRECATE_EOF);
    let params = usize::from(ok.num_params);
    let cols = usize::from(ok.num_columns);
    let start = 1 + params + usize::from(eofs && params > 0);
    let metas = packets[start..start + cols]
        .iter()
        .map(|p| {
            ColumnDefinition41::decode(p.payload(), c.caps)
                .unwrap()
                .meta()
        })
        .collect();
    assert_eq!(packets.len(), start + cols + usize::from(eofs && cols > 0));
    (ok.statement_id, metas)
}

/// Column metadata and rows of a binary result set (an execute reply).
fn binary_result(c: &Conn, packets: &[Packet]) -> (Vec<ColumnMeta>, Vec<Vec<Value>>) {
    let (n, _) = articdbm_wire_mysql::lenenc::decode_int(packets[0].payload()).unwrap();
    let n = n as usize;
    let metas: Vec<ColumnMeta> = packets[1..1 + n]
        .iter()
        .map(|p| {
            ColumnDefinition41::decode(p.payload(), c.caps)
                .unwrap()
                .meta()
        })
        .collect();
    let mut i = 1 + n + usize::from(!c.caps.contains(Capabilities::DEPRECATE_EOF));
    let mut rows = Vec::new();
    while i < packets.len() && packets[i].payload()[0] == 0x00 {
        rows.push(
            BinaryRow::new(packets[i].payload().clone())
                .decode(&metas)
                .unwrap(),
        );
        i += 1;
    }
    (metas, rows)
}

#[test]
fn prepared_statements_binary_rows_and_cursors() {
    for extra in [Capabilities::NONE, Capabilities::DEPRECATE_EOF] {
        let mut c = root(extra);
        let (id, metas) = prepare(
            &mut c,
            "SELECT ? + 1 AS a, CONCAT('<', ?, '>') AS b, \
             CAST('2024-02-29 23:59:58.123456' AS DATETIME(6)) AS dt, \
             CAST('-34:22:59.5' AS TIME(1)) AS t, CAST(12.345 AS DECIMAL(10,3)) AS d, \
             NULL AS n, x'DEADBEEF' AS bl, CAST(-7 AS SIGNED) AS i, 2.5e0 AS f, DATE '2001-02-03' AS dd",
        );
        assert_eq!(metas.len(), 10);
        let mut p = BytesMut::new();
        StmtExecute::write(
            &mut p,
            id,
            CursorType::NO_CURSOR,
            &[Value::Int(41), Value::Bytes(Bytes::from_static(b"x"))],
        );
        let (packets, t) = c.command(&p);
        assert!(t.error().is_none(), "{:?}", t.error());
        assert_eq!(t.results(), 1);
        let (result_metas, rows) = binary_result(&c, &packets);
        assert_eq!(result_metas.len(), metas.len());
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r[0], Value::Int(42));
        assert_eq!(r[1], Value::Bytes(Bytes::from_static(b"<x>")));
        assert_eq!(
            r[2],
            Value::DateTime(DateTime {
                year: 2024,
                month: 2,
                day: 29,
                hour: 23,
                minute: 59,
                second: 58,
                micros: 123_456
            })
        );
        assert_eq!(
            r[3],
            Value::Time(Time {
                negative: true,
                days: 1,
                hours: 10,
                minutes: 22,
                seconds: 59,
                micros: 500_000
            })
        );
        assert_eq!(r[4], Value::Bytes(Bytes::from_static(b"12.345")));
        assert_eq!(r[5], Value::Null);
        assert_eq!(r[6], Value::Bytes(Bytes::from_static(b"\xde\xad\xbe\xef")));
        assert_eq!(r[7], Value::Int(-7));
        assert_eq!(r[8], Value::Double(2.5));
        assert_eq!(
            r[9],
            Value::DateTime(DateTime {
                year: 2001,
                month: 2,
                day: 3,
                ..DateTime::default()
            })
        );

        // A cursor: the execute reply ends after the metadata, rows come with FETCH.
        let (id, _) = prepare(
            &mut c,
            "SELECT 1 AS seq UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5",
        );
        let mut p = BytesMut::new();
        StmtExecute::write(&mut p, id, CursorType::READ_ONLY, &[]);
        let (packets, t) = c.command(&p);
        assert!(t.error().is_none(), "{:?}", t.error());
        assert!(
            t.cursor_open(),
            "{:?} after {} packets",
            t.status(),
            packets.len()
        );
        let (metas, rows) = binary_result(&c, &packets);
        assert!(rows.is_empty(), "rows in a cursor's execute reply");
        let mut seen = Vec::new();
        loop {
            let mut p = BytesMut::new();
            write_fetch(&mut p, id, 2);
            let (packets, t) = c.command(&p);
            assert!(t.error().is_none(), "{:?}", t.error());
            for p in &packets[..packets.len() - 1] {
                seen.push(BinaryRow::new(p.payload().clone()).decode(&metas).unwrap()[0].clone());
            }
            if t.final_status()
                .unwrap()
                .contains(ServerStatus::LAST_ROW_SENT)
            {
                break;
            }
            assert!(seen.len() <= 5);
        }
        assert_eq!(seen, (1..=5).map(Value::Int).collect::<Vec<_>>());

        let mut p = BytesMut::new();
        write_statement_command(&mut p, 0x19, id);
        let (packets, t) = c.command(&p);
        assert!(packets.is_empty() && t.is_done());
        // Executing a closed statement is an error, and the connection stays usable.
        let mut p = BytesMut::new();
        StmtExecute::write(&mut p, id, CursorType::NO_CURSOR, &[]);
        let (_, t) = c.command(&p);
        assert_eq!(t.error().map(|e: &ErrPacket| e.code), Some(1243));
        let (packets, _) = c.query("SELECT 'ok'");
        assert_eq!(c.text_results(&packets), vec![vec![vec![s("ok")]]]);
    }
}
