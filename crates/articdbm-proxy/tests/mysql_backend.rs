//! The MySQL backend connection against the real MariaDB (127.0.0.1:3306): login with
//! `mysql_native_password` (right and wrong password), commands, COM_RESET_CONNECTION wiping
//! session state, liveness, reading a text result set (`query_rows`), and a pool of such
//! connections.

use std::time::Duration;

use articdbm_config::{PoolSettings, Secret};
use articdbm_proxy::backend::mysql::MySqlServer;
use articdbm_proxy::backend::target::{BackendTarget, MySqlWire};
use articdbm_proxy::backend::{Connection, MySqlPool};
use articdbm_proxy::error::BackendError;

const TIMEOUT: Duration = Duration::from_secs(5);

fn target(user: &str, password: Option<&str>) -> BackendTarget {
    BackendTarget {
        host: "127.0.0.1".into(),
        port: 3306,
        database: String::new(),
        user: user.into(),
        password: password.map(Secret::new),
        mysql: MySqlWire {
            caps: articdbm_proxy::backend::mysql::MIRRORED_CAPS.0,
            collation: 45,
            sync_wait: 0,
        },
    }
}

#[tokio::test]
async fn query_rows_reads_text_result_sets() {
    let mut root = MySqlServer::connect(&target("root", None), TIMEOUT)
        .await
        .expect("root connects");
    let rows = root
        .query_rows("SELECT 1, NULL, 'x' UNION ALL SELECT 2, 'y', ''")
        .await
        .expect("query");
    assert_eq!(
        rows,
        vec![
            vec![Some("1".into()), None, Some("x".into())],
            vec![Some("2".into()), Some("y".into()), Some(String::new())],
        ]
    );
    assert!(
        root.query_rows("DO 1")
            .await
            .expect("no result set")
            .is_empty()
    );
    let rows = root
        .query_rows("SHOW GLOBAL STATUS WHERE Variable_name IN ('Uptime','wsrep_ready')")
        .await
        .expect("status");
    assert!(
        rows.iter()
            .any(|r| r.first() == Some(&Some("Uptime".into()))),
        "{rows:?}"
    );
    match root.query_rows("SELECT * FROM no_such_db.t").await {
        Err(BackendError::MySql { code, .. }) => assert!(code == 1049 || code == 1146, "{code}"),
        other => panic!("expected a server error, got {other:?}"),
    }
    // The connection is still in step after the error.
    assert_eq!(
        root.query_rows("SELECT 'ok'").await.expect("after error"),
        vec![vec![Some("ok".into())]]
    );
}

/// A native-password user with a random name and password, dropped at the end of the test.
struct TestUser {
    name: String,
    password: String,
}

impl TestUser {
    async fn create() -> TestUser {
        let suffix: u32 = rand::random();
        let user = TestUser {
            name: format!("adbm_be_{suffix:08x}"),
            password: format!("pw-{:016x}", rand::random::<u64>()),
        };
        let mut root = MySqlServer::connect(&target("root", None), TIMEOUT)
            .await
            .expect("root connects");
        for sql in [
            format!(
                "CREATE USER '{}'@'127.0.0.1' IDENTIFIED BY '{}'",
                user.name, user.password
            ),
            format!("GRANT SELECT ON *.* TO '{}'@'127.0.0.1'", user.name),
        ] {
            root.health_check(&sql).await.expect("setup statement");
        }
        user
    }

    async fn drop_user(&self) {
        let mut root = MySqlServer::connect(&target("root", None), TIMEOUT)
            .await
            .expect("root connects");
        root.health_check(&format!("DROP USER IF EXISTS '{}'@'127.0.0.1'", self.name))
            .await
            .expect("drop user");
    }
}

#[tokio::test]
async fn native_password_login_right_and_wrong() {
    let user = TestUser::create().await;
    let mut server = MySqlServer::connect(&target(&user.name, Some(&user.password)), TIMEOUT)
        .await
        .expect("right password logs in");
    server.health_check("SELECT 1").await.expect("query runs");
    assert!(server.thread_id() > 0);
    let wrong = MySqlServer::connect(&target(&user.name, Some("nope")), TIMEOUT).await;
    match wrong {
        Err(BackendError::MySql { code, .. }) => assert_eq!(code, 1045),
        other => panic!("expected ERR 1045, got {other:?}"),
    }
    user.drop_user().await;
}

#[tokio::test]
async fn reset_wipes_session_state() {
    let mut server = MySqlServer::connect(&target("root", None), TIMEOUT)
        .await
        .expect("connects");
    server
        .health_check("CREATE TEMPORARY TABLE test.adbm_tmp (a int)")
        .await
        .expect("temp table");
    server.health_check("SET @x = 1").await.expect("user var");
    server
        .health_check("SELECT * FROM test.adbm_tmp")
        .await
        .expect("visible before reset");
    server.mark_needs_reset();
    assert!(server.needs_reset());
    server.reset("").await.expect("COM_RESET_CONNECTION");
    assert!(!server.needs_reset());
    match server.health_check("SELECT * FROM test.adbm_tmp").await {
        Err(BackendError::MySql { code, .. }) => assert_eq!(code, 1146, "table gone"),
        other => panic!("temporary table survived the reset: {other:?}"),
    }
    assert!(server.is_alive());
}

#[tokio::test]
async fn server_errors_keep_the_connection_usable() {
    let mut server = MySqlServer::connect(&target("root", None), TIMEOUT)
        .await
        .expect("connects");
    match server.health_check("SELEC 1").await {
        Err(BackendError::MySql { code, sqlstate, .. }) => {
            assert_eq!(code, 1064);
            assert_eq!(sqlstate, "42000");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    server
        .health_check("SELECT 1; SELECT 2")
        .await
        .expect("multi-statement with MULTI_STATEMENTS mirrored");
    server.health_check("SELECT 1").await.expect("still usable");
}

#[tokio::test]
async fn pool_hands_out_and_takes_back() {
    let pool = MySqlPool::start(
        "test/root".into(),
        target("root", None),
        PoolSettings {
            size: 2,
            ..PoolSettings::default()
        },
    );
    let mut a = pool.checkout().await.expect("first");
    let id_a = a.server().thread_id();
    a.release();
    let mut b = pool.checkout().await.expect("second");
    assert_eq!(b.server().thread_id(), id_a, "idle connection reused");
    b.release();
    assert!(
        pool.server_profile()
            .is_some_and(|p| p.version.contains("MariaDB"))
    );
}
