//! A client command larger than the session's packet limit (`proxy.max_client_message_bytes`,
//! the proxy's max_allowed_packet), answered as MariaDB answers it: the rest of the packet is
//! read and dropped (so that a client still writing it is not reset and does read the
//! answer), then ERR 1153 "Got a packet bigger than 'max_allowed_packet' bytes" is sent and the
//! connection closes. Nothing of the packet is kept in memory.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::AsyncReadExt;

use articdbm_wire_mysql::packet::{HEADER_LEN, MAX_PAYLOAD};

use crate::stream::ClientStream;

/// How long the rest of an oversized packet may take to arrive (MariaDB waits
/// `net_read_timeout`, 30 s by default); after that the connection just closes.
const DRAIN_DEADLINE: Duration = Duration::from_secs(30);

/// Reads and drops the oversized logical packet at the front of `buf` (and what the client
/// sends of it). Returns the sequence id the ERR must carry, or `None` when the client went
/// away or took too long.
pub(crate) async fn drain_oversized(client: &mut ClientStream, buf: &mut BytesMut) -> Option<u8> {
    tokio::time::timeout(DRAIN_DEADLINE, drain(client, buf))
        .await
        .ok()
        .flatten()
}

async fn drain(client: &mut ClientStream, buf: &mut BytesMut) -> Option<u8> {
    loop {
        while buf.len() < HEADER_LEN {
            read_more(client, buf).await?;
        }
        let len = usize::from(buf[0]) | usize::from(buf[1]) << 8 | usize::from(buf[2]) << 16;
        let seq = buf[3];
        buf.advance(HEADER_LEN);
        let mut left = len;
        loop {
            let take = left.min(buf.len());
            buf.advance(take);
            left -= take;
            if left == 0 {
                break;
            }
            read_more(client, buf).await?;
        }
        if len < MAX_PAYLOAD {
            return Some(seq.wrapping_add(1));
        }
    }
}

/// Reads into `buf` (emptied first when it holds nothing: the memory is reused, never grown).
async fn read_more(client: &mut ClientStream, buf: &mut BytesMut) -> Option<()> {
    if buf.is_empty() {
        buf.clear();
        buf.reserve(64 * 1024);
    }
    match client.read_buf(buf).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(()),
    }
}
