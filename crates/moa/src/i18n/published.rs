//! The words of what moa publishes for readers' programs: the channels of its feeds, its OPML, and the
//! webhooks' announcements. Korean whatever the reader's page language: a feed has one language, and a Korean
//! reader's feed reader shows these.

use crate::i18n::KO;

/// The site's name in feeds and OPML.
pub const SITE_TITLE: &str = KO.site_title;

/// The title of the OPML list of every source.
pub const SOURCES_OPML_TITLE: &str = "기술 블로그 모음";

/// The title of the operator's OPML export of every source (the console's and `moa sources export`).
pub const EXPORT_OPML_TITLE: &str = "moa sources";

/// The reason a source disabled by an operator in the console keeps (shown on the health page).
pub fn disabled_by(operator: &str) -> String {
    format!("disabled by {operator}")
}

/// The description of the feed of every company's posts.
pub const ALL_FEED_DESCRIPTION: &str = KO.tagline;

/// The description of the curator's scraps feed.
pub const SCRAPS_FEED_DESCRIPTION: &str = "큐레이터가 고른 글과 코멘트";

/// The description of one company's feed.
pub fn company_feed(name: &str) -> String {
    format!("{name}의 기술 블로그 새 글")
}

/// The description of one tag's feed.
pub fn tag_feed(tag: &str) -> String {
    format!("‘{tag}’ 태그가 붙은 기술 블로그 새 글")
}

/// The description of one topic's feed.
pub fn topic_feed(name: &str) -> String {
    format!("‘{name}’ 주제의 기술 블로그 새 글")
}

/// The description of a search's feed.
pub fn search_feed(query: &str) -> String {
    format!("‘{query}’ 검색 결과의 새 글")
}

/// The first line of a webhook's announcement of new posts.
pub fn announcement(source_name: &str, posts: usize) -> String {
    format!("{source_name}: 새 글 {posts}개")
}
