//! Who is calling, and whom they may act for.
//!
//! `Authorization: Bearer <token>` carries an HS256 token with `sub` = the caller's
//! Atlassian account id, an optional `email`, `role` (`user` or `admin`) and `exp`. A user
//! reads and acts only as themselves; an admin may name anyone, and `all`.

use std::fmt;
use std::time::Duration;

use clockwork_core::config::AuthConfig;
use clockwork_core::{AccountId, ApiError, Email, UserRef};
use http::HeaderMap;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::token::Key;

/// Compares shared secrets without an early exit, so timing does not reveal how much of a
/// guess matched.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How far past `exp` a token is still accepted: clocks differ a little.
const EXPIRY_LEEWAY_SECS: u64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub role: Role,
    pub exp: u64,
    #[serde(default)]
    pub iat: u64,
}

/// The verified caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    User {
        account_id: AccountId,
        email: Option<Email>,
    },
    Admin {
        account_id: AccountId,
        email: Option<Email>,
    },
    /// `AUTH_DISABLED=true`: the single trusted owner of a private deployment.
    Trusted,
}

/// Whose data a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(UserRef),
    /// Every user (admin and trusted callers only).
    All,
}

pub enum Auth {
    Jwt(Key),
    Disabled,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Jwt { .. } => "Auth::Jwt",
            Self::Disabled => "Auth::Disabled",
        })
    }
}

impl Auth {
    pub fn new(config: &AuthConfig) -> Self {
        match config {
            AuthConfig::Jwt { secret } => Self::Jwt(Key::new(secret.expose_secret().as_bytes())),
            AuthConfig::Disabled => Self::Disabled,
        }
    }

    /// Signs a token for `account_id`, valid for `ttl`.
    pub fn issue(
        &self,
        account_id: &AccountId,
        email: Option<&Email>,
        role: Role,
        ttl: Duration,
    ) -> Result<String, ApiError> {
        let Self::Jwt(key) = self else {
            return Err(ApiError::new(
                http::StatusCode::CONFLICT,
                "AUTH_DISABLED",
                "tokens cannot be issued while AUTH_DISABLED=true; set API_JWT_SECRET",
            ));
        };
        let now = unix_now();
        let claims = Claims {
            sub: account_id.to_string(),
            email: email.map(ToString::to_string),
            role,
            iat: now,
            exp: now + ttl.as_secs(),
        };
        key.sign(&claims).map_err(|e| {
            tracing::error!(error = %e, "signing a token failed");
            ApiError::new(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "TOKEN_SIGNING_FAILED",
                "could not sign the token",
            )
        })
    }

    /// Verifies the request's bearer token.
    pub fn caller(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let Self::Jwt(key) = self else { return Ok(Caller::Trusted) };
        let header = headers
            .get(http::header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "AUTH_REQUIRED",
                    "send `Authorization: Bearer <token>`; ask an admin for a token",
                )
            })?
            .to_str()
            .unwrap_or_default();
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "AUTH_REQUIRED",
                    "the Authorization header must be `Bearer <token>`",
                )
            })?;
        // `sub` and `exp` are required: a token without them does not parse as `Claims`.
        let claims = key.verify::<Claims>(token).map_err(|_| {
            ApiError::unauthorized("AUTH_INVALID", "the token is not valid for this service")
        })?;
        if claims.exp.saturating_add(EXPIRY_LEEWAY_SECS) < unix_now() {
            return Err(ApiError::unauthorized(
                "AUTH_EXPIRED",
                "the token has expired; get a new one",
            ));
        }
        let account_id = AccountId::parse(&claims.sub).map_err(|_| {
            ApiError::unauthorized("AUTH_INVALID", "the token's subject is not an account id")
        })?;
        let email = claims.email.as_deref().and_then(|e| Email::parse(e).ok());
        Ok(match claims.role {
            Role::User => Caller::User { account_id, email },
            Role::Admin => Caller::Admin { account_id, email },
        })
    }
}

impl Caller {
    /// Resolves whose data is asked for. No parameter means the caller themselves; a user
    /// naming anybody else gets 403; `accountId=all` is for admins.
    pub fn subject(
        &self,
        account_id: Option<&str>,
        user_email: Option<&str>,
    ) -> Result<Subject, ApiError> {
        let asked = match (account_id, user_email) {
            (Some("all"), _) => Some(Subject::All),
            (Some(id), _) => Some(Subject::User(UserRef::Account(
                AccountId::parse(id).map_err(|e| ApiError::bad_field("accountId", e))?,
            ))),
            (None, Some(email)) => Some(Subject::User(UserRef::Email(
                Email::parse(email).map_err(|e| ApiError::bad_field("userEmail", e))?,
            ))),
            (None, None) => None,
        };
        match (self, asked) {
            (Self::Trusted, None) => {
                Err(ApiError::bad_field("accountId", "or `userEmail` is required"))
            }
            (Self::Trusted | Self::Admin { .. }, Some(subject)) => Ok(subject),
            (Self::User { account_id, .. } | Self::Admin { account_id, .. }, None) => {
                Ok(Subject::User(UserRef::Account(account_id.clone())))
            }
            (Self::User { account_id, email }, Some(Subject::User(asked))) => {
                let own = match &asked {
                    UserRef::Account(id) => id == account_id,
                    UserRef::Email(asked_email) => email.as_ref() == Some(asked_email),
                };
                if own { Ok(Subject::User(asked)) } else { Err(forbidden_other_user()) }
            }
            (Self::User { .. }, Some(Subject::All)) => Err(forbidden_other_user()),
        }
    }

    /// The caller's own email, when the token carries one.
    pub fn email(&self) -> Option<&Email> {
        match self {
            Self::User { email, .. } | Self::Admin { email, .. } => email.as_ref(),
            Self::Trusted => None,
        }
    }
}

fn unix_now() -> u64 {
    chrono::Utc::now().timestamp().max(0) as u64
}

fn forbidden_other_user() -> ApiError {
    ApiError::forbidden("you may only read or act on your own timers and worklogs")
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn auth() -> Auth {
        Auth::new(&AuthConfig::Jwt {
            secret: SecretString::from("0123456789abcdef0123456789abcdef"),
        })
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        headers
    }

    fn account(id: &str) -> AccountId {
        AccountId::parse(id).unwrap()
    }

    #[test]
    fn issued_tokens_verify_to_their_subject() {
        let email = Email::parse("ann@example.com").unwrap();
        let token = auth()
            .issue(&account("acc-1"), Some(&email), Role::User, Duration::from_secs(60))
            .unwrap();
        assert_eq!(
            auth().caller(&bearer(&token)).unwrap(),
            Caller::User { account_id: account("acc-1"), email: Some(email) }
        );
    }

    #[test]
    fn a_token_signed_with_another_secret_is_invalid() {
        let other = Auth::new(&AuthConfig::Jwt {
            secret: SecretString::from("another-secret-another-secret-xx"),
        });
        let token =
            other.issue(&account("acc-1"), None, Role::Admin, Duration::from_secs(60)).unwrap();
        assert_eq!(auth().caller(&bearer(&token)).unwrap_err().code, "AUTH_INVALID");
    }

    #[test]
    fn expiry_allows_a_few_seconds_of_clock_skew_and_is_required() {
        let Auth::Jwt(key) = auth() else { unreachable!("a JWT config") };
        let token = |exp: Option<u64>| {
            let claims = match exp {
                Some(exp) => serde_json::json!({ "sub": "acc-1", "role": "user", "exp": exp }),
                None => serde_json::json!({ "sub": "acc-1", "role": "user" }),
            };
            key.sign(&claims).unwrap()
        };
        let now = unix_now();
        assert!(auth().caller(&bearer(&token(Some(now - 2)))).is_ok());
        assert_eq!(
            auth().caller(&bearer(&token(Some(now - 60)))).unwrap_err().code,
            "AUTH_EXPIRED"
        );
        assert_eq!(auth().caller(&bearer(&token(None))).unwrap_err().code, "AUTH_INVALID");
    }

    #[test]
    fn users_may_not_name_someone_else() {
        let caller = Caller::User { account_id: account("acc-1"), email: None };
        assert_eq!(
            caller.subject(Some("acc-2"), None).unwrap_err().status,
            http::StatusCode::FORBIDDEN
        );
        assert_eq!(
            caller.subject(Some("all"), None).unwrap_err().status,
            http::StatusCode::FORBIDDEN
        );
        assert_eq!(
            caller.subject(None, Some("b@example.com")).unwrap_err().status,
            http::StatusCode::FORBIDDEN
        );
        assert_eq!(
            caller.subject(None, None).unwrap(),
            Subject::User(UserRef::Account(account("acc-1")))
        );
    }

    #[test]
    fn admins_may_read_anyone_and_all() {
        let caller = Caller::Admin { account_id: account("boss"), email: None };
        assert_eq!(caller.subject(Some("all"), None).unwrap(), Subject::All);
        assert!(caller.subject(Some("acc-2"), None).is_ok());
    }
}
