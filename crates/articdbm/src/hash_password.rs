//! `articdbm hash-password`: turns a password read from stdin into a stored verifier, so that
//! no plaintext password ever needs to be written into a configuration file.

use std::io::BufRead;
use std::process::ExitCode;

use articdbm_wire_pg::auth::{Md5Verifier, ScramVerifier};

use crate::cli::{HashPasswordArgs, Method};

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
    match args.method {
        Method::ScramSha256 => println!("{}", ScramVerifier::generate(password, args.iterations)),
        Method::Md5 => {
            let Some(user) = args.user else {
                eprintln!("--user is required for md5 verifiers");
                return ExitCode::from(2);
            };
            println!("{}", Md5Verifier::generate(&user, password));
        }
    }
    ExitCode::SUCCESS
}
