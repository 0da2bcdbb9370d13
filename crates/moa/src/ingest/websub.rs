//! WebSub (W3C Recommendation): a feed that names a hub gets a subscription, so the hub pushes new
//! content to `/websub/SOURCE_ID` the moment it is published, instead of moa waiting for its next check.
//!
//! Subscribing: POST `hub.mode=subscribe` with a callback, a fresh secret and a lease; the hub verifies
//! the intent with a GET carrying a challenge, which moa echoes only for a subscription it asked for.
//! Pushes are accepted only with a valid HMAC signature of the body under that secret. Leases are
//! renewed when a fetch finds less than a day left.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use moa_store::{Store, Subscription, SubscriptionState};
use ring::hmac;
use url::Url;

use crate::ingest::fetch::Fetcher;
use crate::now_unix;

/// The lease moa asks for; hubs may grant another.
pub const LEASE: Duration = Duration::from_secs(10 * 24 * 3600);
/// Leases with less than this left are renewed.
const RENEW_BEFORE: i64 = 24 * 3600;
/// A request the hub never verified is sent again after this.
const PENDING_RETRY: i64 = 3600;

#[derive(Clone)]
pub struct WebSub {
    pub store: Arc<dyn Store>,
    pub fetcher: Fetcher,
    pub public_url: Url,
}

impl WebSub {
    /// The callback moa gives the hub: the source's path with a token only this subscription's secret
    /// yields, so that only the hub moa asked can verify (or deny) it.
    pub fn callback(&self, source_id: &str, secret: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}/websub/{source_id}?token={}", callback_token(secret))
    }

    /// Subscribes to `topic` at `hub` unless an active lease with time left (or a fresh request) exists.
    pub async fn ensure_subscribed(&self, source_id: &str, hub: &str, topic: &str) {
        let now = now_unix();
        match self.store.subscription(source_id).await {
            Ok(Some(s)) if s.hub == hub && s.topic == topic => {
                let fresh = match s.state {
                    SubscriptionState::Active => s.lease_expires_at.is_some_and(|t| t - now > RENEW_BEFORE),
                    SubscriptionState::Pending => now - s.requested_at < PENDING_RETRY,
                    // The hub refused: ask again only after a day.
                    SubscriptionState::Denied => now - s.requested_at < RENEW_BEFORE,
                };
                if fresh {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(source = source_id, error = %e, "cannot read the WebSub subscription");
                return;
            }
        }
        if let Err(e) = self.subscribe(source_id, hub, topic, now).await {
            tracing::warn!(source = source_id, hub, error = %e, "WebSub subscription failed");
        }
    }

    async fn subscribe(&self, source_id: &str, hub: &str, topic: &str, now: i64) -> anyhow::Result<()> {
        let secret = new_secret()?;
        // Saved first: the hub may verify before its answer to the POST arrives.
        let subscription = Subscription {
            source_id: source_id.into(),
            hub: hub.into(),
            topic: topic.into(),
            secret: secret.clone(),
            state: SubscriptionState::Pending,
            lease_expires_at: None,
            requested_at: now,
        };
        self.store.save_subscription(&subscription).await?;
        let callback = self.callback(source_id, &secret);
        let lease = LEASE.as_secs().to_string();
        let form = [
            ("hub.mode", "subscribe"),
            ("hub.topic", topic),
            ("hub.callback", callback.as_str()),
            ("hub.secret", secret.as_str()),
            ("hub.lease_seconds", lease.as_str()),
        ];
        let status = self.fetcher.post_form(hub, &form).await?;
        anyhow::ensure!((200..300).contains(&status), "the hub answered HTTP {status}");
        tracing::info!(source = source_id, hub, "asked for a WebSub subscription");
        Ok(())
    }
}

/// 32 random bytes as hex: the HMAC key the hub signs pushes with.
fn new_secret() -> anyhow::Result<String> {
    crate::token::random_hex().ok_or_else(|| anyhow::anyhow!("no randomness for a WebSub secret"))
}

/// The callback's token for a secret: an HMAC of a fixed label, so the secret itself never appears in a URL.
fn callback_token(secret: &str) -> String {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()), b"moa websub callback");
    tag.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Leases a hub may grant, in seconds: a minute to a year (a larger number would overflow the expiry).
const LEASE_SECONDS: std::ops::RangeInclusive<i64> = 60..=365 * 86_400;

/// The hub's verification of intent (GET on the callback): the challenge to echo, or `None` to refuse
/// (404), which tells the hub moa did not ask for this. The callback's token must be the one moa gave
/// for the subscription it requested: the topic alone is public.
pub async fn verify(store: &dyn Store, source_id: &str, query: &HashMap<String, String>) -> Option<String> {
    let get = |k: &str| query.get(k).map(String::as_str);
    let mut subscription = store.subscription(source_id).await.ok()??;
    let token = callback_token(&subscription.secret);
    if get("hub.topic") != Some(subscription.topic.as_str()) || !crate::token::same(get("token").unwrap_or(""), &token)
    {
        return None;
    }
    let now = now_unix();
    match get("hub.mode")? {
        "subscribe" if subscription.state != SubscriptionState::Denied => {
            let challenge = get("hub.challenge")?.to_string();
            let lease = get("hub.lease_seconds")
                .and_then(|l| l.parse::<i64>().ok())
                .unwrap_or(LEASE.as_secs() as i64)
                .clamp(*LEASE_SECONDS.start(), *LEASE_SECONDS.end());
            subscription.state = SubscriptionState::Active;
            subscription.lease_expires_at = Some(now.saturating_add(lease));
            store.save_subscription(&subscription).await.ok()?;
            Some(challenge)
        }
        // moa never unsubscribes on its own; a hub asking is refused.
        "unsubscribe" => None,
        "denied" => {
            subscription.state = SubscriptionState::Denied;
            subscription.requested_at = now;
            store.save_subscription(&subscription).await.ok()?;
            tracing::warn!(
                source = source_id,
                reason = get("hub.reason").unwrap_or(""),
                "the hub denied the subscription"
            );
            Some(String::new())
        }
        _ => None,
    }
}

/// Whether `X-Hub-Signature` (`sha1=…`, `sha256=…`, `sha384=…` or `sha512=…`, hex) signs `body` under `secret`.
pub fn signature_valid(secret: &str, header: &str, body: &[u8]) -> bool {
    let Some((method, hex)) = header.trim().split_once('=') else {
        return false;
    };
    let algorithm = match method.to_ascii_lowercase().as_str() {
        "sha1" => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        "sha256" => hmac::HMAC_SHA256,
        "sha384" => hmac::HMAC_SHA384,
        "sha512" => hmac::HMAC_SHA512,
        _ => return false,
    };
    let Some(tag) = decode_hex(hex) else {
        return false;
    };
    hmac::verify(&hmac::Key::new(algorithm, secret.as_bytes()), body, &tag).is_ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// The signature a hub sends, for tests and tools.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()), body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let body = b"<feed/>";
        let good = sign("s3cret", body);
        assert!(signature_valid("s3cret", &good, body));
        assert!(!signature_valid("other", &good, body));
        assert!(!signature_valid("s3cret", &good, b"<feed>changed</feed>"));
        assert!(!signature_valid("s3cret", "md5=abcd", body));
        assert!(!signature_valid("s3cret", "sha256=zz", body));
        // SHA-1, as older hubs sign (key "key", message "The quick brown fox jumps over the lazy dog").
        let sha1 = "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9";
        assert!(signature_valid("key", sha1, b"The quick brown fox jumps over the lazy dog"));
        assert_eq!(new_secret().unwrap().len(), 64);
    }
}
