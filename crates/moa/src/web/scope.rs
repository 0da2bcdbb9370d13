//! Which posts a list shows (all, a company's, a tag's, a topic's), and its addresses.

use moa_store::{Cursor, PostQuery};

/// Posts on a page of a list.
pub const PAGE_SIZE: u32 = 20;

/// What a list of posts holds.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    All,
    Company(String),
    Tag(String),
    /// A topic slug of the tagger.
    Topic(String),
}

impl Scope {
    /// The list's page, relative to the site.
    pub(crate) fn path(&self) -> String {
        match self {
            Self::All => "/".into(),
            Self::Company(id) => format!("/company/{}", encode_segment(id)),
            Self::Tag(tag) => format!("/tag/{}", encode_segment(tag)),
            Self::Topic(slug) => format!("/topic/{}", encode_segment(slug)),
        }
    }
}

pub(crate) fn encode_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

pub(crate) fn scope_query(scope: &Scope, before: Option<Cursor>, limit: u32) -> PostQuery {
    let (source_id, tag, topic) = match scope {
        Scope::All => (None, None, None),
        Scope::Company(id) => (Some(id.clone()), None, None),
        Scope::Tag(tag) => (None, Some(tag.clone()), None),
        Scope::Topic(slug) => (None, None, Some(slug.clone())),
    };
    PostQuery { source_id, tag, topic, before, limit, ..PostQuery::default() }
}

pub(crate) fn page_href(scope: &Scope, before: Option<Cursor>) -> String {
    let path = scope.path();
    match before {
        Some(b) => format!("{path}?before={}", b.encode()),
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filter() {
        let c = Cursor { sort_at: 5, id: 7 };
        assert_eq!(page_href(&Scope::Company("woowahan".into()), Some(c)), "/company/woowahan?before=5.7");
        assert_eq!(page_href(&Scope::All, Some(c)), "/?before=5.7");
        assert_eq!(page_href(&Scope::All, None), "/");
        assert_eq!(page_href(&Scope::Tag("C++ 언어/CS".into()), None), "/tag/C%2B%2B%20%EC%96%B8%EC%96%B4%2FCS");
    }
}
