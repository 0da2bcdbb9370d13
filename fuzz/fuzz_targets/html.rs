//! HTML to text and the tag readers: any text, no panic, and the text never contains markup we removed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moa_feed::{
    alternate_feed_links, decode_entities, first_image, html_to_text, prose_text_prefix, strip_boilerplate, truncate,
};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let text = html_to_text(s);
    assert!(!text.contains("\n\n"), "blank lines survive collapsing");
    let _ = truncate(&strip_boilerplate(&text), 200);
    let _ = prose_text_prefix(s, 400);
    let _ = first_image(s);
    let _ = alternate_feed_links(s);
    let _ = decode_entities(s);
});
