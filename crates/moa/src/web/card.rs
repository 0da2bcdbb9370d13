//! A post as a card on every list: company badge, dates, topics and tags.

use moa_store::Post;

use crate::i18n::Ui;
use crate::web::http::fnv1a_u64;
use crate::web::scope::Scope;

pub(crate) struct Card {
    pub(crate) id: i64,
    pub(crate) company_id: String,
    pub(crate) company_name: String,
    pub(crate) title: String,
    pub(crate) url: Option<String>,
    pub(crate) date_kst: String,
    pub(crate) datetime: String,
    /// "3시간 전"; the absolute date once it is more than a month old.
    pub(crate) ago: String,
    /// The company's generated badge: its first letter, and one of the badge colours.
    pub(crate) initial: String,
    pub(crate) badge: u8,
    pub(crate) summary: Option<String>,
    pub(crate) thumbnail: Option<String>,
    /// The tagger's topics, then the feed's own categories.
    pub(crate) topics: Vec<TagLink>,
    pub(crate) tags: Vec<TagLink>,
    /// On the search page: the title and a fragment of the text with the matches marked (`<b>`), escaped
    /// by the index.
    pub(crate) title_html: Option<String>,
    pub(crate) snippet_html: Option<String>,
}

pub(crate) struct TagLink {
    pub(crate) name: String,
    pub(crate) href: String,
}

/// Cards show at most this many of a post's tags.
pub(crate) const CARD_TAGS: usize = 3;

pub(crate) struct CompanyOption {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) count: i64,
    pub(crate) selected: bool,
}

/// A company filter's choices: the companies `listed` keeps, by name in the page's language, `selected`
/// marked (the home page's picker and the search page's filter).
pub(crate) fn company_options(
    sources: &[moa_store::Company],
    listed: impl Fn(&moa_store::Company) -> bool,
    selected: Option<&str>,
    ui: &Ui,
) -> Vec<CompanyOption> {
    let mut companies: Vec<CompanyOption> = sources
        .iter()
        .filter(|s| listed(s))
        .map(|s| CompanyOption {
            id: s.id.clone(),
            name: company_name(ui, &s.name_ko, &s.name_en).to_string(),
            count: s.post_count,
            selected: selected == Some(s.id.as_str()),
        })
        .collect();
    companies.sort_by(|a, b| a.name.cmp(&b.name));
    companies
}

/// A company's name in the page's language (the Korean one when it has no English name).
pub(crate) fn company_name<'a>(ui: &Ui, ko: &'a str, en: &'a str) -> &'a str {
    if ui.lang == crate::i18n::Lang::En && !en.trim().is_empty() { en } else { ko }
}

/// Badge colours defined in the stylesheet (`.badge.c0` …).
pub(crate) const BADGE_COLOURS: u64 = 8;

/// A company's badge: the first letter of its name (uppercased if Latin) and a colour fixed by its id.
pub(crate) fn badge(id: &str, name: &str) -> (String, u8) {
    let initial = name.chars().find(|c| c.is_alphanumeric()).map(|c| c.to_uppercase().collect()).unwrap_or_default();
    let colour = fnv1a_u64(id.as_bytes()) % BADGE_COLOURS;
    (initial, colour as u8)
}

pub(crate) fn card(p: Post, now: i64, ui: &Ui) -> Card {
    let (date_kst, datetime) = (crate::kst::minute(p.sort_at), crate::kst::rfc3339(p.sort_at));
    let company_name = company_name(ui, &p.source_name_ko, &p.source_name_en).to_string();
    let (initial, badge) = badge(&p.source_id, &company_name);
    Card {
        initial,
        badge,
        ago: ui.ago(now - p.sort_at, &date_kst),
        topics: p
            .topics
            .iter()
            .filter_map(|slug| moa_search::topics::topic(slug))
            .map(|t| TagLink { name: ui.topic_name(t).to_string(), href: Scope::Topic(t.slug.to_string()).path() })
            .collect(),
        title_html: None,
        snippet_html: None,
        // The tag is the feed's term; a card shows its label when the feed gives one.
        tags: p
            .categories
            .into_iter()
            .take(CARD_TAGS)
            .map(|term| TagLink {
                href: Scope::Tag(term.clone()).path(),
                name: p.category_labels.get(&term).cloned().unwrap_or(term),
            })
            .collect(),
        id: p.id,
        company_id: p.source_id,
        company_name,
        title: p.title,
        url: p.url,
        date_kst,
        datetime,
        summary: p.summary,
        thumbnail: p.thumbnail,
    }
}

/// Links to every topic's page, in the page's language.
pub(crate) fn topic_links(ui: &Ui) -> Vec<TagLink> {
    moa_search::topics::TOPICS
        .iter()
        .map(|t| TagLink { name: ui.topic_name(t).to_string(), href: Scope::Topic(t.slug.to_string()).path() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badges_take_the_first_letter_and_a_stable_colour() {
        assert_eq!(badge("woowahan", "우아한형제들").0, "우");
        assert_eq!(badge("line", "line engineering").0, "L");
        assert_eq!(badge("x", "(주)카카오").0, "주");
        assert_eq!(badge("toss", "토스"), badge("toss", "토스"));
        assert!((0..8).contains(&badge("toss", "토스").1));
        let colours: std::collections::HashSet<u8> =
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].iter().map(|id| badge(id, "x").1).collect();
        assert!(colours.len() > 3, "ids spread over the colours: {colours:?}");
    }
}
