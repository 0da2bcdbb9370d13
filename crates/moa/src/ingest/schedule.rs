//! When to check a source next: an interval that follows how often the source posts, bounded, never
//! shorter than what its server asked for, longer after failures, and jittered so sources that were
//! added together drift apart.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub min: Duration,
    pub max: Duration,
}

/// A server's wishes are honoured up to this; beyond it they are more likely a misconfiguration.
const MAX_SERVER_HINT: Duration = Duration::from_secs(7 * 24 * 3600);
/// How many checks per expected post: more finds posts sooner, fewer is kinder to the server.
const CHECKS_PER_POST: u64 = 8;
/// The newest posts used to estimate how often a source posts.
const RECENT_POSTS: usize = 10;
/// ±10 %.
const JITTER_PERCENT: u64 = 10;

/// What the server asked for, each optional.
#[derive(Debug, Default, Clone, Copy)]
pub struct Hints {
    /// RSS `<ttl>`.
    pub ttl: Option<Duration>,
    /// `Cache-Control: max-age` or `Expires`.
    pub fresh_for: Option<Duration>,
    /// `Retry-After` on 429/503.
    pub retry_after: Option<Duration>,
}

impl Hints {
    fn floor(&self) -> Duration {
        [self.ttl, self.fresh_for, self.retry_after]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or_default()
            .min(MAX_SERVER_HINT)
    }
}

impl Schedule {
    /// The interval after a fetch that brought the feed: a fraction of the average gap between the newest
    /// posts, measured up to now so a source that went quiet is checked less and less.
    pub fn from_posts(&self, published: &[i64], now: i64) -> Duration {
        let mut recent: Vec<i64> = published.iter().copied().filter(|t| *t <= now).collect();
        recent.sort_unstable_by(|a, b| b.cmp(a));
        recent.truncate(RECENT_POSTS);
        let Some(&oldest) = recent.last() else {
            return self.max;
        };
        let span = u64::try_from(now - oldest).unwrap_or(0);
        let gap = span / recent.len() as u64;
        Duration::from_secs(gap / CHECKS_PER_POST).clamp(self.min, self.max)
    }

    /// The interval after the `failures`-th failure in a row: doubling from the minimum, up to the maximum.
    pub fn after_failures(&self, failures: i64) -> Duration {
        let doublings = u32::try_from(failures.saturating_sub(1)).unwrap_or(u32::MAX).min(20);
        self.min.saturating_mul(1 << doublings).min(self.max)
    }

    /// The wait until the next check: `interval` jittered, and never below the server's wishes.
    pub fn next_wait(&self, interval: Duration, hints: &Hints, source_id: &str, now: i64) -> Duration {
        let spread = interval.as_secs() * JITTER_PERCENT / 100;
        let jittered = if spread == 0 {
            interval
        } else {
            let roll = RandomState::new().hash_one((source_id, now)) % (2 * spread + 1);
            Duration::from_secs(interval.as_secs() - spread + roll)
        };
        jittered.max(hints.floor())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Schedule = Schedule { min: Duration::from_secs(15 * 60), max: Duration::from_secs(24 * 3600) };
    const DAY: i64 = 86_400;
    const NOW: i64 = 1_750_000_000;

    #[test]
    fn the_interval_follows_the_posting_rate() {
        let daily: Vec<i64> = (0..10).map(|i| NOW - i * DAY).collect();
        assert_eq!(S.from_posts(&daily, NOW), Duration::from_secs(9 * DAY as u64 / 10 / 8));
        let weekly: Vec<i64> = (0..10).map(|i| NOW - i * 7 * DAY).collect();
        assert_eq!(S.from_posts(&weekly, NOW), Duration::from_secs(63 * DAY as u64 / 10 / 8));
        let busy: Vec<i64> = (0..10).map(|i| NOW - i * 60).collect();
        assert_eq!(S.from_posts(&busy, NOW), S.min);
        let quiet = [NOW - 400 * DAY, NOW - 800 * DAY];
        assert_eq!(S.from_posts(&quiet, NOW), S.max);
        assert_eq!(S.from_posts(&[], NOW), S.max);
        // A future date (clock skew) says nothing.
        assert_eq!(S.from_posts(&[NOW + DAY], NOW), S.max);
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_maximum() {
        let minutes = |n| S.after_failures(n).as_secs() / 60;
        assert_eq!([1, 2, 3, 4, 5, 6, 7, 50].map(minutes), [15, 30, 60, 120, 240, 480, 960, 1440]);
    }

    #[test]
    fn jitter_stays_within_ten_percent_and_server_wishes_win() {
        let hour = Duration::from_secs(3600);
        for i in 0..200 {
            let w = S.next_wait(hour, &Hints::default(), &format!("s{i}"), NOW + i);
            assert!((3240..=3960).contains(&w.as_secs()), "{w:?}");
        }
        let asked = Hints { ttl: Some(2 * hour), ..Hints::default() };
        assert!(S.next_wait(hour, &asked, "s", NOW) >= 2 * hour);
        let retry = Hints { retry_after: Some(5 * hour), fresh_for: Some(hour), ttl: None };
        assert_eq!(S.next_wait(S.min, &retry, "s", NOW), 5 * hour);
        let absurd = Hints { fresh_for: Some(Duration::from_secs(365 * 86_400)), ..Hints::default() };
        assert_eq!(S.next_wait(S.min, &absurd, "s", NOW), MAX_SERVER_HINT);
    }
}
