//! Reading the next command of a MySQL session, the same for the session on a MySQL/MariaDB
//! server and the session on an embedded SQLite database: the command is read whole, a
//! shutdown ends an idle session while draining and any session when forced, and a command
//! is refused when the session was killed or the client's sequence is out of order. The loop
//! that calls it writes the refusal (each session queues its ERR packets its own way).

use articdbm_wire_mysql::{Packet, PacketDecoder, WireError};
use bytes::BytesMut;
use tokio::io::AsyncReadExt;

use super::kill::KillHandle;
use super::oversized::drain_oversized;
use super::reply::Refusal;
use crate::shutdown::{SessionSignal, ShutdownPhase};
use crate::stream::ClientStream;

/// The ERR of a refused command: why, and the packet's sequence id.
pub(crate) type Refused = (Refusal, u8);

fn shutdown() -> Refused {
    (
        Refusal::new(1053, "08S01", "Server shutdown in progress"),
        0,
    )
}

/// Where a session reads its commands.
pub(crate) struct CommandSource<'a> {
    pub client: &'a mut ClientStream,
    pub buf: &'a mut BytesMut,
    pub decoder: &'a mut PacketDecoder,
    pub signal: &'a SessionSignal,
    pub kill: &'a KillHandle,
}

/// The next whole command, or why the session ends: `Err(None)` when the client left,
/// `Err(Some(_))` with the ERR to send first. `idle` says whether no transaction is open
/// (a draining shutdown ends only idle sessions).
pub(crate) async fn next_command(
    source: CommandSource<'_>,
    idle: impl Fn() -> bool,
) -> Result<Packet, Option<Refused>> {
    let CommandSource {
        client,
        buf,
        decoder,
        signal,
        kill,
    } = source;
    let packet = loop {
        match decoder.decode(buf) {
            Ok(Some(p)) => break p,
            Ok(None) => {}
            Err(WireError::PacketTooLarge { len, max }) => {
                tracing::warn!(
                    at_least = len,
                    limit = max,
                    "MySQL client command larger than proxy.max_client_message_bytes \
                     (max_allowed_packet): refused with ERR 1153, connection closed"
                );
                let seq = drain_oversized(client, buf).await;
                return Err(seq.map(|seq| {
                    (
                        Refusal::new(
                            1153,
                            "08S01",
                            "Got a packet bigger than 'max_allowed_packet' bytes",
                        ),
                        seq,
                    )
                }));
            }
            Err(e) => {
                return Err(Some((
                    Refusal::new(1153, "08S01", format!("bad packet: {e}")),
                    1,
                )));
            }
        }
        if idle() && signal.phase() >= ShutdownPhase::Draining {
            return Err(Some(shutdown()));
        }
        let wait = if idle() {
            ShutdownPhase::Draining
        } else {
            ShutdownPhase::Forced
        };
        tokio::select! {
            biased;
            r = client.read_buf(buf) => match r {
                Ok(0) | Err(_) => return Err(None),
                Ok(_) => {}
            },
            () = signal.reached(wait) => return Err(Some(shutdown())),
        }
    };
    if kill.killed() {
        return Err(Some((
            Refusal::new(1927, "70100", "Connection was killed"),
            1,
        )));
    }
    if packet.seq() != 0 {
        return Err(Some((
            Refusal::new(1156, "08S01", "Got packets out of order"),
            1,
        )));
    }
    Ok(packet)
}
