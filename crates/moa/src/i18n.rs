//! The web UI's two languages: Korean by default, English through `?lang=en` or `Accept-Language`.
//! The readers' and curators' pages' strings live here, so a page cannot show half of each; the operator's
//! console keeps its own in `console/words.rs`.

use axum::http::{HeaderMap, header};

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

    pub fn search_results(&self, q: &str, n: usize) -> String {
        match self.lang {
            Lang::Ko => format!("“{q}” 검색 결과 {n}개"),
            Lang::En => format!("{n} results for “{q}”"),
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

/// The fixed strings of the pages.
#[derive(Debug)]
pub struct Text {
    pub site_title: &'static str,
    pub tagline: &'static str,
    pub skip_to_content: &'static str,
    pub sections: &'static str,
    pub latest: &'static str,
    pub popular: &'static str,
    pub companies: &'static str,
    pub dark: &'static str,
    pub light: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub other_language: &'static str,
    pub footer: &'static str,
    pub company_list: &'static str,
    pub company: &'static str,
    pub all: &'static str,
    pub show: &'static str,
    pub visit_blog: &'static str,
    pub latest_posts: &'static str,
    pub newest_first: &'static str,
    pub more: &'static str,
    pub pages: &'static str,
    pub tags: &'static str,
    pub posts: &'static str,
    pub last_post: &'static str,
    pub popular_posts: &'static str,
    pub enter_words: &'static str,
    pub empty_home: &'static str,
    pub empty_companies: &'static str,
    pub empty_popular: &'static str,
    pub empty_search: &'static str,
    pub empty_tag: &'static str,
    pub topic: &'static str,
    pub topics: &'static str,
    pub any_topic: &'static str,
    pub sort: &'static str,
    pub by_relevance: &'static str,
    pub by_date: &'static str,
    pub date_from: &'static str,
    pub date_to: &'static str,
    pub search_help: &'static str,
    pub search_unavailable: &'static str,
    pub just_now: &'static str,
    pub error: &'static str,
    pub error_message: &'static str,
    pub no_company: &'static str,
    pub no_company_message: &'static str,
    pub not_found: &'static str,
    pub not_found_message: &'static str,
    /// What a curator's or an operator's request is refused for (see [`Refusal`]).
    pub sign_in_needed: &'static str,
    pub sign_in_needed_message: &'static str,
    pub stale_form: &'static str,
    pub stale_form_message: &'static str,
    pub cannot_do: &'static str,
    pub bad_month_message: &'static str,
    pub bad_date_message: &'static str,
    pub unknown_section_message: &'static str,
    pub not_http_message: &'static str,
    pub no_post_message: &'static str,
    pub post_without_link_message: &'static str,
    pub no_scrap_message: &'static str,
    pub scrap_url_taken_message: &'static str,
    pub back_home: &'static str,
    pub subscribe: &'static str,
    pub sign_in: &'static str,
    pub curator_name: &'static str,
    /// The operator's console, linked from the curation page.
    pub console: &'static str,
    pub password: &'static str,
    pub curation: &'static str,
    pub months: &'static str,
    pub sign_out: &'static str,
    pub add_scrap: &'static str,
    pub section: &'static str,
    pub scrap_title: &'static str,
    pub title_from_page: &'static str,
    pub commentary: &'static str,
    pub no_scraps: &'static str,
    pub save: &'static str,
    pub move_up: &'static str,
    pub move_down: &'static str,
    pub delete: &'static str,
    pub post_settings: &'static str,
    pub preview: &'static str,
    pub download_md: &'static str,
    pub newsletter: &'static str,
    pub no_newsletter: &'static str,
    pub scrap: &'static str,
    pub bad_sign_in: &'static str,
    pub too_many_sign_ins: &'static str,
    pub forbidden: &'static str,
}

pub static KO: Text = Text {
    site_title: "기술 블로그 모음",
    tagline: "국내 IT 기업들의 기술 블로그 글을 한 곳에서 모아보세요",
    skip_to_content: "본문으로 건너뛰기",
    sections: "구역",
    latest: "최신",
    popular: "인기",
    companies: "회사",
    dark: "어두운 화면",
    light: "밝은 화면",
    search: "검색",
    search_placeholder: "글 검색",
    other_language: "English",
    footer: "moa · 글의 저작권은 각 블로그에 있습니다.",
    company_list: "회사 목록",
    company: "회사",
    all: "전체",
    show: "보기",
    visit_blog: "블로그 방문",
    latest_posts: "최신 글",
    newest_first: "← 최신 글",
    more: "더 보기 →",
    pages: "페이지",
    tags: "태그",
    posts: "글",
    last_post: "마지막 글",
    popular_posts: "인기 글",
    enter_words: "찾을 낱말을 입력해 주세요.",
    empty_home: "아직 모은 글이 없습니다. 수집이 끝나면 여기에 표시됩니다.",
    empty_companies: "아직 모은 글이 없습니다.",
    empty_popular: "아직 인기 글이 없습니다. 글을 읽으면 여기에 모입니다.",
    empty_search: "찾는 낱말이 든 글이 없습니다. 다른 낱말로 찾아 보세요.",
    empty_tag: "이 태그가 붙은 글이 없습니다.",
    topic: "주제",
    topics: "주제별로 보기",
    any_topic: "모든 주제",
    sort: "정렬",
    by_relevance: "관련도순",
    by_date: "최신순",
    date_from: "시작일",
    date_to: "종료일",
    search_help: "낱말은 모두 들어간 글을 찾습니다. \"따옴표\"로 구절을, -낱말로 빼고 찾기를 할 수 있습니다.",
    search_unavailable: "검색 색인을 준비하고 있습니다. 잠시 뒤에 다시 찾아 주세요.",
    just_now: "방금",
    error: "오류",
    error_message: "페이지를 만드는 중 오류가 났습니다. 잠시 뒤 다시 시도해 주세요.",
    no_company: "회사를 찾을 수 없습니다",
    no_company_message: "목록에 없는 회사입니다.",
    not_found: "페이지를 찾을 수 없습니다",
    not_found_message: "주소를 다시 확인해 주세요.",
    sign_in_needed: "로그인이 필요합니다",
    sign_in_needed_message: "로그인한 뒤 다시 보내 주세요. 로그인이 끝났을 수 있습니다.",
    stale_form: "오래된 양식입니다",
    stale_form_message: "이 양식은 더 쓸 수 없습니다. 페이지를 새로 고친 뒤 다시 보내 주세요.",
    cannot_do: "처리할 수 없는 요청입니다",
    bad_month_message: "달은 YYYY-MM 꼴로 적습니다(예: 2026-12).",
    bad_date_message: "날짜는 YYYY-MM-DD 꼴로, 시각을 붙인다면 YYYY-MM-DDTHH:MM:SS 꼴로 적습니다(예: 2026-12-31T00:01:00). 있는 날짜여야 합니다.",
    unknown_section_message: "없는 구역입니다. 목록에 있는 구역을 고르세요.",
    not_http_message: "주소는 http:// 나 https:// 로 시작해야 합니다.",
    no_post_message: "그런 글이 없습니다. 지워졌을 수 있습니다.",
    post_without_link_message: "이 글에는 원문 링크가 없어 스크랩할 수 없습니다.",
    no_scrap_message: "그런 스크랩이 없습니다. 지워졌을 수 있습니다.",
    scrap_url_taken_message: "이 달에 같은 주소의 스크랩이 이미 있습니다.",
    back_home: "처음으로",
    subscribe: "구독",
    sign_in: "로그인",
    curator_name: "이름",
    console: "운영 콘솔",
    password: "비밀번호",
    curation: "큐레이션",
    months: "달",
    sign_out: "로그아웃",
    add_scrap: "스크랩 추가",
    section: "구역",
    scrap_title: "제목",
    title_from_page: "비우면 페이지에서 가져옵니다",
    commentary: "코멘트 (Markdown)",
    no_scraps: "아직 스크랩이 없습니다.",
    save: "저장",
    move_up: "위로",
    move_down: "아래로",
    delete: "삭제",
    post_settings: "글 설정",
    preview: "미리 보기",
    download_md: ".md 내려받기",
    newsletter: "월간 기술 스크랩",
    no_newsletter: "아직 발행한 달이 없습니다.",
    scrap: "스크랩",
    bad_sign_in: "이름이나 비밀번호가 맞지 않습니다.",
    too_many_sign_ins: "로그인 실패가 너무 많습니다. 잠시 뒤 다시 시도해 주세요.",
    forbidden: "허용되지 않은 요청입니다. 페이지를 새로 고친 뒤 다시 시도해 주세요.",
};

pub static EN: Text = Text {
    site_title: "Korean Tech Blogs",
    tagline: "Posts from the tech blogs of Korean IT companies, gathered in one place",
    skip_to_content: "Skip to content",
    sections: "Sections",
    latest: "Latest",
    popular: "Popular",
    companies: "Companies",
    dark: "Dark",
    light: "Light",
    search: "Search",
    search_placeholder: "Search posts",
    other_language: "한국어",
    footer: "moa · Posts belong to their blogs.",
    company_list: "All companies",
    company: "Company",
    all: "All",
    show: "Show",
    visit_blog: "Visit the blog",
    latest_posts: "Latest posts",
    newest_first: "← Newest",
    more: "More →",
    pages: "Pages",
    tags: "Tags",
    posts: "Posts",
    last_post: "Last post",
    popular_posts: "Popular posts",
    enter_words: "Type the words to look for.",
    empty_home: "Nothing gathered yet. Posts show up here once the first crawl ends.",
    empty_companies: "Nothing gathered yet.",
    empty_popular: "No popular posts yet. Posts that readers open gather here.",
    empty_search: "No post has those words. Try other words.",
    empty_tag: "No post has this tag.",
    topic: "Topic",
    topics: "Browse by topic",
    any_topic: "All topics",
    sort: "Sort",
    by_relevance: "Most relevant",
    by_date: "Newest",
    date_from: "From",
    date_to: "To",
    search_help: "Finds posts with every word. Use \"quotes\" for a phrase and -word to leave a word out.",
    search_unavailable: "The search index is being prepared. Please search again in a moment.",
    just_now: "just now",
    error: "Error",
    error_message: "Something went wrong while making this page. Please try again in a moment.",
    no_company: "Company not found",
    no_company_message: "That company is not in the list.",
    not_found: "Page not found",
    not_found_message: "Please check the address.",
    sign_in_needed: "Sign in first",
    sign_in_needed_message: "Sign in, then send it again. Your session may have ended.",
    stale_form: "This form is out of date",
    stale_form_message: "This form can no longer be sent. Reload the page and send it again.",
    cannot_do: "This request cannot be done",
    bad_month_message: "A month is written YYYY-MM (e.g. 2026-12).",
    bad_date_message: "A date is written YYYY-MM-DD, with a time YYYY-MM-DDTHH:MM:SS (e.g. 2026-12-31T00:01:00), and must exist.",
    unknown_section_message: "There is no such section. Pick one of the list.",
    not_http_message: "An address starts with http:// or https://.",
    no_post_message: "There is no such post. It may have been deleted.",
    post_without_link_message: "This post has no link to its original, so it cannot be scrapped.",
    no_scrap_message: "There is no such scrap. It may have been deleted.",
    scrap_url_taken_message: "This month already has a scrap of that address.",
    back_home: "Home",
    subscribe: "Subscribe",
    sign_in: "Sign in",
    curator_name: "Name",
    console: "Console",
    password: "Password",
    curation: "Curation",
    months: "Months",
    sign_out: "Sign out",
    add_scrap: "Add a scrap",
    section: "Section",
    scrap_title: "Title",
    title_from_page: "Leave empty to take the page's",
    commentary: "Commentary (Markdown)",
    no_scraps: "No scraps yet.",
    save: "Save",
    move_up: "Move up",
    move_down: "Move down",
    delete: "Delete",
    post_settings: "Post settings",
    preview: "Preview",
    download_md: "Download .md",
    newsletter: "Monthly tech scrap",
    no_newsletter: "No month is published yet.",
    scrap: "Scrap",
    bad_sign_in: "Wrong name or password.",
    too_many_sign_ins: "Too many failed sign-ins. Try again later.",
    forbidden: "This request is not allowed. Reload the page and try again.",
};

/// A curator's or an operator's request refused. Handlers answer with [`Refusal::response`], which carries
/// the refusal to [`crate::web`]'s `signed_in_language` layer: that one knows the request's language and
/// makes the answer a page in it (the plain English body is only for a router without the layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    SignInNeeded,
    StaleForm,
    BadMonth,
    BadDate,
    UnknownSection,
    NotHttp,
    NoPost,
    PostWithoutLink,
    NoScrap,
    ScrapUrlTaken,
}

impl Refusal {
    pub const ALL: [Refusal; 10] = [
        Self::SignInNeeded,
        Self::StaleForm,
        Self::BadMonth,
        Self::BadDate,
        Self::UnknownSection,
        Self::NotHttp,
        Self::NoPost,
        Self::PostWithoutLink,
        Self::NoScrap,
        Self::ScrapUrlTaken,
    ];

    pub fn status(self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Self::SignInNeeded | Self::StaleForm => StatusCode::FORBIDDEN,
            Self::BadMonth | Self::NoPost | Self::NoScrap => StatusCode::NOT_FOUND,
            Self::UnknownSection | Self::NotHttp | Self::PostWithoutLink => StatusCode::BAD_REQUEST,
            Self::BadDate => StatusCode::UNPROCESSABLE_ENTITY,
            Self::ScrapUrlTaken => StatusCode::CONFLICT,
        }
    }

    /// The page's title and sentence.
    pub fn text(self, t: &'static Text) -> (&'static str, &'static str) {
        match self {
            Self::SignInNeeded => (t.sign_in_needed, t.sign_in_needed_message),
            Self::StaleForm => (t.stale_form, t.stale_form_message),
            Self::BadMonth => (t.not_found, t.bad_month_message),
            Self::BadDate => (t.cannot_do, t.bad_date_message),
            Self::UnknownSection => (t.cannot_do, t.unknown_section_message),
            Self::NotHttp => (t.cannot_do, t.not_http_message),
            Self::NoPost => (t.not_found, t.no_post_message),
            Self::PostWithoutLink => (t.cannot_do, t.post_without_link_message),
            Self::NoScrap => (t.not_found, t.no_scrap_message),
            Self::ScrapUrlTaken => (t.cannot_do, t.scrap_url_taken_message),
        }
    }

    pub fn response(self) -> axum::response::Response {
        use axum::response::IntoResponse;
        let mut r = (self.status(), self.text(&EN).1).into_response();
        r.extensions_mut().insert(self);
        r
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

    #[test]
    fn every_refusal_is_said_in_both_languages() {
        let hangul = |s: &str| s.chars().any(|c| ('가'..='힣').contains(&c));
        for r in Refusal::ALL {
            let ((ko_title, ko), (en_title, en)) = (r.text(&KO), r.text(&EN));
            assert!(hangul(ko_title) && hangul(ko), "{r:?}");
            assert!(!hangul(en_title) && !hangul(en), "{r:?}");
            let response = r.response();
            assert_eq!((response.status(), response.extensions().get::<Refusal>()), (r.status(), Some(&r)));
        }
    }
}
