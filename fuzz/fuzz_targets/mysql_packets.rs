//! MySQL packets from an arbitrary byte stream.
//!
//! Input: `[max_sel, split_seed, caps_sel, cmd_sel, stream...]`. The stream is fed to a
//! `PacketDecoder` whose maximum logical size is `16 * max_sel` bytes, in chunks cut by
//! `split_seed`; capabilities come from `caps_sel` (DEPRECATE_EOF, SESSION_TRACK,
//! QUERY_ATTRIBUTES, CONNECT_WITH_DB, CONNECT_ATTRS, lenenc auth data, MariaDB cache metadata,
//! OPTIONAL_RESULTSET_METADATA). Every packet goes to the handshake, handshake-response,
//! command and server-reply decoders, and all packets after the first are fed as the
//! server's response to the first one (a command, its byte replaced by `cmd_sel` when that is
//! non-zero) through a `ResponseTracker`.
//!
//! Invariants: no panic; chunked feeding gives the same packets and error as feeding at once;
//! `RawPackets` walks the same bytes the decoder consumed; decoded messages re-encode to bytes
//! that decode to the same value; statement ids written in place read back; the tracker never
//! asks for more after saying Done.
#![no_main]

mod common;

use articdbm_wire_mysql::backend::{EofPacket, ErrPacket, HandshakeV10, OkPacket};
use articdbm_wire_mysql::frontend::{
    ClientHello, ComChangeUser, ComInitDb, ComQuery, ComSetOption, ComStmtPrepare,
    HandshakeResponse41, StmtExecute, set_statement_id, statement_id,
};
use articdbm_wire_mysql::resultset::{ColumnDefinition41, StmtPrepareOk, TextRow};
use articdbm_wire_mysql::{
    Capabilities, Packet, PacketDecoder, Progress, RawPackets, ResponseTracker, ServerStatus,
    WireError,
};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [max_sel, split_seed, caps_sel, cmd_sel, stream @ ..] = data else {
        return;
    };
    let decoder = PacketDecoder::new(16 * usize::from(*max_sel));
    let whole = run(decoder, &[stream]);
    let split = run(decoder, &common::chunks(stream, *split_seed));
    assert_eq!(
        whole.0.len(),
        split.0.len(),
        "chunked feeding changed the packets"
    );
    for (a, b) in whole.0.iter().zip(&split.0) {
        assert_eq!(a.raw(), b.raw());
        assert_eq!(a.payload(), b.payload());
    }
    assert_eq!(whole.1, split.1, "chunked feeding changed the error");

    let consumed: usize = whole.0.iter().map(|p| p.raw().len()).sum();
    assert_eq!(
        &stream[..consumed],
        &whole
            .0
            .iter()
            .flat_map(|p| p.raw().to_vec())
            .collect::<Vec<_>>()[..]
    );
    let mut walk = RawPackets::new(&stream[..consumed]);
    for _ in walk.by_ref() {}
    assert_eq!(walk.consumed(), consumed);

    let caps = caps_from(*caps_sel);
    for p in &whole.0 {
        decode_all(p, caps);
    }
    track(&whole.0, caps, *cmd_sel);
});

fn caps_from(sel: u8) -> Capabilities {
    let mut c =
        Capabilities::PROTOCOL_41 | Capabilities::SECURE_CONNECTION | Capabilities::PLUGIN_AUTH;
    let opts = [
        Capabilities::DEPRECATE_EOF,
        Capabilities::SESSION_TRACK,
        Capabilities::QUERY_ATTRIBUTES,
        Capabilities::CONNECT_WITH_DB | Capabilities::CONNECT_ATTRS,
        Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA,
        Capabilities::MARIADB_CACHE_METADATA | Capabilities::MARIADB_PROGRESS,
        Capabilities::OPTIONAL_RESULTSET_METADATA,
        Capabilities::MARIADB_EXTENDED_METADATA,
    ];
    for (i, o) in opts.iter().enumerate() {
        if sel & (1 << i) != 0 {
            c |= *o;
        }
    }
    c
}

fn run(decoder: PacketDecoder, chunks: &[&[u8]]) -> (Vec<Packet>, Option<WireError>) {
    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Some(p)) => {
                    assert_eq!(buf.len(), before - p.raw().len());
                    assert!(p.payload().len() <= decoder.max_len());
                    packets.push(p);
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before, "Ok(None) consumed bytes");
                    assert_eq!(decoder.peek_len(&buf), Ok(None));
                    break;
                }
                Err(e) => return (packets, Some(e)),
            }
        }
    }
    (packets, None)
}

fn decode_all(p: &Packet, caps: Capabilities) {
    let payload = p.payload();
    assert_eq!(Packet::from_raw(p.raw().clone()).as_ref(), Ok(p));

    if let Ok(h) = HandshakeV10::decode(payload) {
        if h.auth_plugin_data.len() >= 8
            && h.auth_plugin_data.len() < 255
            && !h.auth_plugin.contains(&0)
            && !h.server_version.contains(&0)
        {
            let mut out = BytesMut::new();
            h.write(&mut out);
            let _ = HandshakeV10::decode(&out.freeze());
        }
    }
    match ClientHello::decode(payload) {
        Ok(ClientHello::Response(r)) => reencode_response(&r),
        Ok(ClientHello::Ssl(s)) => assert!(s.capabilities.contains(Capabilities::SSL)),
        Err(_) => {}
    }
    if let Ok(q) = ComQuery::decode(payload, caps) {
        let _ = q.sql();
        if caps.contains(Capabilities::QUERY_ATTRIBUTES) {
            assert!(q.sql_bytes().len() < payload.len());
        } else {
            assert_eq!(&q.sql_bytes()[..], &payload[1..]);
        }
    }
    let _ = ComStmtPrepare::decode(payload).map(|p| p.sql().is_ok());
    let _ = ComInitDb::decode(payload).map(|p| p.schema().is_ok());
    if let Ok(s) = ComSetOption::decode(payload) {
        let mut out = BytesMut::new();
        s.write(&mut out);
        assert_eq!(&out[..], &payload[..]);
    }
    if let Ok(c) = ComChangeUser::decode(payload, caps) {
        let mut out = BytesMut::new();
        c.write(&mut out, caps);
        if c.username.iter().all(|&b| b != 0) && c.database.iter().all(|&b| b != 0) {
            let again = ComChangeUser::decode(&out.freeze(), caps);
            if c.auth_plugin.as_ref().is_none_or(|p| !p.contains(&0)) {
                assert_eq!(again.as_ref().map(|a| &a.username), Ok(&c.username));
            }
        }
    }
    if let Ok(id) = statement_id(payload) {
        let mut copy = payload.to_vec();
        set_statement_id(&mut copy, id ^ 0x5a5a_5a5a).expect("statement command");
        assert_eq!(statement_id(&copy), Ok(id ^ 0x5a5a_5a5a));
    }
    if let Ok(e) = StmtExecute::decode(payload) {
        let n = usize::from(payload.len() as u8 % 8);
        let _ = e.decode_params(n, None, caps);
        // The SQLite front end's variant: parameters sent as long data are absent from the
        // packet (a seed-chosen subset here).
        let mask = payload.first().copied().unwrap_or(0);
        let _ = e.decode_params_with_long_data(n, None, caps, |i| mask & (1 << (i % 8)) != 0);
    }
    if let Ok(o) = OkPacket::decode(payload, caps) {
        for c in o.session_state_changes() {
            let _ = c.map(|c| (c.system_variable(), c.schema(), c.text()));
        }
        let mut out = BytesMut::new();
        o.write(&mut out, caps);
        let again = OkPacket::decode(&out.freeze(), caps).expect("re-encoded OK decodes");
        assert_eq!(
            (again.affected_rows, again.last_insert_id),
            (o.affected_rows, o.last_insert_id)
        );
    }
    if let Ok(e) = ErrPacket::decode(payload) {
        let mut out = BytesMut::new();
        e.write(&mut out);
        assert_eq!(&out[..], &payload[..]);
    }
    if let Ok(e) = EofPacket::decode(payload) {
        let _ = e.status.in_transaction();
    }
    if let Ok(c) = ColumnDefinition41::decode(payload, caps) {
        let mut out = BytesMut::new();
        c.write(&mut out, caps);
        assert_eq!(
            ColumnDefinition41::decode(&out.freeze(), caps).as_ref(),
            Ok(&c)
        );
    }
    if let Ok(s) = StmtPrepareOk::decode(payload) {
        let mut out = BytesMut::new();
        s.write(&mut out);
        // The 9-byte form of old servers is written in the 12-byte form.
        let again = StmtPrepareOk::decode(&out).expect("re-encoded PREPARE_OK decodes");
        assert_eq!(
            (again.statement_id, again.num_columns, again.num_params),
            (s.statement_id, s.num_columns, s.num_params)
        );
        assert_eq!(again.metadata_follows, s.metadata_follows);
    }
    let _ = TextRow::new(payload.clone()).decode(3);
}

fn reencode_response(r: &HandshakeResponse41) {
    if r.username.contains(&0)
        || r.database.as_ref().is_some_and(|d| d.contains(&0))
        || r.auth_plugin.as_ref().is_some_and(|d| d.contains(&0))
        || r.auth_response.len() > 255
    {
        return;
    }
    let mut out = BytesMut::new();
    r.write(&mut out);
    let again = HandshakeResponse41::decode(&out.freeze()).expect("re-encoded response decodes");
    assert_eq!(again.username, r.username);
    if !r
        .capabilities
        .contains(Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA)
        && !r.capabilities.contains(Capabilities::SECURE_CONNECTION)
    {
        return;
    }
    assert_eq!(again.auth_response, r.auth_response);
}

fn track(packets: &[Packet], caps: Capabilities, cmd_sel: u8) {
    let Some((first, rest)) = packets.split_first() else {
        return;
    };
    let mut command = first.payload().to_vec();
    if cmd_sel != 0 && !command.is_empty() {
        command[0] = cmd_sel % 0x21;
    }
    let Ok(mut t) = ResponseTracker::new(&command, caps, ServerStatus::AUTOCOMMIT) else {
        return;
    };
    for p in rest {
        if t.is_done() {
            assert!(t.feed(p.payload()).is_err(), "fed after Done");
            return;
        }
        match t.feed(p.payload()) {
            Ok(Progress::Done) => {
                assert!(t.is_done());
                let _ = (
                    t.final_status(),
                    t.error(),
                    t.session_state(),
                    t.prepare_ok(),
                );
            }
            Ok(Progress::NeedMore) => assert!(!t.is_done()),
            Ok(Progress::AwaitClient) => {
                // The client answers with whatever comes next, then an empty packet.
                let _ = t.feed_client(b"data");
                let _ = t.feed_client(b"");
            }
            Err(_) => return,
        }
    }
}
