//! `articdbm proxy`: load and validate the configuration, bind, print how to connect, then serve
//! until SIGTERM/SIGINT (graceful drain) with SIGHUP reloading the configuration.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use articdbm_config::{Config, DatabaseKind, Env};
use articdbm_proxy::{AllowAll, LiveState, RuntimeConfig, ShutdownTrigger};

use crate::cli::ProxyArgs;

pub fn run(args: ProxyArgs) -> ExitCode {
    let (path, config) = match load(args.config) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e:#}");
            return ExitCode::from(2);
        }
    };
    crate::logging::init(&config.logging);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if config.proxy.worker_threads > 0 {
        builder.worker_threads(config.proxy.worker_threads as usize);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(path, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(explicit: Option<PathBuf>) -> anyhow::Result<(PathBuf, Config)> {
    let env = Env::from_process();
    let path = match explicit {
        Some(p) => p,
        None => {
            let defaults = articdbm_config::load(None, &env)
                .map_err(|e| anyhow::anyhow!("invalid configuration\n{e}"))?;
            crate::quickstart::ensure(&defaults.data_dir)?
        }
    };
    let config = articdbm_config::load(Some(&path), &env)
        .map_err(|e| anyhow::anyhow!("{}: invalid configuration\n{e}", path.display()))?;
    Ok((path, config))
}

async fn serve(path: PathBuf, config: Config) -> anyhow::Result<()> {
    let listen = config.proxy.pg_listen;
    let mysql_listen = config.proxy.mysql_listen;
    let runtime_config = RuntimeConfig::build(config).context("configuration cannot be used")?;
    let reload_path = path.clone();
    let source: articdbm_proxy::ConfigSource = Box::new(move || {
        articdbm_config::load(Some(&reload_path), &Env::from_process()).map_err(|e| e.to_string())
    });
    let state = LiveState::new(runtime_config, Some(source), Arc::new(AllowAll));
    let unopened = state.sqlite_failures();
    if !unopened.is_empty() {
        let list: Vec<String> = unopened
            .iter()
            .map(|(name, reason)| format!("  databases.{name}: {reason}"))
            .collect();
        anyhow::bail!("cannot open SQLite databases:\n{}", list.join("\n"));
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let local = listener.local_addr()?;
    let mysql_listener = match mysql_listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} (proxy.mysql_listen)"))?,
        ),
        None => None,
    };
    let mysql_local = mysql_listener
        .as_ref()
        .map(tokio::net::TcpListener::local_addr)
        .transpose()?;
    println!(
        "ArticDBM {} listening for PostgreSQL clients on {local}",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(addr) = mysql_local {
        println!("  MySQL clients on {addr}");
    }
    println!("  configuration: {}", path.display());
    let user = if path.ends_with(crate::quickstart::FILE_NAME) {
        crate::quickstart::USER
    } else {
        "<user>"
    };
    let databases = &state.runtime().config.databases;
    let served_over = |mysql: bool| {
        databases
            .iter()
            .filter(|(name, _)| name.as_str() != articdbm_config::WILDCARD)
            .find(|(_, db)| db.kind == DatabaseKind::Sqlite || db.kind.is_mysql() == mysql)
            .map(|(name, _)| name.clone())
    };
    let pg_db = served_over(false).unwrap_or_else(|| "<database>".to_owned());
    println!(
        "  connect:       psql \"host={} port={} user={user} dbname={pg_db}\"",
        local.ip(),
        local.port()
    );
    // A mysql command is only worth printing when some database is served over MySQL.
    if let (Some(addr), Some(db)) = (mysql_local, served_over(true)) {
        println!(
            "  connect:       mysql -h {} -P {} -u {user} -p {db}",
            addr.ip(),
            addr.port()
        );
    }
    let trigger = Arc::new(ShutdownTrigger::new());
    spawn_signal_handlers(Arc::clone(&state), Arc::clone(&trigger))?;
    let listeners = articdbm_proxy::Listeners {
        pg: Some(listener),
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
            match state.reload() {
                Ok(()) => {}
                Err(e) => tracing::error!(error = %e, "reload failed, configuration unchanged"),
            }
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
