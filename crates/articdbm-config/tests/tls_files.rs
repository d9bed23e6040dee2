//! `tls.cert` and `tls.key` are loaded as the proxy loads them at start: a file that is not a
//! PEM certificate, swapped files, and a key of another certificate are each reported once, at
//! the key that is wrong, with its line.

use std::path::{Path, PathBuf};

use articdbm_config::{ConfigError, Env, Location, load_str};
use rcgen::{CertificateParams, KeyPair};

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("articdbm-config-tls")
        .join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// A self-signed certificate for "localhost" and its key, as PEM.
fn identity() -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    (cert.pem(), key.serialize_pem())
}

fn config_with(dir: &Path, cert: &str, key: &str) -> Result<articdbm_config::Config, ConfigError> {
    let (cert_file, key_file) = (dir.join("server.crt"), dir.join("server.key"));
    std::fs::write(&cert_file, cert).expect("write cert");
    std::fs::write(&key_file, key).expect("write key");
    let text = format!(
        "[tls]\nmode = \"required\"\ncert = {:?}\nkey = {:?}\n",
        cert_file.display().to_string(),
        key_file.display().to_string()
    );
    load_str(&text, &Env::empty())
}

fn only_problem(err: &ConfigError) -> (String, Location, String) {
    let problems = err.problems();
    assert_eq!(problems.len(), 1, "{err}");
    let p = &problems[0];
    (p.key.clone(), p.location.clone(), p.message.clone())
}

#[test]
fn a_real_certificate_and_its_key_load() {
    let dir = scratch("good");
    let (cert, key) = identity();
    let config = config_with(&dir, &cert, &key).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.tls.has_identity());
}

#[test]
fn garbage_certificate_is_refused_at_tls_cert() {
    let dir = scratch("garbage");
    let (_, key) = identity();
    let garbage =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    let err = config_with(&dir, garbage, &key).expect_err("garbage cert");
    let (key_path, location, message) = only_problem(&err);
    assert_eq!(
        (key_path.as_str(), location),
        ("tls.cert", Location::Line(3)),
        "{message}"
    );
    let err = config_with(&dir, "hello\n", &key).expect_err("no PEM at all");
    let (key_path, _, message) = only_problem(&err);
    assert_eq!(key_path, "tls.cert", "{message}");
    assert!(message.contains("no PEM certificate"), "{message}");
}

#[test]
fn swapped_files_are_named_as_swapped() {
    let dir = scratch("swapped");
    let (cert, key) = identity();
    let err = config_with(&dir, &key, &cert).expect_err("swapped");
    let problems = err.problems();
    assert_eq!(problems.len(), 2, "{err}");
    for (p, (key_path, line)) in problems.iter().zip([("tls.cert", 3), ("tls.key", 4)]) {
        assert_eq!(
            (p.key.as_str(), &p.location),
            (key_path, &Location::Line(line)),
            "{err}"
        );
        assert!(p.message.contains("swapped"), "{err}");
    }
}

#[test]
fn key_of_another_certificate_is_refused_at_tls_key() {
    let dir = scratch("mismatch");
    let (cert, _) = identity();
    let (_, other_key) = identity();
    let err = config_with(&dir, &cert, &other_key).expect_err("mismatch");
    let (key_path, location, message) = only_problem(&err);
    assert_eq!(
        (key_path.as_str(), location),
        ("tls.key", Location::Line(4)),
        "{message}"
    );
    assert!(message.contains("does not belong"), "{message}");
}
