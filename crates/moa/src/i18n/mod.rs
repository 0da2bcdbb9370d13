//! Every user-facing string, in one place: the web's two languages (Korean by default, English through
//! `?lang=en` or `Accept-Language`), so a page cannot show half of each — the readers' and curators' pages
//! (`pages`), the operator's console (`console`), refused requests (`refusal`) — and the Korean words of what
//! moa publishes for machines to pass on: its feeds' channels and the webhooks' announcements (`published`).

use axum::http::{HeaderMap, header};

pub mod console;
mod pages;
pub mod published;
mod refusal;

pub use pages::{EN, KO, Text};
pub use refusal::Refusal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Ko,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::Ko => "ko",
            Self::En => "en",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        let primary = code.split(['-', '_']).next().unwrap_or("").trim();
        if primary.eq_ignore_ascii_case("ko") {
            Some(Self::Ko)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Self::En)
        } else {
            None
        }
    }
}

/// The language a request asked for: `?lang=` wins, then the `Accept-Language` language of highest weight
/// that moa has (ties keep the header's order), then Korean.
pub fn negotiate(lang_param: Option<&str>, headers: &HeaderMap) -> Ui {
    if let Some(lang) = lang_param.and_then(Lang::from_code) {
        return Ui::new(lang, true);
    }
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    Ui::new(from_accept_language(accept).unwrap_or(Lang::Ko), false)
}

fn from_accept_language(accept: &str) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::from_code) else { continue };
        let q =
            parts.filter_map(|p| p.trim().strip_prefix("q=")).find_map(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((lang, q));
        }
    }
    best.map(|(lang, _)| lang)
}

/// What a page needs to speak one language: its strings, and how its own links keep that language.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub lang: Lang,
    pub t: &'static Text,
    /// Appended to internal links: `?lang=en` when the reader chose the language in the address, so it
    /// stays chosen without a cookie; empty when it came from the browser's setting.
    pub q: &'static str,
    /// The same for links that already carry a query.
    pub amp: &'static str,
    /// The address of this page's other language.
    pub other_lang: &'static str,
}

impl Ui {
    pub fn new(lang: Lang, explicit: bool) -> Self {
        match lang {
            Lang::Ko => Self {
                lang,
                t: &KO,
                q: if explicit { "?lang=ko" } else { "" },
                amp: if explicit { "&lang=ko" } else { "" },
                other_lang: "en",
            },
            Lang::En => Self {
                lang,
                t: &EN,
                q: if explicit { "?lang=en" } else { "" },
                amp: if explicit { "&lang=en" } else { "" },
                other_lang: "ko",
            },
        }
    }

    pub fn post_count(&self, n: &i64) -> String {
        match self.lang {
            Lang::Ko => format!("글 {n}개"),
            Lang::En if *n == 1 => "1 post".into(),
            Lang::En => format!("{n} posts"),
        }
    }

    pub fn popular_note(&self, days: &i64) -> String {
        match self.lang {
            Lang::Ko => format!("최근 {days}일 동안 읽힌 횟수를 시간이 지날수록 줄여서 매긴 순위입니다."),
            Lang::En => format!("Ranked by reads over the last {days} days, counting older reads for less."),
        }
    }

    /// `more`: at least `n` (counting stopped there).
    pub fn search_results(&self, q: &str, n: usize, more: bool) -> String {
        match (self.lang, more) {
            (Lang::Ko, false) => format!("“{q}” 검색 결과 {n}개"),
            (Lang::Ko, true) => format!("“{q}” 검색 결과 {n}개 이상"),
            (Lang::En, false) => format!("{n} results for “{q}”"),
            (Lang::En, true) => format!("over {n} results for “{q}”"),
        }
    }

    /// A topic's name in this language.
    pub fn topic_name(&self, topic: &moa_search::topics::Topic) -> &'static str {
        match self.lang {
            Lang::Ko => topic.ko,
            Lang::En => topic.en,
        }
    }

    pub fn topic_title(&self, name: &str) -> String {
        match self.lang {
            Lang::Ko => format!("주제: {name}"),
            Lang::En => format!("Topic: {name}"),
        }
    }

    pub fn tag_title(&self, tag: &str) -> String {
        match self.lang {
            Lang::Ko => format!("태그: {tag}"),
            Lang::En => format!("Tag: {tag}"),
        }
    }

    /// How long ago, as a reader of this language says it; past 30 days, the date itself.
    pub fn ago(&self, seconds: i64, date: &str) -> String {
        let s = seconds.max(0);
        let (n, ko, en) = match s {
            0..60 => return self.t.just_now.into(),
            60..3600 => (s / 60, "분", "minute"),
            3600..86_400 => (s / 3600, "시간", "hour"),
            86_400..2_592_000 => (s / 86_400, "일", "day"),
            _ => return date.split(' ').next().unwrap_or(date).to_string(),
        };
        match self.lang {
            Lang::Ko => format!("{n}{ko} 전"),
            Lang::En => format!("{n} {en}{} ago", if n == 1 { "" } else { "s" }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn the_address_wins_then_the_heaviest_known_language() {
        assert_eq!(negotiate(Some("en"), &with_accept("ko")).lang, Lang::En);
        assert_eq!(negotiate(Some("ko"), &with_accept("en")).lang, Lang::Ko);
        assert_eq!(negotiate(None, &with_accept("en-US,en;q=0.9,ko;q=0.8")).lang, Lang::En);
        assert_eq!(negotiate(None, &with_accept("fr;q=1, ko;q=0.5, en;q=0.7")).lang, Lang::En);
        assert_eq!(negotiate(None, &with_accept("ko-KR,ko;q=0.9,en-US;q=0.8")).lang, Lang::Ko);
        assert_eq!(negotiate(None, &with_accept("en;q=0, ja")).lang, Lang::Ko, "q=0 means not wanted");
        assert_eq!(negotiate(Some("xx"), &HeaderMap::new()).lang, Lang::Ko);
    }

    #[test]
    fn a_chosen_language_stays_in_the_links() {
        assert_eq!(negotiate(Some("en"), &HeaderMap::new()).q, "?lang=en");
        assert_eq!(negotiate(None, &with_accept("en")).q, "", "the browser setting needs no parameter");
    }

    #[test]
    fn a_count_that_stopped_says_at_least() {
        let (ko, en) = (Ui::new(Lang::Ko, false), Ui::new(Lang::En, false));
        assert_eq!(ko.search_results("카프카", 7, false), "“카프카” 검색 결과 7개");
        assert_eq!(ko.search_results("카프카", 10_000, true), "“카프카” 검색 결과 10000개 이상");
        assert_eq!(en.search_results("kafka", 10_000, true), "over 10000 results for “kafka”");
    }

    #[test]
    fn relative_times_in_both_languages() {
        let (ko, en) = (Ui::new(Lang::Ko, false), Ui::new(Lang::En, false));
        let date = "2025-02-10 10:13";
        assert_eq!(
            [5, 90, 3 * 3600 + 5, 2 * 86_400, 40 * 86_400, -30].map(|s| ko.ago(s, date)),
            ["방금", "1분 전", "3시간 전", "2일 전", "2025-02-10", "방금"]
        );
        assert_eq!(
            [5, 90, 3600, 2 * 86_400, 40 * 86_400].map(|s| en.ago(s, date)),
            ["just now", "1 minute ago", "1 hour ago", "2 days ago", "2025-02-10"]
        );
    }
}
