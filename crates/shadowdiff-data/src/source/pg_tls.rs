//! TLS for PostgreSQL connections, rustls with ring, with the URL's `sslmode` meaning what it
//! means to libpq: `disable` no TLS; `prefer` (the default) TLS when the server offers it and
//! `require` TLS always, both encrypting without checking the server's certificate;
//! `verify-ca` checks that the certificate chains to a root of the web's roots, `verify-full`
//! that and that it names the host.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

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

/// The URL as the client takes it, which knows `disable`, `prefer` and `require` only:
/// `verify-ca` and `verify-full` become `require`, with the check they ask for.
pub(super) fn client_url(given: &str) -> (String, Verify) {
    let Some((base, query)) = given.split_once('?') else {
        return (given.to_string(), Verify::Nothing);
    };
    let mut verify = Verify::Nothing;
    let params: Vec<&str> = query
        .split('&')
        .map(|param| match param {
            "sslmode=verify-full" => {
                verify = Verify::Full;
                "sslmode=require"
            }
            "sslmode=verify-ca" => {
                verify = Verify::Chain;
                "sslmode=require"
            }
            _ => param,
        })
        .collect();
    (format!("{base}?{}", params.join("&")), verify)
}

/// The TLS connector for connections that check the server as `verify` says.
pub(super) fn connector(verify: Verify) -> Result<MakeRustlsConnect, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    });
    let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|err| rustls::Error::General(err.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = match verify {
        Verify::Full => webpki,
        Verify::Chain => Arc::new(ChainOnly(webpki)),
        Verify::Nothing => Arc::new(Unchecked(provider.clone())),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
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
    fn verify_modes_become_require_with_their_check() {
        let url = "postgres://u@h/db?application_name=a%20b&sslmode=verify-full";
        assert_eq!(
            client_url(url),
            (
                "postgres://u@h/db?application_name=a%20b&sslmode=require".to_string(),
                Verify::Full
            )
        );
        assert_eq!(
            client_url("postgres://u@h/db?sslmode=verify-ca").1,
            Verify::Chain
        );
        assert_eq!(
            client_url("postgres://u@h/db?sslmode=require"),
            (
                "postgres://u@h/db?sslmode=require".to_string(),
                Verify::Nothing
            )
        );
        assert_eq!(client_url("postgres://u@h/db").1, Verify::Nothing);
    }
}
