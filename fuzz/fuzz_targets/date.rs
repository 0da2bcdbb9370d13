//! The date parser: any string, no panic; whatever it accepts formats back to a date it accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moa_feed::{format_rfc3339, parse_date, parse_timezone};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = parse_timezone(s);
    for offset in [0, 9 * 3600, -5 * 3600] {
        if let Some(t) = parse_date(s, offset) {
            let formatted = format_rfc3339(t);
            assert_eq!(parse_date(&formatted, 0), Some(t), "{s:?} -> {formatted}");
        }
    }
});
