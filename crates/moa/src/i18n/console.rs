//! The operator's console's words and messages, in both languages: labels of its pages, what it says when it cannot do
//! something, and what a fetch error means to an operator (the technical detail stays on demand).

use moa_feed::scrape::SelectorError;
use moa_store::ErrorKind;

use crate::i18n::{Lang, Ui};

/// The console's words, in both languages.
pub struct Words {
    pub console: &'static str,
    pub due_now: &'static str,
    pub settings: &'static str,
    pub settings_note: &'static str,
    pub key: &'static str,
    pub variable: &'static str,
    pub value: &'static str,
    pub blog: &'static str,
    pub sources: &'static str,
    pub add: &'static str,
    pub users: &'static str,
    pub audit: &'static str,
    pub homepage: &'static str,
    pub find_feed: &'static str,
    pub by_selectors: &'static str,
    pub page_url: &'static str,
    pub preview: &'static str,
    pub save: &'static str,
    pub id: &'static str,
    pub name_ko: &'static str,
    pub name_en: &'static str,
    pub feed_url: &'static str,
    pub state: &'static str,
    pub last_success: &'static str,
    pub last_error: &'static str,
    pub next_check: &'static str,
    pub posts_per_month: &'static str,
    pub mean_fetch: &'static str,
    pub mean_bytes: &'static str,
    pub not_modified: &'static str,
    pub pages_skipped: &'static str,
    pub refresh: &'static str,
    pub enable: &'static str,
    pub disable: &'static str,
    pub delete: &'static str,
    pub delete_posts_too: &'static str,
    pub edit: &'static str,
    pub all: &'static str,
    pub filter: &'static str,
    pub ok: &'static str,
    pub failing: &'static str,
    pub failing_since: &'static str,
    pub disabled: &'static str,
    pub new: &'static str,
    pub found_at: &'static str,
    pub others: &'static str,
    pub tried: &'static str,
    pub no_posts: &'static str,
    pub no_sources: &'static str,
    pub import_opml: &'static str,
    pub export_opml: &'static str,
    pub opml_text: &'static str,
    pub import: &'static str,
    pub role: &'static str,
    pub password: &'static str,
    pub add_user: &'static str,
    pub change_role: &'static str,
    /// The users page's column of failed sign-ins in the current window, and the mark of a slowed name.
    pub failed_sign_ins: &'static str,
    pub slowed: &'static str,
    pub when: &'static str,
    pub who: &'static str,
    pub action: &'static str,
    pub target: &'static str,
    pub detail: &'static str,
    pub posts: &'static str,
    pub never: &'static str,
    pub item: &'static str,
    pub title: &'static str,
    pub link: &'static str,
    pub date: &'static str,
    pub summary: &'static str,
    pub image: &'static str,
    pub optional: &'static str,
    /// Shown over a fetch error's technical detail.
    pub details: &'static str,
    pub cancel: &'static str,
    pub confirm_delete: &'static str,
    pub operators_only: &'static str,
    pub operators_only_message: &'static str,
    pub no_source: &'static str,
    pub no_source_message: &'static str,
    pub no_user_message: &'static str,
    pub no_action_message: &'static str,
}

pub static KO: Words = Words {
    console: "운영 콘솔",
    due_now: "곧",
    settings: "설정",
    settings_note: "지금 쓰는 설정입니다. moa.toml이나 환경 변수로 바꾸고 다시 시작하세요. 비밀 값은 가렸습니다.",
    key: "키",
    variable: "환경 변수",
    value: "값",
    blog: "블로그",
    sources: "블로그 상태",
    add: "블로그 추가",
    users: "사용자",
    audit: "감사 기록",
    homepage: "홈페이지 주소",
    find_feed: "피드 찾기",
    by_selectors: "피드가 없는 사이트: CSS 선택자로 읽기",
    page_url: "글 목록 페이지 주소",
    preview: "미리 보기",
    save: "저장",
    id: "ID",
    name_ko: "이름(한국어)",
    name_en: "이름(영어)",
    feed_url: "피드 주소",
    state: "상태",
    last_success: "마지막 성공",
    last_error: "마지막 오류",
    next_check: "다음 확인",
    posts_per_month: "월 글 수",
    mean_fetch: "평균 수집 시간",
    mean_bytes: "평균 크기",
    not_modified: "304 비율",
    pages_skipped: "건너뛴 사이트 페이지",
    refresh: "지금 새로 고침",
    enable: "켜기",
    disable: "끄기",
    delete: "삭제",
    delete_posts_too: "글도 함께 삭제",
    edit: "편집",
    all: "전체",
    filter: "거르기",
    ok: "정상",
    failing: "실패 중",
    failing_since: "실패 중, 시작",
    disabled: "꺼짐",
    new: "아직 수집 전",
    found_at: "찾은 곳",
    others: "다른 피드",
    tried: "시도한 주소",
    no_posts: "글이 없습니다.",
    no_sources: "조건에 맞는 블로그가 없습니다.",
    import_opml: "OPML 가져오기",
    export_opml: "OPML 내보내기",
    opml_text: "OPML 내용",
    import: "가져오기",
    role: "역할",
    password: "비밀번호(8자 이상)",
    add_user: "사용자 추가 / 비밀번호 변경",
    change_role: "역할 바꾸기",
    failed_sign_ins: "최근 15분 로그인 실패",
    slowed: "지연 중",
    when: "시각",
    who: "누가",
    action: "무엇을",
    target: "대상",
    detail: "내용",
    posts: "글",
    never: "없음",
    item: "글 하나(항목)",
    title: "제목",
    link: "링크",
    date: "날짜",
    summary: "요약",
    image: "이미지",
    optional: "선택",
    details: "자세히",
    cancel: "취소",
    confirm_delete: "삭제 확인",
    operators_only: "운영자 전용",
    operators_only_message: "이 페이지는 운영자만 볼 수 있습니다. 운영자 계정으로 로그인하세요.",
    no_source: "없는 블로그",
    no_source_message: "그런 블로그가 없습니다. 블로그 상태 목록에서 골라 주세요.",
    no_user_message: "그런 사용자가 없습니다.",
    no_action_message: "그런 작업은 없습니다.",
};

pub static EN: Words = Words {
    console: "Console",
    due_now: "due now",
    settings: "Settings",
    settings_note: "The settings in effect. Change them in moa.toml or the environment, then restart. Secrets are masked.",
    key: "Key",
    variable: "Variable",
    value: "Value",
    blog: "Blog",
    sources: "Feed health",
    add: "Add a blog",
    users: "Users",
    audit: "Audit log",
    homepage: "Homepage URL",
    find_feed: "Find the feed",
    by_selectors: "A site without a feed: read it with CSS selectors",
    page_url: "URL of the page listing the posts",
    preview: "Preview",
    save: "Save",
    id: "ID",
    name_ko: "Name (Korean)",
    name_en: "Name (English)",
    feed_url: "Feed URL",
    state: "State",
    last_success: "Last success",
    last_error: "Last error",
    next_check: "Next check",
    posts_per_month: "Posts/month",
    mean_fetch: "Mean fetch",
    mean_bytes: "Mean size",
    not_modified: "304 ratio",
    pages_skipped: "Site pages skipped",
    refresh: "Refresh now",
    enable: "Enable",
    disable: "Disable",
    delete: "Delete",
    delete_posts_too: "Delete its posts too",
    edit: "Edit",
    all: "All",
    filter: "Filter",
    ok: "OK",
    failing: "failing",
    failing_since: "failing since",
    disabled: "disabled",
    new: "not fetched yet",
    found_at: "Found at",
    others: "Other feeds",
    tried: "Tried",
    no_posts: "No posts.",
    no_sources: "No blog matches.",
    import_opml: "Import OPML",
    export_opml: "Export OPML",
    opml_text: "OPML",
    import: "Import",
    role: "Role",
    password: "Password (8 characters or more)",
    add_user: "Add a user / set a password",
    change_role: "Change role",
    failed_sign_ins: "Failed sign-ins (15 min)",
    slowed: "slowed down",
    when: "When",
    who: "Who",
    action: "Action",
    target: "Target",
    detail: "Detail",
    posts: "Posts",
    never: "never",
    item: "One post (item)",
    title: "Title",
    link: "Link",
    date: "Date",
    summary: "Summary",
    image: "Image",
    optional: "optional",
    details: "Details",
    cancel: "Cancel",
    confirm_delete: "Confirm deletion",
    operators_only: "Operators only",
    operators_only_message: "This page is for operators. Sign in with an operator account.",
    no_source: "No such blog",
    no_source_message: "There is no such blog. Pick one from the feed health list.",
    no_user_message: "There is no such user.",
    no_action_message: "There is no such action.",
};

pub fn words(ui: &Ui) -> &'static Words {
    match ui.lang {
        Lang::Ko => &KO,
        Lang::En => &EN,
    }
}

/// What the console says when it cannot do what was asked, in the page's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Say {
    BadId(String),
    NotHttp(String),
    NameNeeded,
    BadHomepage(String),
    Selector(SelectorError),
    BadAddress(String),
    NoFeed(String),
    CannotRead { url: String, kind: ErrorKind, detail: String },
    NoPosts(String),
    FeedTaken { feed: String, source: String },
    IdTaken(String),
    BadUserName,
    ShortPassword,
    BadRole,
    OwnAccount,
    BadOpml(String),
    NoFetcher,
}

impl Say {
    pub fn text(&self, lang: Lang) -> String {
        let ko = lang == Lang::Ko;
        match self {
            Self::BadId(id) if ko => format!("ID {id:?}는 영문자, 숫자, '-', '_'로 1~64자여야 합니다."),
            Self::BadId(id) => format!("The id {id:?} must be 1 to 64 letters, digits, '-' or '_'."),
            Self::NotHttp(u) if ko => format!("{u:?}는 http(s) 주소가 아닙니다."),
            Self::NotHttp(u) => format!("{u:?} is not an http(s) URL."),
            Self::NameNeeded if ko => "이름(한국어나 영어)을 적어 주세요.".into(),
            Self::NameNeeded => "Give a name (Korean or English).".into(),
            Self::BadHomepage(u) if ko => format!("홈페이지 {u:?}는 http(s) 주소가 아닙니다."),
            Self::BadHomepage(u) => format!("The homepage {u:?} is not an http(s) URL."),
            Self::Selector(SelectorError::Empty { field }) if ko => {
                format!("{} 선택자가 비어 있습니다.", field_label(&KO, field))
            }
            Self::Selector(SelectorError::Empty { field }) => {
                format!("The {} selector is empty.", field_label(&EN, field))
            }
            Self::Selector(SelectorError::Invalid { field, selector, message }) if ko => {
                format!("{} 선택자 {selector:?}는 올바른 CSS가 아닙니다 ({message}).", field_label(&KO, field))
            }
            Self::Selector(SelectorError::Invalid { field, selector, message }) => {
                format!("The {} selector {selector:?} is not valid CSS ({message}).", field_label(&EN, field))
            }
            Self::BadAddress(u) if ko => format!("{u:?}는 웹 주소가 아닙니다."),
            Self::BadAddress(u) => format!("{u:?} is not a web address."),
            Self::NoFeed(home) if ko => {
                format!("{home}에서 피드를 찾지 못했습니다. 아래 시도한 주소를 보거나, CSS 선택자로 읽어 보세요.")
            }
            Self::NoFeed(home) => {
                format!("No feed found for {home}. See the addresses tried below, or read the site with CSS selectors.")
            }
            Self::CannotRead { url, kind, .. } if ko => {
                format!("{url}을(를) 읽지 못했습니다: {}", explain(*kind, lang))
            }
            Self::CannotRead { url, kind, .. } => format!("Cannot read {url}: {}", explain(*kind, lang)),
            Self::NoPosts(_) if ko => "이 선택자로는 페이지에서 글을 읽지 못했습니다.".into(),
            Self::NoPosts(_) => "These selectors read no posts from the page.".into(),
            Self::FeedTaken { feed, source } if ko => format!("피드 {feed}는 이미 블로그 {source:?}입니다."),
            Self::FeedTaken { feed, source } => format!("The feed {feed} is already the source {source:?}."),
            Self::IdTaken(id) if ko => format!("ID {id:?}는 이미 쓰이고 있습니다. 다른 ID를 고르세요."),
            Self::IdTaken(id) => format!("A source with the id {id:?} exists already; choose another id."),
            Self::BadUserName if ko => "이름은 글자, 숫자, '.', '_', '-'로만 씁니다.".into(),
            Self::BadUserName => "A name is letters, digits, '.', '_' or '-'.".into(),
            Self::ShortPassword if ko => "비밀번호는 8자 이상이어야 합니다.".into(),
            Self::ShortPassword => "A password has at least 8 characters.".into(),
            Self::BadRole if ko => "역할은 curator나 operator입니다.".into(),
            Self::BadRole => "The role is curator or operator.".into(),
            Self::OwnAccount if ko => {
                "자기 계정은 여기서 바꾸거나 지울 수 없습니다. 다른 운영자에게 부탁하세요.".into()
            }
            Self::OwnAccount => "You cannot change or delete your own account here; ask another operator.".into(),
            Self::BadOpml(_) if ko => {
                "OPML을 읽지 못했습니다. 피드 주소(xmlUrl)가 있는 outline이 있는 OPML인지 확인하세요.".into()
            }
            Self::BadOpml(_) => {
                "Cannot read the OPML: check that it is OPML with outlines that carry a feed URL (xmlUrl).".into()
            }
            Self::NoFetcher if ko => "이 서버는 페이지를 가져오지 않습니다(fetch가 꺼져 있음).".into(),
            Self::NoFetcher => "This server does not fetch pages.".into(),
        }
    }

    /// The technical detail, shown on demand.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::CannotRead { detail, .. } | Self::BadOpml(detail) | Self::NoPosts(detail) => Some(detail),
            _ => None,
        }
    }
}

fn field_label(w: &Words, field: &str) -> &'static str {
    match field {
        "item" => w.item,
        "title" => w.title,
        "link" => w.link,
        "date" => w.date,
        "summary" => w.summary,
        "image" => w.image,
        _ => w.item,
    }
}

/// What a fetch error of a kind means, in a short sentence an operator can act on.
pub fn explain(kind: ErrorKind, lang: Lang) -> &'static str {
    let (ko, en) = match kind {
        ErrorKind::Timeout => ("서버가 제때 답하지 않았습니다.", "The server did not answer in time."),
        ErrorKind::Dns => ("주소(도메인)를 찾을 수 없습니다.", "The domain name could not be found."),
        ErrorKind::Connect => ("서버에 연결할 수 없습니다.", "Could not connect to the server."),
        ErrorKind::Tls => {
            ("보안 연결(HTTPS 인증서)에 문제가 있습니다.", "The secure connection (HTTPS certificate) failed.")
        }
        ErrorKind::HttpStatus => ("서버가 오류로 답했습니다.", "The server answered with an error."),
        ErrorKind::Throttled => (
            "서버가 요청을 줄여 달라고 했습니다. 나중에 다시 시도합니다.",
            "The server asked us to slow down; moa retries later.",
        ),
        ErrorKind::Blocked => ("봇 차단 페이지에 막혔습니다.", "A bot-protection page blocked the request."),
        ErrorKind::Gone => ("피드가 없어졌습니다(410).", "The feed is gone for good (410)."),
        ErrorKind::TooLarge => ("응답이 허용한 크기보다 큽니다.", "The response is larger than allowed."),
        ErrorKind::Redirect => ("리디렉션이 너무 많거나 되돌아옵니다.", "Too many redirects, or a redirect loop."),
        ErrorKind::PrivateNetwork => {
            ("내부망 주소라서 가져오지 않았습니다.", "A private network address; moa does not fetch it.")
        }
        ErrorKind::NotAFeed => ("피드가 아닌 페이지입니다.", "The address is not a feed."),
        ErrorKind::Parse => ("피드를 읽을 수 없습니다(형식 오류).", "The feed could not be read (malformed)."),
        ErrorKind::Other => ("가져오지 못했습니다.", "The fetch failed."),
    };
    if lang == Lang::Ko { ko } else { en }
}

/// The message of a redirect back to the health page: `verb id` (or `imported N M`) in the page's language.
pub fn done_text(done: &str, lang: Lang) -> String {
    let ko = lang == Lang::Ko;
    let mut words = done.split(' ');
    let (verb, a, b) = (words.next().unwrap_or(""), words.next().unwrap_or(""), words.next().unwrap_or(""));
    match verb {
        "added" if ko => format!("{a}을(를) 추가했습니다. 곧 글을 가져옵니다."),
        "added" => format!("Added {a}; its posts are being fetched."),
        "saved" if ko => format!("{a}을(를) 저장했습니다."),
        "saved" => format!("Saved {a}."),
        "unchanged" if ko => format!("{a}: 바뀐 것이 없어 저장하지 않았습니다."),
        "unchanged" => format!("{a}: nothing changed, nothing saved."),
        "refresh" if ko => format!("{a}을(를) 곧 새로 고칩니다."),
        "refresh" => format!("{a} will be fetched soon."),
        "enable" if ko => format!("{a}을(를) 켰습니다."),
        "enable" => format!("Enabled {a}."),
        "disable" if ko => format!("{a}을(를) 껐습니다."),
        "disable" => format!("Disabled {a}."),
        "delete" if ko => format!("{a}을(를) 삭제했습니다."),
        "delete" => format!("Deleted {a}."),
        "imported" if ko => format!("OPML에서 {a}개를 추가했습니다(이미 있던 피드 {b}개)."),
        "imported" => format!("Imported {a} feeds from the OPML ({b} known already)."),
        _ => String::new(),
    }
}

/// The question before a source is deleted with its posts.
pub fn delete_question(lang: Lang, name: &str, id: &str, posts: i64) -> String {
    match lang {
        Lang::Ko => format!("{name}({id})와 그 글 {posts}개를 지울까요? 되돌릴 수 없습니다."),
        Lang::En => format!("Delete {name} ({id}) and its {posts} posts? This cannot be undone."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_and_explanation_is_said_in_both_languages() {
        let all = [
            Say::BadId("x y".into()),
            Say::NotHttp("ftp://x".into()),
            Say::NameNeeded,
            Say::BadHomepage("x".into()),
            Say::Selector(SelectorError::Empty { field: "title" }),
            Say::Selector(SelectorError::Invalid { field: "item", selector: "a[".into(), message: "m".into() }),
            Say::BadAddress("x".into()),
            Say::NoFeed("https://x/".into()),
            Say::CannotRead { url: "https://x/".into(), kind: ErrorKind::Dns, detail: "DNS: nx".into() },
            Say::NoPosts("d".into()),
            Say::FeedTaken { feed: "f".into(), source: "s".into() },
            Say::IdTaken("s".into()),
            Say::BadUserName,
            Say::ShortPassword,
            Say::BadRole,
            Say::OwnAccount,
            Say::BadOpml("d".into()),
            Say::NoFetcher,
        ];
        let hangul = |s: &str| s.chars().any(|c| ('가'..='힣').contains(&c));
        for say in &all {
            assert!(hangul(&say.text(Lang::Ko)), "{say:?}: {}", say.text(Lang::Ko));
            assert!(!hangul(&say.text(Lang::En)), "{say:?}: {}", say.text(Lang::En));
        }
        for kind in ErrorKind::ALL {
            assert!(hangul(explain(kind, Lang::Ko)) && !hangul(explain(kind, Lang::En)), "{kind:?}");
        }
        for done in
            ["added a", "saved a", "unchanged a", "refresh a", "enable a", "disable a", "delete a", "imported 1 2"]
        {
            assert!(hangul(&done_text(done, Lang::Ko)) && !done_text(done, Lang::En).is_empty(), "{done}");
        }
        assert_eq!(done_text("nonsense", Lang::Ko), "");
    }
}
