//! Shared by the `mysql_sqlite*` tests: a test proxy (both listeners, see `common::mysql`)
//! serving two embedded SQLite databases, `lite` and `lite2`, from files in a fresh
//! directory (removed on drop), and MySQL accounts: `nat` (mysql_native_password, every
//! database), `sha` (caching_sha2_password, every database), `only2` (native, `lite2`
//! only). Clients are real mysql_async connections.
#![allow(dead_code)]

pub mod wire;

use std::path::PathBuf;
use std::sync::Arc;

use articdbm_proxy::{AllowAll, StatementInspector};
use articdbm_wire_mysql::auth::{CachingSha2Verifier, NativeVerifier};
use mysql_async::Conn;

use crate::common::mysql::{MyProxy, NAT_PW, SHA_PW, start_inspected};
use crate::common::{Setup, unique};

pub const LITE: &str = "lite";
pub const LITE2: &str = "lite2";

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct LiteMy {
    pub proxy: MyProxy,
    pub dir: TempDir,
}

impl LiteMy {
    pub async fn start() -> LiteMy {
        Self::start_inspected(Arc::new(AllowAll)).await
    }

    pub async fn start_inspected(inspector: Arc<dyn StatementInspector>) -> LiteMy {
        let dir = TempDir::new("mysqlite");
        let nat = NativeVerifier::from_password(NAT_PW.as_bytes());
        let sha = CachingSha2Verifier::from_password(SHA_PW.as_bytes());
        let toml = format!(
            r#"
[users.nat]
mysql_password = "{nat}"

[users.sha]
mysql_password = "{sha}"

[users.only2]
mysql_password = "{nat}"
databases = ["{LITE2}"]

[databases.{LITE}]
kind = "sqlite"
path = "{one}"

[databases.{LITE2}]
kind = "sqlite"
path = "{two}"
"#,
            one = dir.0.join("one.db").display(),
            two = dir.0.join("two.db").display(),
        );
        let proxy = start_inspected(Setup::new("session").toml(&toml), inspector).await;
        LiteMy { proxy, dir }
    }

    /// `nat` on `lite`.
    pub async fn conn(&self) -> Conn {
        self.conn_as("nat", NAT_PW, Some(LITE)).await
    }

    pub async fn conn_as(&self, user: &str, password: &str, db: Option<&str>) -> Conn {
        self.proxy
            .connect(user, password, db)
            .await
            .unwrap_or_else(|e| panic!("connect {user} to {db:?}: {e}"))
    }
}
