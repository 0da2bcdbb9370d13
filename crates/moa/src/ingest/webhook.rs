//! Webhooks: new posts are announced by POSTing JSON to each configured URL — moa's own payload, or the
//! message shape Slack or Discord accept. Deliveries run on their own task, retried with doubling waits,
//! so a slow or failing receiver never holds up a crawl.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// Where new posts are announced.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: String,
    #[serde(default)]
    pub format: WebhookFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// moa's own JSON: the source and the new posts.
    #[default]
    Json,
    /// `{"text": …}` for Slack incoming webhooks (and Mattermost, Rocket.Chat).
    Slack,
    /// `{"content": …}` for Discord webhooks.
    Discord,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnnouncedPost {
    pub id: i64,
    pub title: String,
    pub url: Option<String>,
    pub summary: Option<String>,
    pub thumbnail: Option<String>,
    pub published_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct Event {
    event: &'static str,
    source: EventSource,
    posts: Vec<AnnouncedPost>,
}

#[derive(Debug, Clone, Serialize)]
struct EventSource {
    id: String,
    name: String,
}

enum Message {
    Event(Event),
    /// Stop taking events, finish the deliveries under way, then answer.
    Close(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct Notifier {
    tx: mpsc::UnboundedSender<Message>,
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub attempts: u32,
    pub retry_base: Duration,
}

/// Discord refuses longer messages.
const DISCORD_MAX_CHARS: usize = 2000;

impl Notifier {
    /// Starts the delivery task; `None` when no webhook is configured. Deliveries go through `fetcher`,
    /// under the outbound policy of every other request (the address guard, no redirects followed).
    pub fn start(
        hooks: Vec<Webhook>,
        delivery: Delivery,
        fetcher: crate::ingest::fetch::Fetcher,
    ) -> anyhow::Result<Option<Self>> {
        if hooks.is_empty() {
            return Ok(None);
        }
        let client = fetcher;
        let (tx, mut rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut deliveries = JoinSet::new();
            while let Some(message) = rx.recv().await {
                match message {
                    Message::Event(event) => {
                        for hook in &hooks {
                            let (client, hook, delivery) = (client.clone(), hook.clone(), delivery.clone());
                            let body = payload(&event, hook.format);
                            deliveries.spawn(deliver(client, hook, delivery, body));
                        }
                    }
                    Message::Close(done) => {
                        while deliveries.join_next().await.is_some() {}
                        let _ = done.send(());
                        return;
                    }
                }
                // Reap finished deliveries so the set does not grow.
                while deliveries.try_join_next().is_some() {}
            }
        });
        Ok(Some(Self { tx }))
    }

    /// Queues an announcement; returns at once.
    pub fn announce(&self, source_id: &str, source_name: &str, posts: Vec<AnnouncedPost>) {
        if posts.is_empty() {
            return;
        }
        let event =
            Event { event: "new_posts", source: EventSource { id: source_id.into(), name: source_name.into() }, posts };
        let _ = self.tx.send(Message::Event(event));
    }

    /// Waits (at most `wait`) for queued deliveries, retries included, to finish.
    pub async fn close(&self, wait: Duration) {
        let (done, finished) = oneshot::channel();
        if self.tx.send(Message::Close(done)).is_ok() && tokio::time::timeout(wait, finished).await.is_err() {
            tracing::warn!("webhook deliveries still pending at exit");
        }
    }
}

fn payload(event: &Event, format: WebhookFormat) -> serde_json::Value {
    let lines = || {
        event.posts.iter().map(|p| match &p.url {
            Some(url) => {
                (format!("• <{url}|{}>", p.title.replace(['<', '>', '|'], " ")), format!("• [{}]({url})", p.title))
            }
            None => (format!("• {}", p.title), format!("• {}", p.title)),
        })
    };
    let head = crate::i18n::published::announcement(&event.source.name, event.posts.len());
    match format {
        WebhookFormat::Json => serde_json::to_value(event).unwrap_or_default(),
        WebhookFormat::Slack => {
            let text: Vec<String> = std::iter::once(head).chain(lines().map(|(slack, _)| slack)).collect();
            serde_json::json!({ "text": text.join("\n") })
        }
        WebhookFormat::Discord => {
            let mut content = head;
            for (_, markdown) in lines() {
                if content.chars().count() + markdown.chars().count() + 1 > DISCORD_MAX_CHARS {
                    break;
                }
                content.push('\n');
                content.push_str(&markdown);
            }
            serde_json::json!({ "content": content })
        }
    }
}

/// Delivers one payload: 2xx is done; a redirect (never followed) or a 4xx but 408/429 is the receiver
/// refusing it for good; anything else is retried after a doubling wait.
async fn deliver(client: crate::ingest::fetch::Fetcher, hook: Webhook, delivery: Delivery, body: serde_json::Value) {
    let mut wait = delivery.retry_base;
    let headers = [("x-moa-event", "new_posts"), ("content-type", "application/json")];
    for attempt in 1..=delivery.attempts {
        let result = client.post(&hook.url, &headers, body.to_string()).await;
        let retry = match result {
            Ok(s) if (200..300).contains(&s) => return,
            Ok(s) => {
                tracing::warn!(url = %hook.url, status = s, attempt, "webhook refused");
                !(300..500).contains(&s) || s == 408 || s == 429
            }
            Err(e) => {
                tracing::warn!(url = %hook.url, error = %e, attempt, "webhook failed");
                true
            }
        };
        if !retry || attempt == delivery.attempts {
            break;
        }
        tokio::time::sleep(wait).await;
        wait = wait.saturating_mul(2);
    }
    tracing::error!(url = %hook.url, "webhook delivery given up");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize) -> Event {
        Event {
            event: "new_posts",
            source: EventSource { id: "toss".into(), name: "토스".into() },
            posts: (0..n)
                .map(|i| AnnouncedPost {
                    id: i as i64,
                    title: format!("글 <{i}>"),
                    url: Some(format!("https://toss.tech/{i}")),
                    summary: None,
                    thumbnail: None,
                    published_at: None,
                })
                .collect(),
        }
    }

    #[test]
    fn payload_shapes() {
        let json = payload(&event(1), WebhookFormat::Json);
        assert_eq!(json["source"]["id"], "toss");
        assert_eq!(json["posts"][0]["url"], "https://toss.tech/0");
        let slack = payload(&event(2), WebhookFormat::Slack);
        assert_eq!(slack["text"], "토스: 새 글 2개\n• <https://toss.tech/0|글  0 >\n• <https://toss.tech/1|글  1 >");
        let discord = payload(&event(500), WebhookFormat::Discord);
        let content = discord["content"].as_str().unwrap();
        assert!(content.starts_with("토스: 새 글 500개\n• [글 <0>](https://toss.tech/0)"));
        assert!(content.chars().count() <= DISCORD_MAX_CHARS);
    }
}
