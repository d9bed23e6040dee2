//! `articdbm proxy`: load and validate the configuration, bind, print how to connect, then serve
//! until SIGTERM/SIGINT (graceful drain) with SIGHUP reloading the configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use articdbm_config::{Config, Env};
use articdbm_proxy::{AllowAll, LiveState, RuntimeConfig, ShutdownTrigger};
use tokio::net::TcpListener;

use crate::cli::{Overrides, ProxyArgs};

pub fn run(args: ProxyArgs) -> ExitCode {
    let env = args.overrides.env();
    let (path, config) = match load(args.config, &env) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{}", args.overrides.name_flags(&format!("{e:#}")));
            return ExitCode::from(2);
        }
    };
    let log = crate::logging::init(&config.logging);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if config.proxy.worker_threads > 0 {
        builder.worker_threads(config.proxy.worker_threads as usize);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(path, config, args.overrides, log)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // After logging is set up, errors are log lines (JSON in JSON mode), never
            // plain text mixed into them.
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The configuration file to use (the given one, else the quick-start file, created on first
/// use) and the configuration loaded from it with `env`.
pub fn load(explicit: Option<PathBuf>, env: &Env) -> anyhow::Result<(PathBuf, Config)> {
    let path = match explicit {
        Some(p) => p,
        None => {
            let defaults = articdbm_config::load(None, env).map_err(|e| anyhow::anyhow!("{e}"))?;
            crate::quickstart::ensure(&defaults.data_dir)?
        }
    };
    // The error names the file (and every problem's key and line) itself.
    let config = articdbm_config::load(Some(&path), env).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((path, config))
}

/// Binds `addr` for the listener configured at `key`; logs the port the system chose when the
/// configuration asked for port 0.
async fn bind(addr: Option<SocketAddr>, key: &str) -> anyhow::Result<Option<TcpListener>> {
    let Some(addr) = addr else {
        tracing::info!("{key} is \"\": that listener is not opened");
        return Ok(None);
    };
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({key})"))?;
    let local = listener.local_addr()?;
    if addr.port() == 0 {
        tracing::info!(%local, "{key} asks for port 0: the system chose port {}", local.port());
    }
    Ok(Some(listener))
}

async fn serve(
    path: PathBuf,
    config: Config,
    overrides: Overrides,
    log: crate::logging::LogHandle,
) -> anyhow::Result<()> {
    let pg_listen = config.proxy.pg_listen;
    let mysql_listen = config.proxy.mysql_listen;
    let runtime_config = RuntimeConfig::build(config).context("configuration cannot be used")?;
    let reload_path = path.clone();
    let source: articdbm_proxy::ConfigSource = Box::new(move || {
        // A fresh environment, with the command-line flags still in force.
        let env = overrides.env();
        articdbm_config::load(Some(&reload_path), &env).map_err(|e| e.to_string())
    });
    let state = LiveState::new(runtime_config, Some(source), Arc::new(AllowAll));
    state.on_reload(Box::new(move |config: &Config| log.apply(&config.logging)));
    let unopened = state.sqlite_failures();
    if !unopened.is_empty() {
        let list: Vec<String> = unopened
            .iter()
            .map(|(name, reason)| format!("  databases.{name}: {reason}"))
            .collect();
        anyhow::bail!("cannot open SQLite databases:\n{}", list.join("\n"));
    }
    let pg_listener = bind(pg_listen, "proxy.pg_listen").await?;
    let mysql_listener = bind(mysql_listen, "proxy.mysql_listen").await?;
    let pg_local = pg_listener
        .as_ref()
        .map(TcpListener::local_addr)
        .transpose()?;
    let mysql_local = mysql_listener
        .as_ref()
        .map(TcpListener::local_addr)
        .transpose()?;
    crate::banner::print(&crate::banner::Banner {
        path: &path,
        config: &state.runtime().config,
        pg: pg_local,
        mysql: mysql_local,
    });
    tracing::info!(
        pg = %pg_local.map(|a| a.to_string()).unwrap_or_default(),
        mysql = %mysql_local.map(|a| a.to_string()).unwrap_or_default(),
        "listening"
    );
    let trigger = Arc::new(ShutdownTrigger::new());
    spawn_signal_handlers(Arc::clone(&state), Arc::clone(&trigger))?;
    let listeners = articdbm_proxy::Listeners {
        pg: pg_listener,
        mysql: mysql_listener,
    };
    articdbm_proxy::serve(listeners, state, trigger).await;
    tracing::info!("stopped");
    Ok(())
}

fn spawn_signal_handlers(
    state: Arc<LiveState>,
    trigger: Arc<ShutdownTrigger>,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        loop {
            if hup.recv().await.is_none() {
                return;
            }
            // `reload` logs what changed, or why nothing did.
            let _ = state.reload();
        }
    });
    tokio::spawn(async move {
        let mut asked = 0;
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            asked += 1;
            if asked == 1 {
                tracing::info!("shutdown requested: draining (signal again to force)");
                trigger.drain();
            } else {
                trigger.force();
            }
        }
    });
    Ok(())
}
