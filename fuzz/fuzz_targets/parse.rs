//! The whole document parser: any bytes must give a feed or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moa_feed::{ParseOptions, Url, parse};

fuzz_target!(|data: &[u8]| {
    let options = ParseOptions {
        url: Url::parse("https://blog.example.com/feed.xml").ok(),
        now: Some(1_800_000_000),
        ..ParseOptions::default()
    };
    if let Ok(feed) = parse(data, &options) {
        for e in &feed.entries {
            assert!(e.summary.as_ref().is_none_or(|s| s.chars().count() <= 200));
        }
    }
});
