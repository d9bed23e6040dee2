//! `[proxy]`: the client-facing listeners (PostgreSQL and MySQL) and per-client limits.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Smallest accepted `proxy.max_client_message_bytes` (1 KiB).
pub const MIN_CLIENT_MESSAGE_BYTES: u32 = 1024;
/// Largest accepted `proxy.max_client_message_bytes` (1 GiB, PostgreSQL's own limit and
/// MySQL's largest `max_allowed_packet`).
pub const MAX_CLIENT_MESSAGE_BYTES: u32 = 1 << 30;

/// The `[proxy]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxySection {
    /// Address the PostgreSQL front end listens on; `None` (written `""` in the file or the
    /// environment) disables it, for a MySQL-only proxy. Default `127.0.0.1:6432`.
    #[serde(with = "crate::listen::optional_listen")]
    pub pg_listen: Option<SocketAddr>,
    /// Address the MySQL/MariaDB front end listens on; `None` (written `""` in the file or
    /// the environment) disables it. Default `127.0.0.1:6033`.
    #[serde(with = "crate::listen::optional_listen")]
    pub mysql_listen: Option<SocketAddr>,
    /// Most client connections open at once; further connections are refused. Must be at
    /// least 1. Default `10000`.
    pub max_client_connections: u32,
    /// Seconds to let sessions finish after a shutdown signal before closing them.
    /// Default `30`.
    pub shutdown_grace_secs: u64,
    /// Seconds a client has to complete startup and authentication. Must be at least 1.
    /// Default `10`.
    pub auth_timeout_secs: u64,
    /// Seconds an idle client connection (no transaction open) is kept; `0` means never
    /// closed for idleness. Default `0`.
    pub client_idle_timeout_secs: u64,
    /// Largest message a client may send, in bytes: a PostgreSQL message, or a MySQL logical
    /// payload (after joining its 16 MiB packets). Between 1 KiB (`1024`) and 1 GiB
    /// (`1073741824`). Default `67108864` (64 MiB).
    pub max_client_message_bytes: u32,
    /// Enable TCP keepalive on client sockets. Default `true`.
    pub tcp_keepalive: bool,
    /// Threads of the async runtime that serves clients; `0` means one per CPU core. Takes
    /// effect at start (not on reload). Default `0`.
    pub worker_threads: u32,
    /// Let MySQL clients run `LOAD DATA LOCAL INFILE` (the server then reads a file from the
    /// client's machine through the proxy). Off, servers are never offered LOCAL_FILES and
    /// refuse the statement themselves. Default `false`.
    pub mysql_local_infile: bool,
}

impl Default for ProxySection {
    fn default() -> Self {
        Self {
            pg_listen: Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 6432)),
            mysql_listen: Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 6033)),
            max_client_connections: 10_000,
            shutdown_grace_secs: 30,
            auth_timeout_secs: 10,
            client_idle_timeout_secs: 0,
            max_client_message_bytes: 64 * 1024 * 1024,
            tcp_keepalive: true,
            worker_threads: 0,
            mysql_local_infile: false,
        }
    }
}

impl ProxySection {
    /// `shutdown_grace_secs` as a [`Duration`].
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    /// `auth_timeout_secs` as a [`Duration`].
    pub fn auth_timeout(&self) -> Duration {
        Duration::from_secs(self.auth_timeout_secs)
    }

    /// `client_idle_timeout_secs` as a [`Duration`]; `None` when it is `0` (never).
    pub fn client_idle_timeout(&self) -> Option<Duration> {
        nonzero_secs(self.client_idle_timeout_secs)
    }
}

/// `Some(Duration)` for a non-zero number of seconds, `None` for `0` ("never"/"off").
pub(crate) fn nonzero_secs(secs: u64) -> Option<Duration> {
    (secs != 0).then(|| Duration::from_secs(secs))
}
