//! Proves the hot paths do not allocate: once a connection's buffer is warm, splitting
//! packets off it, viewing COM_QUERY / COM_STMT_EXECUTE, rewriting statement ids and following
//! a server's result set with the ResponseTracker cost no heap allocation.
#![allow(unsafe_code)] // a counting global allocator needs `unsafe impl GlobalAlloc`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use articdbm_wire_mysql::backend::EofPacket;
use articdbm_wire_mysql::frontend::{ComQuery, StmtExecute, statement_id};
use articdbm_wire_mysql::writer::write_packet;
use articdbm_wire_mysql::{Capabilities, PacketDecoder, Progress, ResponseTracker, ServerStatus};
use bytes::BytesMut;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn fill_client(buf: &mut BytesMut, n: usize) {
    for _ in 0..n {
        let mut seq = 0;
        write_packet(
            buf,
            &mut seq,
            b"\x03SELECT abalance FROM accounts WHERE aid = 42",
        );
        let mut seq = 0;
        write_packet(buf, &mut seq, b"\x17\x07\x00\x00\x00\x00\x01\x00\x00\x00");
    }
}

fn fill_server(buf: &mut BytesMut, n: usize) {
    let mut eof = [0u8; 5];
    let mut b = BytesMut::new();
    EofPacket {
        warnings: 0,
        status: ServerStatus::AUTOCOMMIT,
    }
    .write(&mut b);
    eof.copy_from_slice(&b);
    for _ in 0..n {
        let mut seq = 1;
        write_packet(buf, &mut seq, b"\x01");
        write_packet(
            buf,
            &mut seq,
            b"\x03def\x00\x00\x00\x011\x00\x0c\x3f\x00\x01\x00\x00\x00\x08\x81\x80\x00\x00\x00",
        );
        write_packet(buf, &mut seq, &eof);
        write_packet(buf, &mut seq, b"\x011");
        write_packet(buf, &mut seq, b"\x012");
        write_packet(buf, &mut seq, &eof);
    }
}

#[test]
fn decoding_a_warm_buffer_does_not_allocate() {
    let decoder = PacketDecoder::new(1 << 20);
    let caps = Capabilities::PROTOCOL_41;
    let mut client = BytesMut::with_capacity(1 << 20);
    let mut server = BytesMut::with_capacity(1 << 20);
    fill_client(&mut client, 1);
    fill_server(&mut server, 1);
    // Warm-up: the first split turns each buffer into a shared one (one allocation, once).
    while decoder.decode(&mut client).unwrap().is_some() {}
    while decoder.decode(&mut server).unwrap().is_some() {}
    fill_client(&mut client, 500);
    fill_server(&mut server, 500);

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut commands = 0;
    while let Some(packet) = decoder.decode(&mut client).unwrap() {
        let payload = packet.payload();
        let mut tracker = ResponseTracker::new(payload, caps, ServerStatus::AUTOCOMMIT).unwrap();
        match payload[0] {
            0x03 => {
                let q = ComQuery::decode(payload, caps).unwrap();
                assert!(q.sql().unwrap().starts_with("SELECT"));
                // The result set that answers it.
                loop {
                    let p = decoder.decode(&mut server).unwrap().unwrap();
                    if tracker.feed(p.payload()).unwrap() == Progress::Done {
                        break;
                    }
                }
                assert!(!tracker.final_status().unwrap().in_transaction());
            }
            0x17 => {
                let e = StmtExecute::decode(payload).unwrap();
                assert_eq!(e.statement_id, 7);
                let mut raw = [0u8; 14];
                raw.copy_from_slice(packet.raw());
                articdbm_wire_mysql::frontend::statement::set_statement_id_raw(&mut raw, 99)
                    .unwrap();
                assert_eq!(statement_id(&raw[4..]).unwrap(), 99);
            }
            _ => unreachable!(),
        }
        commands += 1;
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(commands, 1000);
    assert_eq!(
        after - before,
        0,
        "decoding allocated {} times",
        after - before
    );
}
