//! TLS for PostgreSQL connections: rustls with ring, servers verified against the web's roots.
//! The URL's `sslmode` decides whether it is used (`prefer`, the default, tries it).

use std::sync::Arc;

use tokio_postgres_rustls::MakeRustlsConnect;

/// The TLS connector every PostgreSQL connection is made with.
pub(super) fn connector() -> Result<MakeRustlsConnect, rustls::Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
