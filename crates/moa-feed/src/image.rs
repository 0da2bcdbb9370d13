//! The picture of a post: the first image of its content that a reader would call one, not a tracking
//! pixel, emoji, icon or avatar.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use memchr::memmem::Finder;

use crate::html::{attr, start_tags};

/// The first image of the content a reader would call its picture: not a tracking pixel, emoji, icon,
/// avatar or `data:` URI. Returned as written (possibly relative).
pub fn first_image(html: &str) -> Option<String> {
    // Content without an image (much of a text blog's) is passed by vectorized searches, not a walk over
    // its tags; with one, the walk starts at the tag before it unless a comment, script or style could
    // hide it. The spellings HTML is written in (lower, upper, capitalized) are looked for: a needle per
    // mixed spelling would cost more than all the rest of this function, for tags nobody writes.
    let bytes = html.as_bytes();
    let lower = IMG_TAG.find(bytes);
    let before = &bytes[..lower.unwrap_or(bytes.len())];
    let first = OTHER_IMG_TAGS.iter().filter_map(|f| f.find(before)).min().or(lower)?;
    let hidden = HIDING_TAGS.iter().any(|f| f.find(&bytes[..first]).is_some());
    let from = if hidden { 0 } else { memchr::memrchr(b'>', &bytes[..first]).map_or(0, |p| p + 1) };
    start_tags(&html[from..], "img").find_map(|attrs| {
        let src = ["src", "data-src", "data-lazy-src", "data-original"]
            .iter()
            .filter_map(|n| attr(&attrs, n))
            .find(|v| !v.starts_with("data:"))?;
        let tiny = |n: &str| {
            attr(&attrs, n).and_then(|v| v.trim_end_matches("px").parse::<u32>().ok()).is_some_and(|v| v <= 2)
        };
        if tiny("width") || tiny("height") || is_decorative_image_url(src) {
            return None;
        }
        let class = attr(&attrs, "class").unwrap_or("").to_ascii_lowercase();
        if class.contains("emoji") || class.contains("wp-smiley") || class.contains("avatar") {
            return None;
        }
        Some(src.to_string())
    })
}

static IMG_TAG: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("<img"));
static OTHER_IMG_TAGS: LazyLock<[Finder<'static>; 2]> = LazyLock::new(|| ["<IMG", "<Img"].map(Finder::new));
static HIDING_TAGS: LazyLock<[Finder<'static>; 5]> =
    LazyLock::new(|| ["<!--", "<script", "<SCRIPT", "<style", "<STYLE"].map(Finder::new));

/// URLs of tracking pixels, counters, emoji and icons that feeds put into content.
pub(crate) fn is_decorative_image_url(url: &str) -> bool {
    // One automaton for all markers, any ASCII case: every image of every entry is asked.
    static MARKERS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(DECORATIVE_IMAGE_MARKERS)
            .ok()
    });
    url.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("data:")) || MARKERS.as_ref().is_some_and(|m| m.is_match(url))
}

/// What the address of a decorative image holds (compared in any ASCII case).
const DECORATIVE_IMAGE_MARKERS: &[&str] = &[
    "feeds.feedburner.com/~r/",
    "feeds.feedburner.com/~ff/",
    "stats.wordpress.com",
    "pixel.wp.com",
    "/b.gif",
    "medium.com/_/stat",
    "/_/stat?",
    "doubleclick.net",
    "google-analytics.com",
    "/emoji/",
    "s.w.org/images/core/emoji",
    "/smilies/",
    "gravatar.com/avatar",
    "pixel.",
    "/pixel.gif",
    "/tracking",
    "spacer.gif",
    "blank.gif",
    "1x1.",
    "feedburner.google.com",
    "counter.",
    "/favicon",
    // Matomo / Piwik pixels, FeedBurner's share buttons, share icons, profile pictures.
    "piwik.php",
    "matomo.php",
    "/p.php?idsite",
    "feeds.feedburner.com/~f/",
    "twitter_icon",
    "facebook_icon",
    "linkedin_icon",
    "githubusercontent.com/u/",
    // Attachment-type icons of bulletin boards, emoticon sets.
    "/filetype/",
    "/emoticons/",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_in_the_usual_cases_are_found_and_hide_what_they_hold() {
        assert_eq!(first_image(r#"<p>글</p><Img src="/a.png">"#).as_deref(), Some("/a.png"));
        let in_script = r#"<SCRIPT>var t = '<img src="/x.png">';</SCRIPT><p>글</p><IMG src="/b.png">"#;
        assert_eq!(first_image(in_script).as_deref(), Some("/b.png"));
        assert_eq!(first_image("<p>그림 없는 글</p>"), None);
    }

    #[test]
    fn first_image_skips_pixels_and_emoji() {
        let html = r#"<img src="https://feeds.feedburner.com/~r/x/~4/abc" width="1" height="1">
            <img class="emoji" src="https://s.w.org/images/core/emoji/15/72x72/1f600.png">
            <img src="data:image/gif;base64,R0lGOD" data-src="/real.png">
            <img src="https://cdn.example.com/a.png">"#;
        assert_eq!(first_image(html).as_deref(), Some("/real.png"));
        assert_eq!(first_image("<img src=\"https://stats.wordpress.com/b.gif?x=1\">"), None);
    }

    #[test]
    fn decorative_images_are_known_by_their_address_in_any_case() {
        for url in [
            "https://stats.wordpress.com/b.gif?host=x",
            "https://S.W.ORG/images/core/emoji/14.0.0/72x72/1f600.png",
            "https://secure.Gravatar.com/avatar/abc?s=96",
            "DATA:image/gif;base64,R0lGOD",
            "https://example.com/wp-content/themes/x/Spacer.GIF",
            "https://blog.example.com/matomo.php?idsite=1&rec=1",
        ] {
            assert!(is_decorative_image_url(url), "{url}");
        }
        for url in [
            "https://techblog.woowahan.com/wp-content/uploads/2024/01/architecture.png",
            "https://d2.naver.com/content/images/2023/07/data-pipeline.jpg",
            "https://example.com/images/datacenter.png",
        ] {
            assert!(!is_decorative_image_url(url), "{url}");
        }
    }
}
