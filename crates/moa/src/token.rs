//! Secrets as text, below every stage so the web and the ingest share one implementation: random tokens
//! (sessions, CSRF, WebSub secrets and callback tokens) and their comparison in constant time.

use ring::rand::SecureRandom;

/// 32 random bytes as hex; `None` when the system has no randomness to give.
pub fn random_hex() -> Option<String> {
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
    Some(hex(&bytes))
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether two tokens are the same, in time that does not depend on where they differ; an empty token
/// matches nothing.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0 && !a.is_empty()
}
