//! HS256 tokens: JSON Web Tokens (RFC 7519) signed with HMAC-SHA256, and nothing else.
//!
//! Written over *ring*'s HMAC, which every binary carries for TLS already: a general JWT
//! library brings RSA, ECDSA and EdDSA too, about 0.7 MB of each function binary, for
//! algorithms these tokens never use. The signature is checked (in constant time) before
//! any other part of a token is read, and a token naming another algorithm is refused.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// `{"alg":"HS256","typ":"JWT"}`, the header of every token signed here.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A token that is malformed, signed with another key or another algorithm, or whose
/// claims do not have the expected shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the token is not a valid HS256 token for this key")]
pub struct Invalid;

/// The HMAC key of the tokens; `Debug` never shows it.
pub struct Key(hmac::Key);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key([REDACTED])")
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

impl Key {
    pub fn new(secret: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// `header.claims.signature`, each part base64url without padding.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, serde_json::Error> {
        let claims = serde_json::to_vec(claims)?;
        let mut token =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(claims));
        let signature = hmac::sign(&self.0, token.as_bytes());
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature.as_ref()));
        Ok(token)
    }

    /// The claims of a token this key signed with HS256. Time-based claims are the
    /// caller's to check.
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, Invalid> {
        let (signed, signature) = token.rsplit_once('.').ok_or(Invalid)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| Invalid)?;
        hmac::verify(&self.0, signed.as_bytes(), &signature).map_err(|_| Invalid)?;
        let (header, claims) = signed.split_once('.').ok_or(Invalid)?;
        let header: Header = decode(header)?;
        if header.alg != "HS256" {
            return Err(Invalid);
        }
        decode(claims)
    }
}

fn decode<T: DeserializeOwned>(part: &str) -> Result<T, Invalid> {
    let json = URL_SAFE_NO_PAD.decode(part).map_err(|_| Invalid)?;
    serde_json::from_slice(&json).map_err(|_| Invalid)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn key() -> Key {
        Key::new(b"0123456789abcdef0123456789abcdef")
    }

    /// Re-signs `header.claims` as a forger holding the key would.
    fn signed_with(key: &Key, header: &str, claims: &str) -> String {
        let signed =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
        let signature = URL_SAFE_NO_PAD.encode(hmac::sign(&key.0, signed.as_bytes()).as_ref());
        format!("{signed}.{signature}")
    }

    #[test]
    fn a_signed_token_verifies_to_its_claims() {
        let claims = json!({ "sub": "acc-1", "exp": 2_000_000_000u64 });
        let token = key().sign(&claims).unwrap();
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(key().verify::<Value>(&token).unwrap(), claims);
    }

    #[test]
    fn tokens_of_other_jwt_libraries_verify() {
        // jwt.io's HS256 example, signed with "your-256-bit-secret".
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
                     eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.\
                     SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let claims: Value = Key::new(b"your-256-bit-secret").verify(token).unwrap();
        assert_eq!(claims["sub"], "1234567890");
        assert_eq!(claims["iat"], 1_516_239_022);
    }

    #[test]
    fn another_key_a_changed_claim_or_another_algorithm_is_refused() {
        let token = key().sign(&json!({ "sub": "acc-1" })).unwrap();
        let other = Key::new(b"another-secret-another-secret-xx");
        assert_eq!(other.verify::<Value>(&token), Err(Invalid));

        let parts: Vec<&str> = token.split('.').collect();
        let admin = URL_SAFE_NO_PAD.encode(r#"{"sub":"acc-1","role":"admin"}"#);
        let tampered = format!("{}.{admin}.{}", parts[0], parts[2]);
        assert_eq!(key().verify::<Value>(&tampered), Err(Invalid));

        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), parts[1]);
        assert_eq!(key().verify::<Value>(&none), Err(Invalid));
        let hs512 = signed_with(&key(), r#"{"alg":"HS512","typ":"JWT"}"#, r#"{"sub":"acc-1"}"#);
        assert_eq!(key().verify::<Value>(&hs512), Err(Invalid));
    }

    #[test]
    fn malformed_tokens_are_refused_not_panicked_on() {
        let with_the_key = signed_with(&key(), HEADER, "not json");
        for token in ["", ".", "..", "a.b", "a.b.c", "a.b.c.d", "é.é.é", with_the_key.as_str()] {
            assert_eq!(key().verify::<Value>(token), Err(Invalid), "{token:?}");
        }
    }
}
