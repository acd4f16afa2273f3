//! The TLS crypto provider of every HTTPS client in the process: rustls over *ring*.
//!
//! reqwest is built with `rustls-no-provider`, so a provider must be installed before its
//! first client is built; the builders of this workspace call [`install_crypto_provider`]
//! themselves, and so must code that builds a `reqwest::Client` of its own. *ring* rather
//! than aws-lc-rs keeps about 2 MB out of every function binary; the AWS SDK, Redis and
//! sqlx are set to *ring* too, so a process carries one provider.

/// Installs *ring* as the process's default provider; later calls do nothing.
pub fn install_crypto_provider() {
    // An error only says that a provider is installed already: an earlier call's.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

/// Why an HTTPS client for `service` could not be built, and how to fix it: building one
/// fails when the system's root certificates cannot be loaded.
pub fn setup_failure(service: &str, error: &(dyn std::error::Error + 'static)) -> String {
    format!(
        "cannot set up HTTPS for {service}: {}; HTTPS needs the system's root certificates: \
         install a CA bundle (the ca-certificates package) or point SSL_CERT_FILE or \
         SSL_CERT_DIR at one",
        crate::error::cause_chain(error)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installing_twice_keeps_one_provider() {
        install_crypto_provider();
        install_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
