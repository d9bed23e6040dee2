//! `articdbm proxy` as a process: the quick start (its files private, its banner with the admin
//! console command), the log streams (text without colours when not on a terminal; in JSON
//! mode every standard-error line a JSON object and the banner plain on standard output),
//! the port chosen for port 0, and reloads on SIGHUP (what changed, failures, and
//! `logging.level`/`logging.format` applied).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{Running, scratch, write};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn quick_start_keeps_its_files_private_and_prints_the_admin_console() {
    let dir = scratch("quickstart").join("data");
    let data = dir.display().to_string();
    let proxy = Running::start(
        &[
            "--data-dir",
            &data,
            "--pg-listen",
            "127.0.0.1:0",
            "--mysql-listen",
            "",
        ],
        &[],
    );
    let out = proxy.stdout();
    assert!(out.contains("Password for admin"), "{out}");
    assert!(out.contains("Lost it?"), "{out}");
    assert!(
        out.contains("admin console: psql \"host=127.0.0.1 port=")
            && out.contains("user=admin dbname=articdbm_admin\""),
        "{out}"
    );
    assert_eq!(mode(&dir), 0o700, "data_dir");
    assert_eq!(mode(&dir.join("quickstart.toml")), 0o600);
    assert_eq!(mode(&dir.join("articdbm.db")), 0o600);
    for side in ["articdbm.db-wal", "articdbm.db-shm"] {
        let path = dir.join(side);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{side}");
        }
    }
    // MySQL off: no MySQL line, and the port the system chose for port 0 is logged.
    assert!(!out.contains("MySQL clients on"), "{out}");
    let port = proxy.pg_port();
    proxy.wait_for(
        |_, err| err.contains(&format!("the system chose port {port}")),
        "the chosen port in the log",
    );
}

#[test]
fn text_logs_have_no_colours_off_a_terminal_and_json_logs_are_pure_json() {
    let dir = scratch("logs");
    let file = write(
        &dir.join("c.toml"),
        "[proxy]\npg_listen = \"127.0.0.1:0\"\nmysql_listen = \"\"\n",
    );
    let text_mode = Running::start(&["-c", &file], &[]);
    text_mode.wait_for(|_, err| err.contains("listening"), "a log line");
    assert!(
        !text_mode.stderr().contains('\u{1b}'),
        "{:?}",
        text_mode.stderr()
    );
    drop(text_mode);

    let json = Running::start(&["-c", &file], &[("ARTICDBM_LOGGING__FORMAT", "json")]);
    json.wait_for(|_, err| err.contains("listening"), "a log line");
    json.signal("HUP");
    json.wait_for(
        |_, err| err.contains("configuration reloaded"),
        "the reload line",
    );
    let err = json.stderr();
    for line in err.lines() {
        assert!(
            line.starts_with('{') && line.ends_with('}') && line.contains("\"level\""),
            "not a JSON log line: {line}\n{err}"
        );
    }
    let out = json.stdout();
    assert!(
        out.contains("listening for PostgreSQL clients on 127.0.0.1:"),
        "{out}"
    );
    assert!(!out.contains('{') && !out.contains("\"level\""), "{out}");
}

#[test]
fn sighup_reload_says_what_changed_applies_logging_and_logs_failures() {
    let dir = scratch("reload");
    let path = dir.join("c.toml");
    let base = "[proxy]\npg_listen = \"127.0.0.1:0\"\nmysql_listen = \"\"\n";
    let file = write(
        &path,
        &format!("{base}\n[databases.one]\ndbname = \"test\"\n"),
    );
    let proxy = Running::start(&["-c", &file], &[]);

    write(
        &path,
        &format!("{base}\n[pool]\nsize = 3\n\n[databases.two]\ndbname = \"test\"\n"),
    );
    proxy.signal("HUP");
    proxy.wait_for(
        |_, err| err.contains("configuration reloaded: databases: added two removed one"),
        "the reload line naming what changed",
    );
    assert!(
        proxy.stderr().contains("changed sections: pool"),
        "{}",
        proxy.stderr()
    );

    // A broken file: logged, nothing changes.
    write(&path, &format!("{base}\n[pool]\nsize = 0\n"));
    proxy.signal("HUP");
    proxy.wait_for(
        |_, err| err.contains("reload failed") && err.contains("pool.size"),
        "the failed reload in the log",
    );

    // logging.format takes effect on reload: the next lines are JSON.
    write(&path, &format!("{base}\n[logging]\nformat = \"json\"\n"));
    proxy.signal("HUP");
    proxy.wait_for(
        |_, err| {
            err.lines()
                .any(|l| l.starts_with('{') && l.contains("logging.format applied"))
        },
        "a JSON log line after the reload",
    );

    // logging.level too: at "error", a successful reload is no longer logged.
    write(
        &path,
        &format!("{base}\n[logging]\nformat = \"json\"\nlevel = \"error\"\n"),
    );
    proxy.signal("HUP");
    proxy.wait_for(|_, err| err.contains("logging.level"), "the level change");
    let lines = proxy.stderr().lines().count();
    proxy.signal("HUP");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(proxy.stderr().lines().count(), lines, "{}", proxy.stderr());
}

#[test]
fn one_log_line_per_backend_connection_failure_and_no_address_for_the_client() {
    let dir = scratch("backend-down");
    let verifier = articdbm_wire_pg::auth::ScramVerifier::generate("pw", 4096).to_string();
    let file = write(
        &dir.join("c.toml"),
        &format!(
            "[proxy]\npg_listen = \"127.0.0.1:0\"\nmysql_listen = \"\"\n\n\
             [pool]\nwarmup_ratio = 0.0\n\n[users.u]\npassword = \"{verifier}\"\n\n\
             [databases.gone]\nhost = \"127.0.0.1\"\nport = 1\ndbname = \"test\"\n"
        ),
    );
    let proxy = Running::start(&["-c", &file], &[]);
    let port = proxy.pg_port();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let message = runtime.block_on(async {
        let mut config = tokio_postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(port)
            .user("u")
            .password("pw")
            .dbname("gone");
        let error = match config.connect(tokio_postgres::NoTls).await {
            Err(e) => e,
            Ok((client, connection)) => {
                tokio::spawn(connection);
                client.simple_query("SELECT 1").await.expect_err("gone")
            }
        };
        error
            .as_db_error()
            .map(|e| e.message().to_owned())
            .unwrap_or_else(|| panic!("not a database error: {error:?}"))
    });
    assert!(
        message.contains("\"gone\"") && !message.contains("127.0.0.1"),
        "{message}"
    );
    proxy.wait_for(
        |_, err| err.contains("127.0.0.1:1"),
        "the failure in the log",
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let err = proxy.stderr();
    assert_eq!(err.matches("127.0.0.1:1:").count(), 1, "{err}");
}
