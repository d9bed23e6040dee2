//! Proves the decode hot path does not allocate: once a connection's buffer is warm, splitting
//! frames off it and viewing Query / Bind / Execute messages costs no heap allocation.
#![allow(unsafe_code)] // a counting global allocator needs `unsafe impl GlobalAlloc`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use articdbm_wire_pg::frontend::{Bind, Query};
use articdbm_wire_pg::{FrameDecoder, MessageBuilder};
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

fn fill(buf: &mut BytesMut, n: usize) {
    for _ in 0..n {
        Query::write(buf, "SELECT abalance FROM pgbench_accounts WHERE aid = 42");
        let mut m = MessageBuilder::new(buf, b'B');
        m.cstr(b"")
            .cstr(b"s1")
            .i16(0)
            .i16(1)
            .i32(4)
            .bytes(&42i32.to_be_bytes())
            .i16(0);
        m.finish();
        let mut e = MessageBuilder::new(buf, b'E');
        e.cstr(b"").i32(0);
        e.finish();
    }
}

#[test]
fn decoding_a_warm_buffer_does_not_allocate() {
    let decoder = FrameDecoder::new(1 << 20);
    let mut buf = BytesMut::with_capacity(1 << 20);
    fill(&mut buf, 1);
    // Warm-up: the first split turns the buffer into a shared one (one allocation, once).
    while decoder.decode(&mut buf).unwrap().is_some() {}
    fill(&mut buf, 1000);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut frames = 0;
    while let Some(frame) = decoder.decode(&mut buf).unwrap() {
        match frame.tag() {
            b'Q' => assert!(
                Query::decode(&frame)
                    .unwrap()
                    .sql()
                    .unwrap()
                    .starts_with("SELECT")
            ),
            b'B' => assert_eq!(Bind::decode(&frame).unwrap().statement(), b"s1"),
            _ => {}
        }
        frames += 1;
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(frames, 3000);
    assert_eq!(
        after - before,
        0,
        "decoding allocated {} times",
        after - before
    );
}
