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
