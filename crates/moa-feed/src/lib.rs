//! moa's feed library: bytes in, a typed and normalized feed out. No I/O, no async, no global state, so it
//! can be fuzzed and benchmarked alone.
//!
//! Pipeline: `decode` (bytes to UTF-8) → sniff → `xml` / `jsonfeed` (format to a raw model) →
//! `normalize` (clean text, absolute canonical links, dates, ids, summaries, thumbnails).
//!
//! The feed parser and the helpers the application shares with it (dates, HTML to text, what an article
//! page says about itself, OPML) are at the crate root. Two jobs keep a module path because it names them:
//! [`scrape`] (a site without a feed, read with CSS selectors) and [`discover`] (where a blog's feed is).

#![warn(unreachable_pub, missing_docs)]

mod charref;
mod charset_labels;
mod date;
mod decode;
pub mod discover;
mod entities;
mod feed;
mod html;
mod image;
mod jsonfeed;
mod link;
mod normalize;
mod opml;
mod page;
mod page_date;
mod parse;
mod prose;
mod raw;
pub mod scrape;
mod sitepage;
mod text;
mod xml;

pub use charref::decode_entities;
pub use date::{KST_OFFSET_SECONDS, format_rfc3339, parse_date, parse_timezone};
pub use feed::{Entry, Feed, FeedError, Format, ParseOptions, SitePage, Timestamp};
pub use html::{html_to_text, html_to_text_prefix, prose_text_prefix};
pub use image::first_image;
pub use normalize::TITLE_MAX_CHARS;
pub use opml::{OpmlError, Outline, parse_opml};
pub use page::{PageMeta, alternate_feed_links, page_meta};
pub use page_date::page_published;
pub use parse::parse;
pub use text::{SUMMARY_MAX_CHARS, one_line, strip_boilerplate, truncate};
pub use url::Url;
