//! `articdbm hash-password` as a user runs it: the password on standard input, verifiers (or
//! TOML lines) on standard output, exit code 2 for usage errors.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_articdbm"))
        .arg("hash-password")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn articdbm");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write password");
    child.wait_with_output().expect("wait")
}

fn stdout_lines(out: &Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn mysql_methods() {
    let native = stdout_lines(&run(&["--method", "mysql-native"], "secret\n"));
    assert_eq!(
        native,
        ["mysql_native$14e65567abdb5135d0cfd9a70b3032c179a49ee7"]
    );
    let sha2 = stdout_lines(&run(&["--method", "caching-sha2"], "secret\r\n"));
    assert_eq!(sha2.len(), 1);
    assert!(sha2[0].starts_with("caching_sha2$"), "{sha2:?}");
    let parsed: articdbm_wire_mysql::auth::PasswordVerifier = sha2[0].parse().expect("parses");
    assert!(parsed.verify_password(b"secret"));
}

#[test]
fn toml_lines_paste_into_a_user_table() {
    let lines = stdout_lines(&run(&["--toml", "--mysql-method", "native"], "s3cret\n"));
    assert_eq!(lines.len(), 2, "{lines:?}");
    let text = format!("[users.alice]\n{}\n", lines.join("\n"));
    let config = articdbm_config::load_str(&text, &articdbm_config::Env::empty())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let alice = &config.users["alice"];
    assert!(alice.password.starts_with("SCRAM-SHA-256$"), "{text}");
    assert_eq!(
        alice.mysql_plugin(),
        Some(articdbm_config::MysqlAuthPlugin::MysqlNativePassword)
    );
}

#[test]
fn usage_errors_exit_2() {
    for (args, stdin) in [
        (&["--method", "mysql-native"][..], "\n"),
        (&["--toml", "--method", "caching-sha2"][..], "pw\n"),
        (&["--method", "md5"][..], "pw\n"),
    ] {
        let out = run(args, stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
