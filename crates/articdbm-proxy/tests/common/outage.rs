//! Network faults between the proxy and a real database server: a TCP relay on a free loopback
//! port that forwards to the real server while it is up, and while it is "down" either refuses
//! (accepts and closes at once, like a crashed server whose port still answers) or hangs
//! (accepts and never answers, like an unreachable host). Going down also cuts the connections
//! it is relaying. It counts the connections the proxy opened, so tests can see how often the
//! proxy dials a server that is down. The server behind it is always the real one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const UP: u8 = 0;
const REFUSE: u8 = 1;
const HANG: u8 = 2;

/// A relay in front of the server at `127.0.0.1:<target>`.
pub struct Outage {
    pub port: u16,
    mode: Arc<AtomicU8>,
    accepted: Arc<AtomicUsize>,
    /// Bumped when going down, which ends every relayed connection.
    cut: watch::Sender<u64>,
}

impl Outage {
    /// Starts relaying to `127.0.0.1:<target>` (up).
    pub async fn start(target: u16) -> Outage {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let port = listener.local_addr().expect("relay addr").port();
        let mode = Arc::new(AtomicU8::new(UP));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (cut, _) = watch::channel(0u64);
        let relay = Outage {
            port,
            mode: Arc::clone(&mode),
            accepted: Arc::clone(&accepted),
            cut: cut.clone(),
        };
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                accepted.fetch_add(1, Ordering::SeqCst);
                match mode.load(Ordering::SeqCst) {
                    REFUSE => drop(client),
                    HANG => {
                        tokio::spawn(async move {
                            tokio::time::sleep(std::time::Duration::from_secs(120)).await;
                            drop(client);
                        });
                    }
                    _ => {
                        let mut cut = cut.subscribe();
                        tokio::spawn(async move {
                            let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await else {
                                return;
                            };
                            let (mut client, mut server) = (client, server);
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                _ = cut.changed() => {}
                            }
                        });
                    }
                }
            }
        });
        relay
    }

    /// The server is down; new connections are closed at once, current ones are cut.
    pub fn refuse(&self) {
        self.mode.store(REFUSE, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    /// The server is unreachable; new connections are accepted and never answered, current
    /// ones are cut.
    pub fn hang(&self) {
        self.mode.store(HANG, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    /// The server is back.
    pub fn up(&self) {
        self.mode.store(UP, Ordering::SeqCst);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}
