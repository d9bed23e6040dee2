//! The untyped first messages of a connection (StartupMessage, SSLRequest, GSSENCRequest,
//! CancelRequest) from an arbitrary byte stream.
//!
//! Input: `[split_seed, stream...]`. The stream is fed to `startup::decode` in chunks cut by
//! `split_seed` (a client may send SSLRequest and then, after the handshake, StartupMessage, so
//! several packets are decoded in a row until the first error).
//!
//! Invariants checked:
//! - no panic;
//! - `Ok(None)` consumes nothing and only happens while the announced packet is incomplete;
//! - chunked feeding gives the same packets and the same error as feeding everything at once;
//! - a decoded `StartupParams` re-encoded with `write` is byte-for-byte the packet received and
//!   decodes to the same value; a `Cancel` re-encodes with `write_cancel` to the same bytes.
#![no_main]

mod common;

use articdbm_wire_pg::WireError;
use articdbm_wire_pg::startup::{self, MAX_STARTUP_LEN, StartupPacket};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [split_seed, stream @ ..] = data else {
        return;
    };
    let whole = run(&[stream]);
    let split = run(&common::chunks(stream, *split_seed));
    assert_eq!(whole.0, split.0, "chunked feeding changed the packets");
    assert_eq!(whole.1, split.1, "chunked feeding changed the error");

    let mut offset = 0;
    for (packet, len) in &whole.0 {
        let raw = &stream[offset..offset + len];
        offset += len;
        check_packet(packet, raw);
    }
});

type Packets = Vec<(StartupPacket, usize)>;

/// Decodes packets (with the number of bytes each consumed) until the input runs out or the
/// first error.
fn run(chunks: &[&[u8]]) -> (Packets, Option<WireError>) {
    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match startup::decode(&mut buf) {
                Ok(Some(packet)) => {
                    let len = before - buf.len();
                    let terminate = matches!(packet, StartupPacket::Terminate) && len == 5;
                    assert!(terminate || (8..=MAX_STARTUP_LEN as usize).contains(&len));
                    packets.push((packet, len));
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before, "Ok(None) consumed bytes");
                    if buf.len() >= 4 {
                        let announced = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
                        assert!(buf.len() < announced as usize);
                    }
                    break;
                }
                Err(e) => return (packets, Some(e)),
            }
        }
    }
    (packets, None)
}

fn check_packet(packet: &StartupPacket, raw: &[u8]) {
    if let StartupPacket::Terminate = packet {
        assert_eq!(raw, b"X\0\0\0\x04");
        return;
    }
    let announced = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
    assert_eq!(announced as usize, raw.len());
    match packet {
        StartupPacket::SslRequest | StartupPacket::GssEncRequest => assert_eq!(raw.len(), 8),
        StartupPacket::Cancel {
            process_id,
            secret_key,
        } => {
            let mut out = BytesMut::new();
            startup::write_cancel(&mut out, *process_id, *secret_key);
            assert_eq!(&out[..], raw);
        }
        StartupPacket::Terminate => {}
        StartupPacket::NewerStartup {
            params,
            minor,
            unrecognized,
        } => {
            assert!(*minor > 0 || !unrecognized.is_empty());
            assert!(unrecognized.iter().all(|o| o.starts_with("_pq_.")));
            for (k, v) in &params.params {
                assert!(!k.is_empty() && !k.starts_with("_pq_."));
                assert!(!k.contains('\0') && !v.contains('\0'));
            }
        }
        StartupPacket::Startup(params) => {
            let _ = (params.user(), params.database());
            for (k, v) in &params.params {
                assert!(!k.is_empty());
                assert!(!k.contains('\0') && !v.contains('\0'));
                assert!(params.get(k).is_some());
            }
            let mut out = BytesMut::new();
            params.write(&mut out);
            assert_eq!(&out[..], raw, "re-encoded StartupMessage differs");
            let again = startup::decode(&mut out)
                .expect("re-decode")
                .expect("complete");
            assert_eq!(&again, packet);
            assert!(out.is_empty());
        }
    }
}
