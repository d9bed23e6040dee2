//! Shared by the `sqlite_*` tests: a test proxy (see `common`) with an embedded SQLite
//! database `lite` in a fresh directory of its own, removed when the guard goes away.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use articdbm_proxy::StatementInspector;
use tokio_postgres::Client;

use crate::common::{ALICE_PW, Proxy, Setup, unique, within};

/// Client-facing name of the SQLite database of every `sqlite_*` test proxy.
pub const LITE: &str = "lite";

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A proxy serving `lite` from a new file, with `extra` keys in `[databases.lite]`.
pub struct Lite {
    pub proxy: Proxy,
    pub dir: TempDir,
}

impl Lite {
    pub async fn start(extra: &str) -> Lite {
        Self::start_with(extra, None).await
    }

    pub async fn start_with(extra: &str, inspector: Option<Arc<dyn StatementInspector>>) -> Lite {
        let dir = TempDir::new("sqlite");
        let mut setup = Setup::new("session").toml(&format!(
            "[databases.{LITE}]\nkind = \"sqlite\"\npath = \"{}\"\n{extra}\n",
            dir.file("lite.db").display()
        ));
        if let Some(inspector) = inspector {
            setup = setup.inspector(inspector);
        }
        Lite {
            proxy: setup.start().await,
            dir,
        }
    }

    /// `alice` connected to `lite`.
    pub async fn client(&self) -> Client {
        within(20, self.proxy.try_connect("alice", ALICE_PW, LITE))
            .await
            .expect("alice connects to the SQLite database")
            .client
    }
}
