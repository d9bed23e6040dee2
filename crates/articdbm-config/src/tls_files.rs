//! Loading `tls.cert` and `tls.key` as the proxy does at start (PEM certificate chain, PEM
//! private key, the key belonging to the certificate), so that a configuration that loads is
//! one the proxy can serve TLS with: `articdbm config validate` and start-up report the same
//! single problem, at the key that is wrong.

use std::fs;
use std::path::Path;

use rustls::sign::CertifiedKey;
use rustls::{Error as TlsError, InconsistentKeys};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::Config;
use crate::validate::Issue;

/// Checks the configured certificate and key; every problem goes to `issues`.
pub(crate) fn check(config: &Config, issues: &mut Vec<Issue>) {
    let mut at = |key: &str, message: String| {
        issues.push(Issue {
            path: vec!["tls".to_owned(), key.to_owned()],
            message,
        })
    };
    let certs = config
        .tls
        .cert
        .as_deref()
        .and_then(|file| load_certs(file).map_err(|m| at("cert", m)).ok());
    let key = config
        .tls
        .key
        .as_deref()
        .and_then(|file| load_key(file).map_err(|m| at("key", m)).ok());
    let (Some(certs), Some(key)) = (certs, key) else {
        return;
    };
    let provider = rustls::crypto::ring::default_provider();
    if let Err(e) = CertifiedKey::from_der(certs, key, &provider) {
        let (key, message) = match e {
            TlsError::InconsistentKeys(InconsistentKeys::KeyMismatch) => (
                "key",
                "the private key does not belong to the certificate in tls.cert".to_owned(),
            ),
            TlsError::InvalidCertificate(reason) => (
                "cert",
                format!("the first certificate cannot be used: {reason:?}"),
            ),
            TlsError::General(reason) => {
                ("key", format!("the private key cannot be used: {reason}"))
            }
            other => ("cert", format!("the certificate cannot be used: {other}")),
        };
        at(key, message);
    }
}

/// The PEM certificate chain in `file`.
fn load_certs(file: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    readable(file)?;
    let certs = CertificateDer::pem_file_iter(file)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("`{}` is not a PEM certificate file: {e}", file.display()))?;
    if certs.is_empty() {
        let hint = if PrivateKeyDer::from_pem_file(file).is_ok() {
            " (it holds a private key: are tls.cert and tls.key swapped?)"
        } else {
            ""
        };
        return Err(format!(
            "`{}` holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\"){hint}",
            file.display()
        ));
    }
    Ok(certs)
}

/// The PEM private key in `file`.
fn load_key(file: &Path) -> Result<PrivateKeyDer<'static>, String> {
    readable(file)?;
    PrivateKeyDer::from_pem_file(file).map_err(|e| {
        let holds_cert = CertificateDer::pem_file_iter(file)
            .ok()
            .and_then(|mut it| it.next())
            .is_some_and(|c| c.is_ok());
        let hint = if holds_cert {
            " (it holds a certificate: are tls.cert and tls.key swapped?)"
        } else {
            ""
        };
        format!(
            "`{}` holds no usable PEM private key: {e}{hint}",
            file.display()
        )
    })
}

/// Whether `file` is a readable regular file.
fn readable(file: &Path) -> Result<(), String> {
    match fs::metadata(file) {
        Err(e) => Err(format!("cannot read `{}`: {e}", file.display())),
        Ok(meta) if !meta.is_file() => Err(format!("`{}` is not a file", file.display())),
        Ok(_) => fs::File::open(file)
            .map(drop)
            .map_err(|e| format!("cannot read `{}`: {e}", file.display())),
    }
}
