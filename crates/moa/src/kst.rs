//! One rule for dates a person reads: Korea time (KST, UTC+9, no daylight saving), in the web, the console and
//! the CLI alike. Machine formats (the API, feeds, `--json`) carry RFC 3339 instants instead.

use time::{OffsetDateTime, UtcOffset};

pub const KST: UtcOffset = match UtcOffset::from_whole_seconds(moa_feed::KST_OFFSET_SECONDS) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

fn at(ts: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(ts).ok().map(|t| t.to_offset(KST))
}

/// `YYYY-MM-DD` in Korea; empty for a time out of range.
pub fn day(ts: i64) -> String {
    at(ts).map(|t| format!("{:04}-{:02}-{:02}", t.year(), t.month() as u8, t.day())).unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM` in Korea; empty for a time out of range.
pub fn minute(ts: i64) -> String {
    at(ts)
        .map(|t| format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), t.month() as u8, t.day(), t.hour(), t.minute()))
        .unwrap_or_default()
}

/// `YYYY-MM-DDTHH:MM:SS+09:00`, for `<time datetime>`; empty for a time out of range.
pub fn rfc3339(ts: i64) -> String {
    at(ts)
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+09:00",
                t.year(),
                t.month() as u8,
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        })
        .unwrap_or_default()
}

/// Midnight in Korea of a `YYYY-MM-DD` date, as Unix seconds: where a day's filter starts.
pub fn day_start(date: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date.trim(), &format).ok()?;
    Some(day.midnight().assume_offset(KST).unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_of_the_korean_morning_is_dated_that_korean_day() {
        // 2026-12-01T16:30Z is 2026-12-02 01:30 in Korea.
        let ts = 1_796_142_600;
        assert_eq!(day(ts), "2026-12-02");
        assert_eq!(minute(ts), "2026-12-02 01:30");
        assert_eq!(rfc3339(ts), "2026-12-02T01:30:00+09:00");
        assert_eq!(day_start("2026-12-02"), Some(1_796_137_200));
        assert!(day_start("2026-12-02") <= Some(ts) && Some(ts) < day_start("2026-12-03"));
        assert_eq!(day_start("yesterday"), None);
        assert_eq!(day(i64::MAX), "");
    }
}
