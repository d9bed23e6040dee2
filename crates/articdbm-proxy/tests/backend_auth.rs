//! The proxy logging in to PostgreSQL with a password (SCRAM-SHA-256 and md5), taken from the
//! environment variable named by `password_env`. The shared server trusts every local
//! connection, so this test creates two dedicated roles and puts `host test <role> 127.0.0.1/32
//! scram-sha-256|md5` lines above the trust lines of pg_hba.conf (under a file lock, reloading
//! the server); the lines and roles are removed when the test ends.

mod common;

use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

use common::{ALICE_PW, Setup, current_user, direct, run_blocking_cleanup, unique, within};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

/// Marks the lines this suite adds, so stale ones (from a killed run) can be recognised.
const MARKER: &str = "# articdbm-e2e-test";
const LOCK_FILE: &str = "/tmp/articdbm-e2e-pg_hba.lock";

/// Roles that must log in with a password, and their pg_hba.conf lines; undone on drop.
struct PasswordRoles {
    hba: PathBuf,
    lines: Vec<String>,
    roles: Vec<String>,
}

/// Rewrites pg_hba.conf in place (keeping its owner and mode) with `edit` applied, under an
/// exclusive lock shared by every process running these tests.
fn edit_hba(path: &PathBuf, edit: impl FnOnce(Vec<String>) -> Vec<String>) {
    let lock = File::create(LOCK_FILE).expect("lock file");
    lock.lock().expect("lock pg_hba.conf");
    let text = std::fs::read_to_string(path).expect("read pg_hba.conf");
    let lines = edit(text.lines().map(str::to_string).collect());
    let mut out = lines.join("\n");
    out.push('\n');
    std::fs::write(path, out).expect("write pg_hba.conf");
    drop(lock);
}

impl PasswordRoles {
    /// Creates `(role, password, method)` roles and requires `method` for them on database test.
    async fn create(specs: &[(&str, &str, &str)]) -> PasswordRoles {
        let d = direct().await;
        let hba: String = d
            .query_one("SHOW hba_file", &[])
            .await
            .expect("hba_file")
            .get(0);
        let existing: Vec<String> = d
            .query("SELECT rolname::text FROM pg_roles", &[])
            .await
            .expect("roles")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut guard = PasswordRoles {
            hba: PathBuf::from(hba),
            lines: Vec::new(),
            roles: Vec::new(),
        };
        for (role, password, method) in specs {
            let encryption = if *method == "md5" {
                "md5"
            } else {
                "scram-sha-256"
            };
            d.batch_execute(&format!(
                "SET password_encryption = '{encryption}'; \
                 CREATE ROLE {role} LOGIN PASSWORD '{password}'; RESET password_encryption"
            ))
            .await
            .expect("create role");
            guard.roles.push(role.to_string());
            guard
                .lines
                .push(format!("host test {role} 127.0.0.1/32 {method} {MARKER}"));
        }
        let ours = guard.lines.clone();
        edit_hba(&guard.hba, move |lines| {
            // Drop stale lines of this suite whose role no longer exists, then put ours first.
            let kept: Vec<String> = lines
                .into_iter()
                .filter(|l| {
                    !l.ends_with(MARKER)
                        || l.split_whitespace()
                            .nth(2)
                            .is_some_and(|r| existing.iter().any(|e| e == r))
                })
                .collect();
            let first_rule = kept
                .iter()
                .position(|l| {
                    let t = l.trim_start();
                    !t.is_empty() && !t.starts_with('#')
                })
                .unwrap_or(kept.len());
            let mut out = kept[..first_rule].to_vec();
            out.extend(ours);
            out.extend_from_slice(&kept[first_rule..]);
            out
        });
        d.batch_execute("SELECT pg_reload_conf()")
            .await
            .expect("reload");
        // Wait until the postmaster uses the new rules: a login without password is refused.
        for (role, _, _) in specs {
            let mut ok = false;
            for _ in 0..100 {
                let mut c = tokio_postgres::Config::new();
                c.host("127.0.0.1")
                    .port(common::PG_PORT)
                    .user(*role)
                    .dbname("test");
                if c.connect(NoTls).await.is_err() {
                    ok = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(ok, "pg_hba.conf rule for {role} never took effect");
        }
        guard
    }
}

impl Drop for PasswordRoles {
    fn drop(&mut self) {
        let ours = self.lines.clone();
        edit_hba(&self.hba, move |lines| {
            lines.into_iter().filter(|l| !ours.contains(l)).collect()
        });
        let mut sql = String::from("SELECT pg_reload_conf();");
        for role in &self.roles {
            sql.push_str(&format!("DROP ROLE IF EXISTS {role};"));
        }
        run_blocking_cleanup(sql);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_password_auth_scram_and_md5() {
    let scram_role = unique("scram");
    let md5_role = unique("md5");
    let roles = PasswordRoles::create(&[
        (&scram_role, "scram-Backend-pw", "scram-sha-256"),
        (&md5_role, "md5-Backend-pw", "md5"),
    ])
    .await;
    let mut toml = String::new();
    for (db, role, var) in [
        ("scram_ok", &scram_role, "IT_SCRAM_OK"),
        ("scram_bad", &scram_role, "IT_SCRAM_BAD"),
        ("md5_ok", &md5_role, "IT_MD5_OK"),
        ("md5_bad", &md5_role, "IT_MD5_BAD"),
    ] {
        toml.push_str(&format!(
            "[databases.{db}]\ndbname = \"test\"\nuser = \"{role}\"\npassword_env = \"{var}\"\n\n"
        ));
    }
    toml.push_str(&format!(
        "[databases.no_pw]\ndbname = \"test\"\nuser = \"{scram_role}\"\n"
    ));
    let proxy = Setup::new("transaction")
        .size(1)
        .toml(&toml)
        .env("IT_SCRAM_OK", "scram-Backend-pw")
        .env("IT_SCRAM_BAD", "not-the-password")
        .env("IT_MD5_OK", "md5-Backend-pw")
        .env("IT_MD5_BAD", "not-the-password")
        .start()
        .await;

    for (db, role) in [("scram_ok", &scram_role), ("md5_ok", &md5_role)] {
        let c = within(15, proxy.try_connect("alice", ALICE_PW, db))
            .await
            .unwrap_or_else(|e| panic!("{db}: {e:?}"));
        let who = current_user(&c.client).await;
        assert_eq!(&who, role);
        // Again on a second server connection of the same pool after a reset.
        c.client
            .batch_execute("SET work_mem = '2MB'")
            .await
            .expect("set");
        let who = current_user(&c.client).await;
        assert_eq!(&who, role);
    }
    for (db, role) in [("scram_bad", &scram_role), ("md5_bad", &md5_role)] {
        let r = within(15, proxy.try_connect("alice", ALICE_PW, db)).await;
        let e = r.map(|_| ()).expect_err("wrong backend password");
        let dbe = e.as_db_error().unwrap_or_else(|| panic!("{db}: {e:?}"));
        assert_eq!(
            dbe.code(),
            &SqlState::SQLSERVER_REJECTED_ESTABLISHMENT_OF_SQLCONNECTION,
            "{db}"
        );
        let msg = dbe.message();
        // The client learns its database is not available because its server refused the
        // proxy's login, never the backend role or the server's own message (in the log).
        assert!(
            msg.contains(&format!("\"{db}\""))
                && msg.contains("refused the proxy's login")
                && !msg.contains(role.as_str()),
            "{db}: unclear message {msg:?}"
        );
    }
    // No password configured for a role that needs one: a clear error, not a hang.
    let r = within(15, proxy.try_connect("alice", ALICE_PW, "no_pw")).await;
    let e = r.map(|_| ()).expect_err("no backend password");
    let msg = e
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_default();
    // The client is told its database is not available; the reason (no password configured
    // for the role) is in the proxy's log.
    assert!(
        msg.contains("\"no_pw\"") && msg.contains("not available"),
        "{msg:?}"
    );
    drop(proxy);
    drop(roles);
}
