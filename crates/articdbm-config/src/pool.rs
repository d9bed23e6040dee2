//! `[pool]` (defaults for every database) and `[databases.<name>.pool]` (per-database
//! overrides), and how the two merge.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::proxy::nonzero_secs;

/// Connection pool settings. `[pool]` holds the defaults for every database; each database
/// can override any field in `[databases.<name>.pool]` (see [`PoolOverrides`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolSettings {
    /// `"transaction"`: a backend connection is held for one transaction; `"session"`: for
    /// the whole client session. Default `"transaction"`.
    pub mode: PoolMode,
    /// Most backend connections per (database, user) pool. Must be at least 1. Default `20`.
    pub size: u32,
    /// Connections kept open even when idle. At most `size`. Default `0`.
    pub min_idle: u32,
    /// Share of `size` opened when the pool starts, `0.0..=1.0`. Default `0.3`.
    pub warmup_ratio: f64,
    /// Share of `size` kept open while idle for reuse, `0.0..=1.0`. Default `0.8`.
    pub idle_ratio: f64,
    /// Seconds after which a backend connection is closed once released; `0` means no limit.
    /// Default `180`.
    pub max_lifetime_secs: u64,
    /// Seconds an unused backend connection is kept before closing; `0` means forever.
    /// Default `60`.
    pub idle_timeout_secs: u64,
    /// Seconds a client waits for a free backend connection before getting an error; `0` means
    /// wait forever. Default `30`.
    pub checkout_timeout_secs: u64,
    /// Seconds allowed to open and authenticate a backend connection. Must be at least 1.
    /// Default `5`.
    pub connect_timeout_secs: u64,
    /// Statement run on a backend connection before it is handed to another client in
    /// transaction mode or after a session ends; empty means no reset. Default `"DISCARD ALL"`.
    pub reset_query: String,
    /// Seconds between health checks of idle backend connections; `0` disables them.
    /// Default `10`.
    pub health_check_interval_secs: u64,
    /// Statement used for health checks. Must not be empty. Default `"SELECT 1"`.
    pub health_check_query: String,
    /// Seconds a client may sit idle inside an open transaction before it is disconnected
    /// (its transaction rolled back, its server freed), as the server's own
    /// `idle_in_transaction_session_timeout` (PostgreSQL) or `idle_transaction_timeout`
    /// (MariaDB) would; `0` means never. Default `0`.
    pub idle_in_transaction_timeout_secs: u64,
    /// After a failed connect the pool stops dialling its server for this many milliseconds
    /// (doubling at each further failure, ±25% jitter), answering checkouts at once with an
    /// error; then one connect probes the server. Must be at least 1. Default `100`.
    pub reconnect_backoff_min_ms: u64,
    /// The longest pause between two connect attempts to a server that is down. At least
    /// `reconnect_backoff_min_ms`. Default `2000`.
    pub reconnect_backoff_max_ms: u64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            mode: PoolMode::Transaction,
            size: 20,
            min_idle: 0,
            warmup_ratio: 0.3,
            idle_ratio: 0.8,
            max_lifetime_secs: 180,
            idle_timeout_secs: 60,
            checkout_timeout_secs: 30,
            connect_timeout_secs: 5,
            reset_query: "DISCARD ALL".to_owned(),
            health_check_interval_secs: 10,
            health_check_query: "SELECT 1".to_owned(),
            idle_in_transaction_timeout_secs: 0,
            reconnect_backoff_min_ms: 100,
            reconnect_backoff_max_ms: 2000,
        }
    }
}

impl PoolSettings {
    /// `max_lifetime_secs` as a [`Duration`]; `None` when `0` (no limit).
    pub fn max_lifetime(&self) -> Option<Duration> {
        nonzero_secs(self.max_lifetime_secs)
    }

    /// `idle_timeout_secs` as a [`Duration`]; `None` when `0` (kept forever).
    pub fn idle_timeout(&self) -> Option<Duration> {
        nonzero_secs(self.idle_timeout_secs)
    }

    /// `checkout_timeout_secs` as a [`Duration`]; `None` when `0` (wait forever).
    pub fn checkout_timeout(&self) -> Option<Duration> {
        nonzero_secs(self.checkout_timeout_secs)
    }

    /// `connect_timeout_secs` as a [`Duration`].
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }

    /// The reconnect backoff range (`reconnect_backoff_min_ms`..`reconnect_backoff_max_ms`).
    pub fn reconnect_backoff(&self) -> (Duration, Duration) {
        (
            Duration::from_millis(self.reconnect_backoff_min_ms),
            Duration::from_millis(self.reconnect_backoff_max_ms),
        )
    }

    /// `health_check_interval_secs` as a [`Duration`]; `None` when `0` (disabled).
    pub fn health_check_interval(&self) -> Option<Duration> {
        nonzero_secs(self.health_check_interval_secs)
    }

    /// `idle_in_transaction_timeout_secs` as a [`Duration`]; `None` when `0` (never).
    pub fn idle_in_transaction_timeout(&self) -> Option<Duration> {
        nonzero_secs(self.idle_in_transaction_timeout_secs)
    }

    /// Connections to open at start: `round(size × warmup_ratio)`, at least `min_idle`, at
    /// most `size`.
    pub fn warmup_connections(&self) -> u32 {
        self.share(self.warmup_ratio)
    }

    /// Idle connections kept for reuse: `round(size × idle_ratio)`, at least `min_idle`, at
    /// most `size`.
    pub fn max_idle_connections(&self) -> u32 {
        self.share(self.idle_ratio)
    }

    fn share(&self, ratio: f64) -> u32 {
        let ratio = if ratio.is_finite() {
            ratio.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // In range 0..=size after the clamp, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = (f64::from(self.size) * ratio).round() as u32;
        n.max(self.min_idle).min(self.size)
    }
}

/// `pool.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolMode {
    /// `"session"`: a client keeps its backend connection until it disconnects.
    Session,
    /// `"transaction"`: a client holds a backend connection only during a transaction.
    #[default]
    Transaction,
}

/// `[databases.<name>.pool]`: any [`PoolSettings`] field; unset fields come from `[pool]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolOverrides {
    /// Overrides `pool.mode`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<PoolMode>,
    /// Overrides `pool.size`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    /// Overrides `pool.min_idle`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_idle: Option<u32>,
    /// Overrides `pool.warmup_ratio`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warmup_ratio: Option<f64>,
    /// Overrides `pool.idle_ratio`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_ratio: Option<f64>,
    /// Overrides `pool.max_lifetime_secs`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_lifetime_secs: Option<u64>,
    /// Overrides `pool.idle_timeout_secs`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout_secs: Option<u64>,
    /// Overrides `pool.checkout_timeout_secs`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout_timeout_secs: Option<u64>,
    /// Overrides `pool.connect_timeout_secs`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout_secs: Option<u64>,
    /// Overrides `pool.reset_query`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_query: Option<String>,
    /// Overrides `pool.health_check_interval_secs`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_interval_secs: Option<u64>,
    /// Overrides `pool.health_check_query`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_query: Option<String>,
    /// Overrides `pool.idle_in_transaction_timeout_secs`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_in_transaction_timeout_secs: Option<u64>,
    /// Overrides `pool.reconnect_backoff_min_ms`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconnect_backoff_min_ms: Option<u64>,
    /// Overrides `pool.reconnect_backoff_max_ms`. Default: unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconnect_backoff_max_ms: Option<u64>,
}

impl PoolOverrides {
    /// `defaults` with every set field of `self` laid over it.
    pub fn apply(&self, defaults: &PoolSettings) -> PoolSettings {
        PoolSettings {
            mode: self.mode.unwrap_or(defaults.mode),
            size: self.size.unwrap_or(defaults.size),
            min_idle: self.min_idle.unwrap_or(defaults.min_idle),
            warmup_ratio: self.warmup_ratio.unwrap_or(defaults.warmup_ratio),
            idle_ratio: self.idle_ratio.unwrap_or(defaults.idle_ratio),
            max_lifetime_secs: self.max_lifetime_secs.unwrap_or(defaults.max_lifetime_secs),
            idle_timeout_secs: self.idle_timeout_secs.unwrap_or(defaults.idle_timeout_secs),
            checkout_timeout_secs: self
                .checkout_timeout_secs
                .unwrap_or(defaults.checkout_timeout_secs),
            connect_timeout_secs: self
                .connect_timeout_secs
                .unwrap_or(defaults.connect_timeout_secs),
            reset_query: self
                .reset_query
                .clone()
                .unwrap_or_else(|| defaults.reset_query.clone()),
            health_check_interval_secs: self
                .health_check_interval_secs
                .unwrap_or(defaults.health_check_interval_secs),
            health_check_query: self
                .health_check_query
                .clone()
                .unwrap_or_else(|| defaults.health_check_query.clone()),
            idle_in_transaction_timeout_secs: self
                .idle_in_transaction_timeout_secs
                .unwrap_or(defaults.idle_in_transaction_timeout_secs),
            reconnect_backoff_min_ms: self
                .reconnect_backoff_min_ms
                .unwrap_or(defaults.reconnect_backoff_min_ms),
            reconnect_backoff_max_ms: self
                .reconnect_backoff_max_ms
                .unwrap_or(defaults.reconnect_backoff_max_ms),
        }
    }

    /// Whether the field named `field` (as in the file) is set here.
    pub(crate) fn is_set(&self, field: &str) -> bool {
        match field {
            "mode" => self.mode.is_some(),
            "size" => self.size.is_some(),
            "min_idle" => self.min_idle.is_some(),
            "warmup_ratio" => self.warmup_ratio.is_some(),
            "idle_ratio" => self.idle_ratio.is_some(),
            "max_lifetime_secs" => self.max_lifetime_secs.is_some(),
            "idle_timeout_secs" => self.idle_timeout_secs.is_some(),
            "checkout_timeout_secs" => self.checkout_timeout_secs.is_some(),
            "connect_timeout_secs" => self.connect_timeout_secs.is_some(),
            "reset_query" => self.reset_query.is_some(),
            "health_check_interval_secs" => self.health_check_interval_secs.is_some(),
            "health_check_query" => self.health_check_query.is_some(),
            "idle_in_transaction_timeout_secs" => self.idle_in_transaction_timeout_secs.is_some(),
            "reconnect_backoff_min_ms" => self.reconnect_backoff_min_ms.is_some(),
            "reconnect_backoff_max_ms" => self.reconnect_backoff_max_ms.is_some(),
            _ => false,
        }
    }
}
