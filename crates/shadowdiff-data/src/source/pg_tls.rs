//! TLS for PostgreSQL connections, rustls with ring, with the URL's `sslmode` meaning what it
//! means to libpq: `disable` no TLS; `prefer` (the default) TLS when the server offers it and
//! `require` TLS always, both encrypting without checking the server's certificate;
//! `verify-ca` checks that the certificate chains to a trusted root, `verify-full` that and
//! that it names the host. The trusted roots are the certificates of the PEM file `sslrootcert`
//! names, else (or for `sslrootcert=system`) the web's roots.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use shadowdiff_core::Location;

use crate::error::{Error, Result};

/// How the server's certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verify {
    /// Not at all: the connection is encrypted, the server not authenticated.
    Nothing,
    /// The chain to a trusted root, not the name.
    Chain,
    /// The chain and the host name.
    Full,
}

/// The TLS settings of a URL, and the URL as the client takes it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Tls {
    /// The URL for the client, which knows `sslmode` `disable`, `prefer` and `require` only and
    /// no `sslrootcert`: `verify-ca` and `verify-full` become `require`, `sslrootcert` is taken
    /// out.
    pub(super) url: String,
    /// The check `sslmode` asks for.
    pub(super) verify: Verify,
    /// The PEM file of trusted roots `sslrootcert` names.
    pub(super) roots: Option<PathBuf>,
}

/// The TLS settings of the URL `given`.
pub(super) fn settings(given: &str) -> Tls {
    let Some((base, query)) = given.split_once('?') else {
        return Tls {
            url: given.to_string(),
            verify: Verify::Nothing,
            roots: None,
        };
    };
    let mut verify = Verify::Nothing;
    let mut roots = None;
    let mut params = Vec::new();
    for param in query.split('&') {
        match param.split_once('=') {
            Some(("sslmode", "verify-full")) => {
                verify = Verify::Full;
                params.push("sslmode=require");
            }
            Some(("sslmode", "verify-ca")) => {
                verify = Verify::Chain;
                params.push("sslmode=require");
            }
            Some(("sslrootcert", "system")) => roots = None,
            Some(("sslrootcert", path)) => {
                let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
                roots = Some(PathBuf::from(path.into_owned()));
            }
            _ => params.push(param),
        }
    }
    let url = if params.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", params.join("&"))
    };
    Tls { url, verify, roots }
}

/// The trusted roots: the certificates of the PEM file `path`, or the web's roots.
fn trusted(path: Option<&Path>) -> Result<rustls::RootCertStore> {
    let Some(path) = path else {
        return Ok(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
    };
    let bad = |message: String| Error::input(Location::file(path), message);
    let pem = std::fs::read(path).map_err(|err| shadowdiff_io::Error::io(path, err))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|err| bad(format!("sslrootcert is not PEM: {err}")))?;
        roots
            .add(cert)
            .map_err(|err| bad(format!("sslrootcert holds a bad certificate: {err}")))?;
    }
    if roots.is_empty() {
        return Err(bad("sslrootcert holds no certificate".into()));
    }
    Ok(roots)
}

/// The TLS connector for connections that check the server as `tls` says.
pub(super) fn connector(tls: &Tls) -> Result<MakeRustlsConnect, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let failed = |err: String| Error::usage(format!("cannot set up TLS: {err}"));
    let roots = Arc::new(trusted(tls.roots.as_deref())?);
    let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|err| failed(err.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = match tls.verify {
        Verify::Full => webpki,
        Verify::Chain => Arc::new(ChainOnly(webpki)),
        Verify::Nothing => Arc::new(Unchecked(provider.clone())),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| failed(err.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// `verify-ca`: the web's verifier, a certificate for another name accepted.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            verdict => verdict,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require`: any certificate, the handshake's signatures still checked.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_modes_become_require_and_the_root_file_is_taken_out() {
        let url =
            "postgres://u@h/db?application_name=a%20b&sslmode=verify-full&sslrootcert=%2Fca.pem";
        assert_eq!(
            settings(url),
            Tls {
                url: "postgres://u@h/db?application_name=a%20b&sslmode=require".to_string(),
                verify: Verify::Full,
                roots: Some("/ca.pem".into()),
            }
        );
        assert_eq!(
            settings("postgres://u@h/db?sslmode=verify-ca").verify,
            Verify::Chain
        );
        let system = settings("postgres://u@h/db?sslrootcert=system");
        assert_eq!(
            (system.url.as_str(), system.roots),
            ("postgres://u@h/db", None)
        );
        let plain = settings("postgres://u@h/db?sslmode=require");
        assert_eq!(plain.url, "postgres://u@h/db?sslmode=require");
        assert_eq!(plain.verify, Verify::Nothing);
    }

    #[test]
    fn a_root_file_that_is_missing_or_holds_no_certificate_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.pem");
        assert!(matches!(trusted(Some(&missing)), Err(Error::Read(_))));
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").unwrap();
        let err = trusted(Some(&empty)).err().unwrap().to_string();
        assert!(err.contains("holds no certificate"), "{err}");
    }
}
