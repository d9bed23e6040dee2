//! Log output setup: `RUST_LOG` wins over `logging.level`; text or JSON lines on stderr.

use articdbm_config::{LogFormat, LoggingSection};
use tracing_subscriber::EnvFilter;

pub fn init(cfg: &LoggingSection) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&cfg.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match cfg.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
