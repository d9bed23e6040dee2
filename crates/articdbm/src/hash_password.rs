//! `articdbm hash-password`: turns a password read from stdin into a stored verifier, so that
//! no plaintext password ever needs to be written into a configuration file. One verifier per
//! run (`--method`), or with `--toml` the `password` (PostgreSQL) and `mysql_password` (MySQL)
//! lines of a `[users.<name>]` table, from the one password.

use std::io::BufRead;
use std::process::ExitCode;

use articdbm_wire_mysql::auth::{CachingSha2Verifier, NativeVerifier};
use articdbm_wire_pg::auth::{Md5Verifier, ScramVerifier};

use crate::cli::{HashPasswordArgs, Method, MysqlMethod};

pub fn run(args: HashPasswordArgs) -> ExitCode {
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        eprintln!("could not read the password from standard input");
        return ExitCode::from(2);
    }
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        eprintln!("empty password");
        return ExitCode::from(2);
    }
    match output(&args, password) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

/// The lines to print for `password`: one verifier, or with `--toml` the two TOML lines.
fn output(args: &HashPasswordArgs, password: &str) -> Result<Vec<String>, String> {
    let method = args.method.unwrap_or(Method::ScramSha256);
    if !args.toml {
        return verifier(method, args, password).map(|v| vec![v]);
    }
    if matches!(method, Method::MysqlNative | Method::CachingSha2) {
        return Err(
            "--toml prints both protocols' lines: --method picks the PostgreSQL verifier \
             (scram-sha-256 or md5), --mysql-method the MySQL one (caching-sha2 or native)"
                .to_owned(),
        );
    }
    let mysql_method = match args.mysql_method {
        MysqlMethod::CachingSha2 => Method::CachingSha2,
        MysqlMethod::Native => Method::MysqlNative,
    };
    Ok(vec![
        format!("password = \"{}\"", verifier(method, args, password)?),
        format!(
            "mysql_password = \"{}\"",
            verifier(mysql_method, args, password)?
        ),
    ])
}

/// One verifier of kind `method`. (None of the formats contains `"` or `\`, so each can be
/// put between TOML quotes as it is.)
fn verifier(method: Method, args: &HashPasswordArgs, password: &str) -> Result<String, String> {
    Ok(match method {
        Method::ScramSha256 => ScramVerifier::generate(password, args.iterations).to_string(),
        Method::Md5 => {
            let Some(user) = &args.user else {
                return Err("--user is required for md5 verifiers".to_owned());
            };
            Md5Verifier::generate(user, password).to_string()
        }
        Method::MysqlNative => NativeVerifier::from_password(password.as_bytes()).to_string(),
        Method::CachingSha2 => CachingSha2Verifier::from_password(password.as_bytes()).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use articdbm_wire_mysql::auth::PasswordVerifier as MysqlVerifier;
    use articdbm_wire_pg::auth::PasswordVerifier as PgVerifier;
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn args(argv: &[&str]) -> HashPasswordArgs {
        let cli = Cli::try_parse_from(
            ["articdbm", "hash-password"]
                .iter()
                .chain(argv)
                .copied()
                .collect::<Vec<_>>(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        match cli.command {
            Command::HashPassword(args) => args,
            other => panic!("parsed {other:?}"),
        }
    }

    fn one(argv: &[&str], password: &str) -> String {
        let lines = output(&args(argv), password).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lines.len(), 1, "{lines:?}");
        lines.into_iter().next().unwrap_or_default()
    }

    fn mysql_ok(verifier: &str, password: &str) -> bool {
        let parsed: MysqlVerifier = verifier.parse().unwrap_or_else(|e| panic!("{e}"));
        parsed.verify_password(password.as_bytes())
    }

    #[test]
    fn mysql_methods_print_one_verifier() {
        let native = one(&["--method", "mysql-native"], "secret");
        assert!(native.starts_with("mysql_native$"), "{native}");
        assert_eq!(native.len(), "mysql_native$".len() + 40);
        assert!(mysql_ok(&native, "secret"));
        assert!(!mysql_ok(&native, "other"));
        // SHA1(SHA1("secret")), as MySQL's PASSWORD('secret') prints it.
        assert_eq!(
            native,
            "mysql_native$14e65567abdb5135d0cfd9a70b3032c179a49ee7"
        );

        let sha2 = one(&["--method", "caching-sha2"], "secret");
        assert!(sha2.starts_with("caching_sha2$"), "{sha2}");
        assert_eq!(sha2.len(), "caching_sha2$".len() + 64);
        assert!(mysql_ok(&sha2, "secret"));
        assert_eq!(
            articdbm_config::mysql_verifier_kind(&sha2),
            Some(articdbm_config::MysqlAuthPlugin::CachingSha2Password)
        );
    }

    #[test]
    fn postgres_methods_unchanged() {
        let scram = one(&[], "secret");
        assert!(scram.starts_with("SCRAM-SHA-256$4096:"), "{scram}");
        let parsed: PgVerifier = scram.parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(parsed, PgVerifier::ScramSha256(_)));
        let md5 = one(&["--method", "md5", "--user", "alice"], "secret");
        assert!(md5.starts_with("md5"), "{md5}");
        let err = output(&args(&["--method", "md5"]), "secret").expect_err("no user");
        assert!(err.contains("--user"), "{err}");
    }

    #[test]
    fn toml_prints_both_lines_that_load() {
        let lines = output(&args(&["--toml"]), "secret").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with("password = \"SCRAM-SHA-256$"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("mysql_password = \"caching_sha2$"),
            "{lines:?}"
        );
        let text = format!("[users.alice]\n{}\n{}\n", lines[0], lines[1]);
        let config = articdbm_config::load_str(&text, &articdbm_config::Env::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        let alice = &config.users["alice"];
        assert!(mysql_ok(
            alice.mysql_password.as_deref().unwrap_or(""),
            "secret"
        ));

        let lines = output(
            &args(&[
                "--toml",
                "--mysql-method",
                "native",
                "--method",
                "md5",
                "--user",
                "alice",
            ]),
            "secret",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(lines[0].starts_with("password = \"md5"), "{lines:?}");
        assert!(
            lines[1].starts_with("mysql_password = \"mysql_native$"),
            "{lines:?}"
        );
        assert_eq!(
            args(&["--toml", "--mysql-method", "mysql-native"]).mysql_method,
            MysqlMethod::Native
        );
    }

    #[test]
    fn toml_rejects_a_mysql_method_and_mysql_method_needs_toml() {
        let err =
            output(&args(&["--toml", "--method", "caching-sha2"]), "pw").expect_err("conflict");
        assert!(err.contains("--mysql-method"), "{err}");
        let parsed = Cli::try_parse_from(["articdbm", "hash-password", "--mysql-method", "native"]);
        assert!(parsed.is_err(), "--mysql-method without --toml");
    }
}
