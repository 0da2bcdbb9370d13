//! Politeness towards the hosts moa fetches from: at most `per_host` fetches at once to one host, a least
//! spacing between two of them starting, a global limit over all hosts, and a pause for a host that
//! answered 429 or 503 (for its `Retry-After`).
//!
//! A fetch takes its host's slot before a global one, so fetches queued behind a busy host never hold
//! global slots other hosts could use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

pub struct Politeness {
    global: Arc<Semaphore>,
    per_host: usize,
    spacing: Duration,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

struct Host {
    slots: Arc<Semaphore>,
    /// When the next fetch may start.
    next_start: tokio::sync::Mutex<Instant>,
    paused_until: Mutex<Option<Instant>>,
}

/// Held for the duration of one request; dropping it frees the slots.
pub struct Permit {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

impl Politeness {
    pub fn new(global: usize, per_host: usize, spacing: Duration) -> Self {
        Self {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host: per_host.max(1),
            spacing,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn host(&self, name: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| {
                Arc::new(Host {
                    slots: Arc::new(Semaphore::new(self.per_host)),
                    next_start: tokio::sync::Mutex::new(Instant::now()),
                    paused_until: Mutex::new(None),
                })
            })
            .clone()
    }

    /// Waits for a slot to fetch from `host`. A host paused after a 429/503 is not waited for: the
    /// remaining pause comes back as the error, so the caller can reschedule instead of blocking.
    pub async fn acquire(&self, host: &str) -> Result<Permit, Duration> {
        let state = self.host(host);
        state.check_pause()?;
        // Semaphores here are never closed, so acquiring cannot fail.
        let host_permit = state.slots.clone().acquire_owned().await.map_err(|_| Duration::ZERO)?;
        if !self.spacing.is_zero() {
            let mut next = state.next_start.lock().await;
            let now = Instant::now();
            if *next > now {
                tokio::time::sleep_until(*next).await;
            }
            *next = (*next).max(now) + self.spacing;
        }
        state.check_pause()?;
        let global = self.global.clone().acquire_owned().await.map_err(|_| Duration::ZERO)?;
        Ok(Permit { _host: host_permit, _global: global })
    }

    /// Stops fetches to `host` for `duration` (it said 429 Too Many Requests or 503).
    pub fn pause(&self, host: &str, duration: Duration) {
        let state = self.host(host);
        let mut until = state.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        let new_until = Instant::now() + duration;
        *until = Some(until.map_or(new_until, |u| u.max(new_until)));
    }
}

impl Host {
    fn check_pause(&self) -> Result<(), Duration> {
        let until = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        match until {
            Some(u) if u > Instant::now() => Err(u - Instant::now()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn limits_per_host_and_spaces_starts() {
        let p = Arc::new(Politeness::new(10, 2, Duration::from_millis(100)));
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (p, running, peak) = (p.clone(), running.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = p.acquire("a.example").await.unwrap();
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Instant::now() - started
            }));
        }
        let mut ends = Vec::new();
        for t in tasks {
            ends.push(t.await.unwrap());
        }
        assert!(peak.load(Ordering::SeqCst) <= 2);
        // Starts at 0, 100, …, 500 ms: the last one ends at 550 ms.
        assert_eq!(ends.iter().max().copied(), Some(Duration::from_millis(550)));
        // Another host is not held up.
        let other = tokio::time::timeout(Duration::from_millis(1), p.acquire("b.example")).await;
        assert!(other.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_paused_host_is_refused_until_the_pause_ends() {
        let p = Politeness::new(10, 2, Duration::ZERO);
        p.pause("a.example", Duration::from_secs(120));
        let refused = p.acquire("A.example").await.err();
        assert_eq!(refused, Some(Duration::from_secs(120)));
        assert!(p.acquire("b.example").await.is_ok());
        tokio::time::advance(Duration::from_secs(121)).await;
        assert!(p.acquire("a.example").await.is_ok());
    }
}
