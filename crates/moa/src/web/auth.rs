//! Curators signing in: argon2id passwords, random session tokens kept only as their SHA-256, a CSRF
//! token per session (and a double-submit cookie for the sign-in form itself), and a limit on failed
//! sign-ins per client address and per name.

use std::time::Duration;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

pub const SESSION_COOKIE: &str = "moa_session";
/// The sign-in form's CSRF cookie, before there is a session.
pub const LOGIN_CSRF_COOKIE: &str = "moa_login_csrf";
pub const SESSION_DAYS: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("the system's random number generator failed")]
    Random,
}

pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether the password matches the stored hash (false for a hash that cannot be read).
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// 32 random bytes, hex: session tokens and CSRF tokens.
pub fn random_token() -> Result<String, AuthError> {
    crate::token::random_hex().ok_or(AuthError::Random)
}

/// What the store keeps of a session token.
pub fn token_hash(token: &str) -> String {
    crate::token::hex(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
}

/// The value of one cookie of a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when the site is served over HTTPS.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Failed sign-ins in a window: an address may fail this often for one name before it must wait, and
/// this often over all names (a guesser trying many names, but many readers behind one NAT too).
pub const MAX_FAILURES_PER_NAME: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The sign-in keys a request is counted under: its address; its address with the name; the name alone.
/// Only the first two ever block, so failures elsewhere never lock the rightful user out; the third
/// slows every sign-in to a name under attack ([`name_delay`]) and shows on the users page.
pub fn sign_in_keys(address: &str, name: &str) -> [String; 3] {
    [format!("ip:{address}"), format!("ip-user:{address}\n{name}"), user_key(name)]
}

pub fn user_key(name: &str) -> String {
    format!("user:{name}")
}

/// One sign-in at a time per client address in this process: parallel guesses would otherwise all pass the
/// limit check before the first failure is counted.
#[derive(Debug, Default)]
pub struct SignInQueue(std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>);

impl SignInQueue {
    /// Waits for this address's turn; it lasts as long as the guard.
    pub async fn enter(&self, address: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut queues = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // Addresses nobody waits on are forgotten.
            if queues.len() > 1024 {
                queues.retain(|_, q| std::sync::Arc::strong_count(q) > 1);
            }
            queues.entry(address.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// How long a sign-in to a name waits, given the failures against it from everywhere: nothing for the
/// first few, then a quarter second more per failure, at most three seconds. Distributed guessing gets
/// slow; the owner, with the right password, still gets in.
pub fn name_delay(failures: i64) -> Duration {
    Duration::from_millis(((failures - MAX_FAILURES_PER_NAME).clamp(0, 12) * 250) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horsE", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(hash_password("correct horse").unwrap(), hash, "a new salt each time");
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(crate::token::same(&a, &a.clone()));
        assert!(!crate::token::same(&a, &b) && !crate::token::same(&a, &a[..63]) && !crate::token::same("", ""));
        assert_eq!(token_hash("x"), "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
    }

    #[test]
    fn cookies_are_read_and_written() {
        let mut h = axum::http::HeaderMap::new();
        h.append(axum::http::header::COOKIE, "a=1; moa_session=abc".parse().unwrap());
        h.append(axum::http::header::COOKIE, "b=2".parse().unwrap());
        assert_eq!((cookie(&h, "moa_session"), cookie(&h, "b"), cookie(&h, "c")), (Some("abc"), Some("2"), None));
        assert_eq!(set_cookie("s", "v", 60, true), "s=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure");
    }
}
