//! Log output: every log line goes to standard error, as text (ANSI colours only when standard
//! error is a terminal) or as one JSON object per line. `RUST_LOG` wins over `logging.level`.
//! Both `logging.level` and `logging.format` are applied again on reload (SIGHUP or the admin
//! `RELOAD`) through reload layers.

use std::io::IsTerminal;
use std::sync::Mutex;

use articdbm_config::{LogFormat, LoggingSection};
use tracing_subscriber::layer::{Layered, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, reload};

type Filtered = Layered<reload::Layer<EnvFilter, Registry>, Registry>;
type FormatLayer = Box<dyn Layer<Filtered> + Send + Sync>;

/// Changes the running log filter and format (see [`LogHandle::apply`]).
pub struct LogHandle {
    filter: reload::Handle<EnvFilter, Registry>,
    format: reload::Handle<FormatLayer, Filtered>,
    current: Mutex<LoggingSection>,
    /// `RUST_LOG` was set at start: it keeps deciding the filter.
    from_env: bool,
}

/// Sets up logging from `cfg` and returns the handle that applies later changes.
pub fn init(cfg: &LoggingSection) -> LogHandle {
    let from_env = std::env::var_os(EnvFilter::DEFAULT_ENV).is_some();
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&cfg.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (filter, filter_handle) = reload::Layer::new(filter);
    let (format, format_handle) = reload::Layer::new(format_layer(cfg.format));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(format)
        .try_init();
    LogHandle {
        filter: filter_handle,
        format: format_handle,
        current: Mutex::new(cfg.clone()),
        from_env,
    }
}

/// The output layer for `format`, writing to standard error.
fn format_layer(format: LogFormat) -> FormatLayer {
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    match format {
        LogFormat::Json => Box::new(layer.json()),
        LogFormat::Text => Box::new(layer.with_ansi(std::io::stderr().is_terminal())),
    }
}

impl LogHandle {
    /// Applies a reloaded `[logging]` section and logs what changed.
    pub fn apply(&self, next: &LoggingSection) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if next.format != current.format {
            match self.format.reload(format_layer(next.format)) {
                Ok(()) => tracing::info!(format = ?next.format, "logging.format applied"),
                Err(e) => tracing::warn!(error = %e, "logging.format could not be applied"),
            }
        }
        if next.level != current.level {
            if self.from_env {
                tracing::warn!(
                    level = %next.level,
                    "logging.level changed, but RUST_LOG is set and decides the filter: unchanged"
                );
            } else {
                match EnvFilter::try_new(&next.level) {
                    Ok(filter) => {
                        // Said before the switch, so that it shows even when the new level
                        // hides such lines.
                        tracing::info!(
                            "logging.level changes from \"{}\" to \"{}\"",
                            current.level,
                            next.level
                        );
                        if let Err(e) = self.filter.reload(filter) {
                            tracing::warn!(error = %e, "logging.level could not be applied");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "logging.level is not a valid filter"),
                }
            }
        }
        *current = next.clone();
    }
}
