//! Ranking, filters, highlights and persistence on small fixed sets of Korean and English posts.

use moa_search::{IndexedPost, SearchIndex, SearchQuery, Sort};

const DAY: i64 = 86_400;
const NOW: i64 = 1_780_000_000;

fn post(id: i64, source: &str, title: &str, body: &str, tags: &[&str], days_ago: i64) -> IndexedPost {
    IndexedPost {
        id,
        source_id: source.into(),
        title: title.into(),
        body: body.into(),
        company: format!("{source} 기술블로그"),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        topics: if title.contains("쿠버네티스") { vec!["infra".into()] } else { Vec::new() },
        sort_at: NOW - days_ago * DAY,
    }
}

fn corpus() -> Vec<IndexedPost> {
    vec![
        post(
            1,
            "toss",
            "쿠버네티스 클러스터 운영기",
            "우리는 쿠버네티스에서 배포를 자동화했습니다.",
            &["Kubernetes", "인프라"],
            10,
        ),
        post(2, "daangn", "검색 품질 개선", "한국어 검색에서 형태소 분석 없이 바이그램으로 색인합니다.", &["검색"], 30),
        post(3, "line", "Go언어로 만든 CLI", "Go 언어와 React18, k8s 운영 경험을 정리했습니다.", &["Go"], 5),
        post(
            4,
            "toss",
            "장애 대응 회고",
            "배포 중 장애가 났고 롤백했습니다. 쿠버네티스를 쓰지 않는 서비스였습니다.",
            &["회고"],
            400,
        ),
        post(
            5,
            "naver",
            "Deploying services safely",
            "We deployed canary releases and measured errors.",
            &["backend"],
            20,
        ),
        post(6, "ridi", "책 추천 시스템", "책을 추천하는 모델을 만들었습니다.", &["ML"], 50),
    ]
}

fn index() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    index.upsert(&corpus()).unwrap();
    index
}

fn ids(index: &SearchIndex, text: &str) -> Vec<i64> {
    search(index, SearchQuery { text: text.into(), ..SearchQuery::default() })
}

fn search(index: &SearchIndex, q: SearchQuery) -> Vec<i64> {
    index.search(&SearchQuery { limit: 10, now: NOW, ..q }).unwrap().hits.into_iter().map(|h| h.id).collect()
}

#[test]
fn inflected_korean_words_are_found() {
    let index = index();
    let mut k8s = ids(&index, "쿠버네티스");
    k8s.sort();
    assert_eq!(k8s, [1, 4], "쿠버네티스에서, 쿠버네티스를 and the bare word");
    assert_eq!(ids(&index, "배포")[0], 1, "two syllables: a title match is not needed; the newer post first");
    assert!(ids(&index, "배포").contains(&4));
    assert_eq!(ids(&index, "책"), [6], "one syllable");
    assert_eq!(ids(&index, "바이그램"), [2]);
}

#[test]
fn the_title_counts_most_then_recency() {
    let index = index();
    // Both mention 장애 or 쿠버네티스 in the body; the one with it in the title comes first.
    assert_eq!(ids(&index, "쿠버네티스")[0], 1);
    assert_eq!(ids(&index, "장애"), [4]);
    assert_eq!(ids(&index, "운영")[0], 1, "in the title beats a newer post with it in the body");
    let twins = SearchIndex::in_memory().unwrap();
    twins
        .upsert(&[post(1, "a", "배포 자동화", "같은 글", &[], 700), post(2, "b", "배포 자동화", "같은 글", &[], 1)])
        .unwrap();
    assert_eq!(ids(&twins, "배포"), [2, 1], "the same match: the newer first");
}

#[test]
fn english_is_stemmed_and_mixed_tokens_kept() {
    let index = index();
    assert_eq!(ids(&index, "deploy"), [5], "deploying and deployed");
    assert_eq!(ids(&index, "Deployments"), [5]);
    assert_eq!(ids(&index, "k8s"), [3]);
    assert_eq!(ids(&index, "react18"), [3]);
    assert_eq!(ids(&index, "Go언어"), [3]);
    assert_eq!(ids(&index, "toss"), [1, 4], "company names are searched");
}

#[test]
fn phrases_exclusions_and_filters() {
    let index = index();
    assert_eq!(ids(&index, "\"장애 대응\""), [4]);
    assert!(ids(&index, "\"대응 장애\"").is_empty(), "a phrase keeps its order");
    assert_eq!(ids(&index, "쿠버네티스 -장애"), [1]);
    let q = |text: &str| SearchQuery { text: text.into(), ..SearchQuery::default() };
    assert_eq!(search(&index, SearchQuery { source_id: Some("toss".into()), ..q("배포") }).len(), 2);
    assert_eq!(search(&index, SearchQuery { source_id: Some("line".into()), ..q("배포") }), Vec::<i64>::new());
    assert_eq!(
        search(&index, SearchQuery { tag: Some("KUBERNETES".into()), ..q("배포") }),
        [1],
        "tags without regard to case"
    );
    assert_eq!(search(&index, SearchQuery { topic: Some("infra".into()), ..q("배포") }), [1], "by topic");
    assert!(search(&index, SearchQuery { tag: Some("infra".into()), ..q("배포") }).is_empty(), "a topic is no tag");
    assert_eq!(search(&index, SearchQuery { since: Some(NOW - 100 * DAY), ..q("쿠버네티스") }), [1]);
    assert_eq!(search(&index, SearchQuery { until: Some(NOW - 100 * DAY), ..q("쿠버네티스") }), [4]);
    let by_date = search(&index, SearchQuery { sort: Sort::Newest, ..q("습니다") });
    assert_eq!(by_date, [3, 1, 6, 4], "newest first; 2 says 합니다, not 습니다");
    assert!(ids(&index, "-쿠버네티스").is_empty(), "exclusions alone match nothing");
    assert!(ids(&index, "").is_empty() && ids(&index, "!!!").is_empty());
}

#[test]
fn matches_are_highlighted_and_escaped() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[post(1, "x", "<b>가짜</b> 쿠버네티스 & 배포", "쿠버네티스에서 배포를 했습니다 <script>", &[], 1)])
        .unwrap();
    let hit = &index
        .search(&SearchQuery { text: "배포".into(), limit: 10, now: NOW, ..SearchQuery::default() })
        .unwrap()
        .hits[0];
    assert!(hit.title_html.contains("<b>배포</b>"), "{}", hit.title_html);
    assert!(
        hit.title_html.contains("&lt;b&gt;가짜&lt;/b&gt;") && hit.title_html.contains("&amp;"),
        "{}",
        hit.title_html
    );
    assert!(
        hit.snippet_html.contains("<b>배포</b>") && hit.snippet_html.contains("&lt;script"),
        "{}",
        hit.snippet_html
    );
    assert!(!hit.snippet_html.contains("<script"), "{}", hit.snippet_html);
}

#[test]
fn the_index_on_disk_keeps_edits_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        index.upsert(&corpus()).unwrap();
        index.upsert(&[post(2, "daangn", "검색 품질 개선", "이제 본문이 바뀌었습니다: 랭킹", &["검색"], 30)]).unwrap();
        index.delete(&[6]).unwrap();
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.len(), 5);
    assert_eq!(ids(&index, "랭킹"), [2], "the edit replaced the old copy");
    assert!(ids(&index, "바이그램").is_empty());
    assert!(ids(&index, "책").is_empty(), "deleted");
}

#[test]
fn a_commit_records_the_change_it_applied_and_a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.applied().unwrap(), "0", "a new index has applied nothing");
        index.apply(&corpus(), &[], "41").unwrap();
        index.apply(&[], &[6], "7:42").unwrap();
        assert!(matches!(SearchIndex::open(dir.path()), Err(moa_search::SearchError::Locked(_))));
        let reader = SearchIndex::open_read_only(dir.path()).unwrap();
        assert!(!reader.is_writable());
        assert_eq!(reader.len(), 5, "a reader sees the writer's commits");
        assert!(matches!(reader.apply(&[], &[1], "43"), Err(moa_search::SearchError::ReadOnly)));
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.applied().unwrap(), "7:42", "the applied place survives a reopen");
    index.clear().unwrap();
    assert_eq!((index.len(), index.applied().unwrap().as_str()), (0, "0"));
}

#[test]
fn pages_of_hits_and_the_total() {
    let index = index();
    let q = SearchQuery { text: "습니다".into(), sort: Sort::Newest, limit: 2, now: NOW, ..SearchQuery::default() };
    let first = index.search(&q).unwrap();
    let second = index.search(&SearchQuery { offset: 2, ..q.clone() }).unwrap();
    assert_eq!(first.total, 4);
    assert_eq!(second.total, 4);
    let ids: Vec<i64> = first.hits.iter().chain(&second.hits).map(|h| h.id).collect();
    assert_eq!(ids, [3, 1, 6, 4]);
}

#[test]
fn snippets_of_long_korean_text_cut_at_character_boundaries() {
    let index = SearchIndex::in_memory().unwrap();
    let body = format!(
        "{}쿠버네티스에서 대시보드 접속 그리고 운영의 문제점{}",
        "현황 지금까지 Multipass 를 활용하여 ".repeat(8),
        " 끝.".repeat(40)
    );
    index.upsert(&[post(1, "x", "서버 구축기 — Part 3", &body, &[], 1)]).unwrap();
    for q in ["쿠버네티스", "운영", "문제", "끝", "multipass 활용"] {
        let r = index.search(&SearchQuery { text: q.into(), limit: 10, now: NOW, ..SearchQuery::default() }).unwrap();
        assert_eq!(r.hits.len(), 1, "{q}");
        assert!(r.hits[0].snippet_html.contains("<b>"), "{q}: {}", r.hits[0].snippet_html);
    }
}

#[test]
fn a_query_word_with_a_particle_finds_the_bare_word_and_ranks_its_own_form_first() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[
            post(1, "a", "쿠버네티스 입문", "개념을 정리했습니다.", &[], 1),
            post(2, "a", "쿠버네티스를 고른 이유", "비교했습니다.", &[], 1),
            post(3, "a", "도커 입문", "컨테이너.", &[], 1),
        ])
        .unwrap();
    assert_eq!(ids(&index, "쿠버네티스를"), [2, 1]);
    assert_eq!(ids(&index, "쿠버네티스"), [1, 2]);
    assert!(ids(&index, "\"쿠버네티스를 입문\"").is_empty(), "phrases stay as typed");
    let mut left = ids(&index, "입문 -쿠버네티스를");
    left.sort();
    assert_eq!(left, [1, 3], "an exclusion takes the form as typed");
}

fn unhighlighted(html: &str) -> String {
    html.replace("<b>", "")
        .replace("</b>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[test]
fn a_highlighted_title_keeps_its_last_characters() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[
            post(1, "a", "PostgreSQL RLS (로우 레벨 시큐리티)", "본문", &[], 1),
            post(2, "b", "객체지향 5원칙 (SOLID)", "본문", &[], 1),
        ])
        .unwrap();
    let hit = |text: &str| {
        index
            .search(&SearchQuery { text: text.into(), limit: 10, now: NOW, ..SearchQuery::default() })
            .unwrap()
            .hits
            .remove(0)
    };
    assert_eq!(hit("시큐리티").title_html, "PostgreSQL RLS (로우 레벨 <b>시큐리티</b>)");
    assert_eq!(hit("solid").title_html, "객체지향 5원칙 (<b>SOLID</b>)");
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 48, ..Default::default() })]
    /// Stripping the marks from any highlighted title gives back the title.
    #[test]
    fn stripping_the_marks_gives_back_the_title(
        words in proptest::collection::vec("[가-힣]{1,4}|[a-zA-Z0-9]{1,6}|[()\\[\\].,!?<>&\"'-]{1,2}", 1..8),
        pick in 0usize..8,
    ) {
        let title = words.join(" ");
        let query = words.iter().filter(|w| w.chars().any(char::is_alphanumeric)).nth(pick % words.len()).cloned();
        if let Some(query) = query {
            let index = SearchIndex::in_memory().unwrap();
            index.upsert(&[post(1, "a", &title, "본문", &[], 1)]).unwrap();
            let hits = index.search(&SearchQuery { text: query.clone(), limit: 10, now: NOW, ..SearchQuery::default() }).unwrap().hits;
            if let Some(hit) = hits.first() {
                proptest::prop_assert_eq!(unhighlighted(&hit.title_html), title.trim(), "query {:?}", query);
            }
        }
    }
}

/// The index keeps each segment newest first and a query reads its matches merged by date: the page newest
/// first is exact across segments and deletions, and counting stops past `COUNT_CAP`.
#[test]
fn newest_matches_come_in_date_order_across_segments_and_the_count_stops_at_the_cap() {
    let index = SearchIndex::in_memory().unwrap();
    let n = moa_search::COUNT_CAP as i64 + 500;
    // Every post a different minute, in scrambled order (7919 is prime to n), over several commits.
    let minute = |i: i64| (i * 7919) % n;
    let all: Vec<IndexedPost> = (0..n)
        .map(|i| IndexedPost {
            sort_at: NOW - minute(i) * 60,
            ..post(i, "toss", &format!("카프카 운영 {i}"), "", &[], 0)
        })
        .collect();
    for batch in all.chunks(2_000) {
        index.upsert(batch).unwrap();
    }
    let mut newest: Vec<&IndexedPost> = all.iter().collect();
    newest.sort_by_key(|p| std::cmp::Reverse(p.sort_at));
    let deleted: Vec<i64> = newest.iter().take(30).step_by(3).map(|p| p.id).collect();
    index.delete(&deleted).unwrap();
    let expected: Vec<i64> = newest.iter().map(|p| p.id).filter(|id| !deleted.contains(id)).take(40).collect();

    let q = SearchQuery { text: "카프카".into(), sort: Sort::Newest, limit: 20, now: NOW, ..SearchQuery::default() };
    let first = index.search(&q).unwrap();
    let second = index.search(&SearchQuery { offset: 20, ..q.clone() }).unwrap();
    let got: Vec<i64> = first.hits.iter().chain(&second.hits).map(|h| h.id).collect();
    assert_eq!(got, expected, "the newest 40, deleted ones left out");
    assert_eq!((first.total, first.more), (moa_search::COUNT_CAP, true), "counted up to the cap");
    let by_relevance = index.search(&SearchQuery { sort: Sort::Relevance, ..q.clone() }).unwrap();
    let got: Vec<i64> = by_relevance.hits.iter().map(|h| h.id).collect();
    assert_eq!(got, expected[..20], "the same text match: the newer ranks first");

    index.upsert(&[post(n, "toss", "카프카 스트림즈 입문", "", &[], 400)]).unwrap();
    let rare = index.search(&SearchQuery { text: "스트림즈".into(), ..q }).unwrap();
    assert_eq!((rare.total, rare.more, rare.hits.len()), (1, false, 1), "an exact count below the cap");
}
