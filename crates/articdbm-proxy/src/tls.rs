//! Server-side TLS for client connections: rustls with the ring provider, TLS 1.2 minimum (1.3
//! only when configured), certificate chain and key read from PEM files. Records carry at most
//! [`MAX_RECORD_PLAINTEXT`] bytes, as the database servers' own do.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use thiserror::Error;
use tokio_rustls::TlsAcceptor;

#[derive(Debug, Error)]
pub enum TlsSetupError {
    #[error("cannot read TLS certificate {path}: {reason}")]
    Cert { path: String, reason: String },
    #[error("cannot read TLS key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("TLS configuration rejected: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Plaintext bytes in one TLS record at most, on both listeners. PostgreSQL writes at most 8 KB
/// at a time (its send buffer), so clients never see larger records from it; libpq 18.0 (bundled
/// with psycopg 3.3.4 and pinned in many deployments) stalls for ever on a record larger than the
/// room left in its input buffer, of which it keeps at least 8 KB. rustls would otherwise fill
/// records up to the TLS maximum of 16 KB.
pub const MAX_RECORD_PLAINTEXT: usize = 8192;

/// What rustls counts in `max_fragment_size` besides the plaintext: the record header.
const RECORD_HEADER: usize = 5;

/// Builds an acceptor from PEM files. `tls13_only` drops TLS 1.2.
pub fn acceptor(cert: &Path, key: &Path, tls13_only: bool) -> Result<TlsAcceptor, TlsSetupError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsSetupError::Cert {
            path: cert.display().to_string(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsSetupError::Cert {
            path: cert.display().to_string(),
            reason: "no certificate found".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsSetupError::Key {
        path: key.display().to_string(),
        reason: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if tls13_only {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.max_fragment_size = Some(MAX_RECORD_PLAINTEXT + RECORD_HEADER);
    Ok(TlsAcceptor::from(Arc::new(config)))
}
