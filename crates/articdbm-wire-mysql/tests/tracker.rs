//! The ResponseTracker on byte sequences as servers send them (layouts as captured from
//! MySQL 8 and MariaDB 10.11): every kind of response, with and without DEPRECATE_EOF, and
//! the cases where a wrong guess would hand a busy connection back to the pool.
#![allow(clippy::unwrap_used)]

use articdbm_wire_mysql::backend::{EofPacket, ErrPacket, OkPacket};
use articdbm_wire_mysql::resultset::{
    ColumnDefinition41, ColumnFlags, ColumnType, StmtPrepareOk, TextRow,
};
use articdbm_wire_mysql::{Capabilities, Progress, ResponseTracker, ServerStatus, WireError};
use bytes::{BufMut, Bytes, BytesMut};

const BASE: Capabilities = Capabilities(
    Capabilities::PROTOCOL_41.0 | Capabilities::SECURE_CONNECTION.0 | Capabilities::TRANSACTIONS.0,
);
const AUTOCOMMIT: ServerStatus = ServerStatus::AUTOCOMMIT;

fn ok(status: ServerStatus, caps: Capabilities, header: u8) -> Bytes {
    let mut b = BytesMut::new();
    OkPacket {
        header,
        status,
        ..Default::default()
    }
    .write(&mut b, caps);
    b.freeze()
}

fn eof(status: ServerStatus) -> Bytes {
    let mut b = BytesMut::new();
    EofPacket {
        warnings: 0,
        status,
    }
    .write(&mut b);
    b.freeze()
}

fn col() -> Bytes {
    let mut b = BytesMut::new();
    ColumnDefinition41::new("c", ColumnType::LONGLONG, ColumnFlags(0), 63, 20).write(&mut b, BASE);
    b.freeze()
}

fn row(v: &[u8]) -> Bytes {
    let mut b = BytesMut::new();
    TextRow::write(&mut b, [Some(v)]);
    b.freeze()
}

fn err(code: u16) -> Bytes {
    let mut b = BytesMut::new();
    ErrPacket::new(code, "42S02", "nope").write(&mut b);
    b.freeze()
}

/// A one-column result set ending with `status`.
fn result_set(caps: Capabilities, rows: &[&[u8]], status: ServerStatus) -> Vec<Bytes> {
    let mut v = vec![Bytes::from_static(b"\x01"), col()];
    let deprecate = caps.contains(Capabilities::DEPRECATE_EOF);
    if !deprecate {
        v.push(eof(AUTOCOMMIT));
    }
    v.extend(rows.iter().map(|r| row(r)));
    v.push(if deprecate {
        ok(status, caps, 0xFE)
    } else {
        eof(status)
    });
    v
}

/// Feeds all packets; every one but the last must ask for more.
fn run(t: &mut ResponseTracker, packets: &[Bytes]) {
    for (i, p) in packets.iter().enumerate() {
        let progress = t.feed(p).unwrap();
        let last = i + 1 == packets.len();
        assert_eq!(
            progress == Progress::Done,
            last,
            "packet {i} of {}: {progress:?}",
            packets.len()
        );
    }
}

fn query(caps: Capabilities) -> ResponseTracker {
    ResponseTracker::new(b"\x03SELECT 1", caps, AUTOCOMMIT).unwrap()
}

#[test]
fn text_result_sets_with_and_without_deprecate_eof() {
    for caps in [BASE, BASE | Capabilities::DEPRECATE_EOF] {
        let mut t = query(caps);
        run(
            &mut t,
            &result_set(caps, &[b"1", b"2"], AUTOCOMMIT | ServerStatus::IN_TRANS),
        );
        assert!(t.final_status().unwrap().in_transaction());
        assert_eq!(t.results(), 1);
        assert!(matches!(
            t.feed(&ok(AUTOCOMMIT, caps, 0)),
            Err(WireError::Unexpected { .. })
        ));
    }
}

#[test]
fn multi_results_and_an_error_between_them() {
    for caps in [BASE, BASE | Capabilities::DEPRECATE_EOF] {
        let more = AUTOCOMMIT | ServerStatus::MORE_RESULTS_EXISTS;
        let mut packets = result_set(caps, &[b"1"], more);
        packets.push(ok(more, caps, 0)); // an UPDATE in the middle
        packets.extend(result_set(caps, &[b"2"], AUTOCOMMIT));
        let mut t = query(caps);
        run(&mut t, &packets);
        assert_eq!(t.results(), 3);

        let mut packets = result_set(caps, &[b"1"], more);
        packets.push(err(1146));
        let mut t = query(caps);
        run(&mut t, &packets);
        assert_eq!(t.error().unwrap().code, 1146);
        assert_eq!(t.final_status(), None);
        assert_eq!(t.status(), more, "last flags seen are still reported");
    }
}

#[test]
fn a_row_starting_with_0xfe_is_not_the_end() {
    // A text row whose first field is >= 16 MiB starts with 0xFE (8-byte length).
    let mut big = BytesMut::new();
    big.put_u8(0xFE);
    big.put_u64_le(1 << 24);
    big.put_bytes(b'x', 1 << 24);
    let big = big.freeze();
    for caps in [BASE, BASE | Capabilities::DEPRECATE_EOF] {
        let mut t = query(caps);
        let mut packets = result_set(caps, &[], AUTOCOMMIT);
        let end = packets.pop().unwrap();
        packets.push(big.clone());
        packets.push(end);
        run(&mut t, &packets);
    }
}

#[test]
fn local_infile_round() {
    let mut t = query(BASE);
    assert_eq!(
        t.feed(&Bytes::from_static(b"\xfbdata.csv")).unwrap(),
        Progress::AwaitClient
    );
    assert!(
        t.feed(&ok(AUTOCOMMIT, BASE, 0)).is_err(),
        "server may not talk during the upload"
    );
    assert_eq!(t.feed_client(b"1,2\n").unwrap(), Progress::AwaitClient);
    assert_eq!(t.feed_client(b"").unwrap(), Progress::NeedMore);
    assert_eq!(t.feed(&ok(AUTOCOMMIT, BASE, 0)).unwrap(), Progress::Done);
}

#[test]
fn prepare_replies() {
    for caps in [BASE, BASE | Capabilities::DEPRECATE_EOF] {
        let deprecate = caps.contains(Capabilities::DEPRECATE_EOF);
        for (params, cols) in [(0u16, 0u16), (2, 0), (0, 3), (2, 3)] {
            let mut b = BytesMut::new();
            StmtPrepareOk {
                statement_id: 9,
                num_columns: cols,
                num_params: params,
                ..Default::default()
            }
            .write(&mut b);
            let mut packets = vec![b.freeze()];
            for n in [params, cols] {
                packets.extend((0..n).map(|_| col()));
                if n > 0 && !deprecate {
                    packets.push(eof(AUTOCOMMIT));
                }
            }
            let mut t = ResponseTracker::new(b"\x16SELECT ?", caps, AUTOCOMMIT).unwrap();
            run(&mut t, &packets);
            assert_eq!(t.prepare_ok().unwrap().statement_id, 9);
        }
        let mut t = ResponseTracker::new(b"\x16SELEC", caps, AUTOCOMMIT).unwrap();
        run(&mut t, &[err(1064)]);
    }
}

#[test]
fn binary_results_cursors_and_fetch() {
    let exec = b"\x17\x01\x00\x00\x00\x00\x01\x00\x00\x00";
    let mut t = ResponseTracker::new(exec, BASE, AUTOCOMMIT).unwrap();
    let bin_row = Bytes::from_static(b"\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00");
    run(
        &mut t,
        &[
            Bytes::from_static(b"\x01"),
            col(),
            eof(AUTOCOMMIT),
            bin_row.clone(),
            eof(AUTOCOMMIT),
        ],
    );
    // A text-looking row in a binary result set is a protocol error.
    let mut t = ResponseTracker::new(exec, BASE, AUTOCOMMIT).unwrap();
    for p in [Bytes::from_static(b"\x01"), col(), eof(AUTOCOMMIT)] {
        t.feed(&p).unwrap();
    }
    assert!(t.feed(&row(b"1")).is_err());

    let cursor = b"\x17\x01\x00\x00\x00\x01\x01\x00\x00\x00";
    let open = AUTOCOMMIT | ServerStatus::CURSOR_EXISTS;
    let mut t = ResponseTracker::new(cursor, BASE, AUTOCOMMIT).unwrap();
    run(&mut t, &[Bytes::from_static(b"\x01"), col(), eof(open)]);
    assert!(t.cursor_open());
    let deprecate = BASE | Capabilities::DEPRECATE_EOF;
    let mut t = ResponseTracker::new(cursor, deprecate, AUTOCOMMIT).unwrap();
    run(
        &mut t,
        &[
            Bytes::from_static(b"\x01"),
            col(),
            ok(open, deprecate, 0xFE),
        ],
    );
    assert!(t.cursor_open());

    let mut t = ResponseTracker::new(b"\x1c\x01\x00\x00\x00\x02\x00\x00\x00", BASE, open).unwrap();
    run(
        &mut t,
        &[
            bin_row.clone(),
            bin_row,
            eof(open | ServerStatus::LAST_ROW_SENT),
        ],
    );
    assert!(!t.cursor_open());
}

#[test]
fn simple_commands_and_no_reply_commands() {
    for cmd in [
        &b"\x0e"[..],
        b"\x02db",
        b"\x1f",
        b"\x1a\x01\x00\x00\x00",
        b"\x0c\x05\x00\x00\x00",
    ] {
        let mut t = ResponseTracker::new(cmd, BASE, AUTOCOMMIT).unwrap();
        run(&mut t, &[ok(AUTOCOMMIT, BASE, 0)]);
        let mut t = ResponseTracker::new(cmd, BASE, AUTOCOMMIT).unwrap();
        run(&mut t, &[err(1105)]);
    }
    let mut t = ResponseTracker::new(b"\x1b\x00\x00", BASE, AUTOCOMMIT).unwrap();
    run(&mut t, &[eof(AUTOCOMMIT)]);
    let mut t = ResponseTracker::new(b"\x09", BASE, AUTOCOMMIT).unwrap();
    run(&mut t, &[Bytes::from_static(b"Uptime: 5  Threads: 1")]);
    assert_eq!(t.final_status(), None);
    for cmd in [
        &b"\x01"[..],
        b"\x19\x01\x00\x00\x00",
        b"\x18\x01\x00\x00\x00\x00\x00data",
    ] {
        let t = ResponseTracker::new(cmd, BASE, AUTOCOMMIT).unwrap();
        assert!(t.is_done());
    }
    assert!(ResponseTracker::new(b"\x12", BASE, AUTOCOMMIT).is_err());
    assert!(ResponseTracker::new(b"", BASE, AUTOCOMMIT).is_err());
    let mut t = ResponseTracker::new(b"\x04tbl\0", BASE, AUTOCOMMIT).unwrap();
    run(&mut t, &[col(), col(), eof(AUTOCOMMIT)]);
}

#[test]
fn mariadb_progress_reports_are_skipped() {
    let caps = BASE | Capabilities::MARIADB_PROGRESS;
    let mut progress = BytesMut::new();
    progress.put_slice(b"\xff\xff\xff\x01\x01\x02\x00\x00\x00\x05stage");
    let mut t = query(caps);
    assert_eq!(t.feed(&progress.freeze()).unwrap(), Progress::NeedMore);
    assert_eq!(t.feed(&ok(AUTOCOMMIT, caps, 0)).unwrap(), Progress::Done);
    assert!(t.error().is_none());
}

#[test]
fn change_user_exchange() {
    let mut t = ResponseTracker::new(b"\x11bob\0\x00\0", BASE, AUTOCOMMIT).unwrap();
    assert_eq!(
        t.feed(&Bytes::from_static(b"\xfemysql_native_password\0abc\0"))
            .unwrap(),
        Progress::AwaitClient
    );
    assert_eq!(t.feed_client(&[0; 20]).unwrap(), Progress::NeedMore);
    assert_eq!(
        t.feed(&Bytes::from_static(b"\x01\x03")).unwrap(),
        Progress::NeedMore
    );
    assert_eq!(t.feed(&ok(AUTOCOMMIT, BASE, 0)).unwrap(), Progress::Done);
}

#[test]
fn session_state_is_collected() {
    let caps = BASE | Capabilities::SESSION_TRACK;
    let mut b = BytesMut::new();
    OkPacket {
        status: AUTOCOMMIT,
        session_state: Some(Bytes::from_static(b"\x01\x05\x04test")),
        ..Default::default()
    }
    .write(&mut b, caps);
    let mut t = ResponseTracker::new(b"\x02test", caps, AUTOCOMMIT).unwrap();
    run(&mut t, &[b.freeze()]);
    assert_eq!(t.session_state().len(), 1);
    assert!(
        t.final_status()
            .unwrap()
            .contains(ServerStatus::SESSION_STATE_CHANGED)
    );
}
