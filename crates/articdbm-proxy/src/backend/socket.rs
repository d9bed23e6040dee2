//! What every backend connection does with its socket and buffers, whatever the protocol:
//! writing pending output without waiting, probing an idle connection for an unexpected close,
//! and shedding buffers grown by a large result.

use bytes::{Buf, BytesMut};
use tokio::net::TcpStream;

/// Initial capacity of a connection's read buffer.
pub const READ_BUFFER: usize = 8192;
/// Initial capacity of a connection's write buffer.
pub const WRITE_BUFFER: usize = 1024;
/// Buffers above this capacity are dropped when empty (an idle connection stays small).
pub const KEEP_BUFFER: usize = 64 * 1024;

/// Writes as much of `wbuf` as the socket takes now, without waiting; the rest stays queued.
pub fn try_write(stream: &TcpStream, wbuf: &mut BytesMut) -> std::io::Result<()> {
    while !wbuf.is_empty() {
        match stream.try_write(wbuf) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => wbuf.advance(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// True when nothing (EOF, a notice of shutdown, stray bytes) arrived on an idle connection.
pub fn is_quiet(stream: &TcpStream, rbuf: &BytesMut) -> bool {
    let mut probe = [0u8; 1];
    match stream.try_read(&mut probe) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => rbuf.is_empty(),
        _ => false,
    }
}

/// Replaces empty buffers grown beyond [`KEEP_BUFFER`] by fresh small ones.
pub fn shed(rbuf: &mut BytesMut, wbuf: &mut BytesMut) {
    if rbuf.is_empty() && rbuf.capacity() > KEEP_BUFFER {
        *rbuf = BytesMut::with_capacity(READ_BUFFER);
    }
    if wbuf.is_empty() && wbuf.capacity() > KEEP_BUFFER {
        *wbuf = BytesMut::with_capacity(WRITE_BUFFER);
    }
}
