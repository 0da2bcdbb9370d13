//! The labelled query set over the real Korean fixture feeds: the corpus as moa indexes it, the queries
//! with the posts a reader expects (`testdata/search/queries.tsv`, written by `label.py`), and recall@10
//! and nDCG@10. Shared by the quality test and by the benchmark that runs the baselines beside moa.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub struct Doc {
    /// The post's link (its id when it has none): what the labels name.
    pub key: String,
    pub source: String,
    pub company: String,
    pub title: String,
    pub body: String,
    pub categories: Vec<String>,
    pub topics: Vec<String>,
    pub sort_at: i64,
}

pub struct Query {
    pub kind: String,
    pub text: String,
    pub relevant: HashSet<String>,
}

/// The repository: the nearest folder above the crate that holds the labelled set (the crate is
/// `crates/moa-search` for the test and `bench` for the benchmarks).
pub fn root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.ancestors().find(|d| d.join("testdata/search/queries.tsv").is_file()).unwrap_or(crate_dir).to_path_buf()
}

/// Company names of the organisations' blogs (as label.py has them); a personal blog is named by its title.
fn company(file: &str) -> Option<&'static str> {
    match file {
        "kr-kakaostyle-devblog.xml" | "kr-kakaostyle-devblog-2nd.xml" => Some("카카오스타일 KakaoStyle"),
        "kr-zum-techblog.xml" => Some("줌인터넷 ZUM"),
        "kr-cognex-sualab.xml" => Some("코그넥스 수아랩 Cognex SUALAB"),
        "kr-yourssu-blog.xml" => Some("유어슈 Yourssu"),
        _ => None,
    }
}

/// Every post of the Korean fixture feeds once, with its text as moa indexes it and its tagger topics.
pub fn corpus(root: &Path) -> Vec<Doc> {
    let dir = root.join("testdata/feeds/real");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the fixture corpus")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("kr-")))
        .collect();
    files.sort();
    let mut seen = HashSet::new();
    let mut docs = Vec::new();
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let bytes = std::fs::read(&path).expect("a fixture");
        let Ok(feed) = moa_feed::parse(&bytes, &moa_feed::ParseOptions::default()) else { continue };
        let company = company(&name).map_or_else(|| feed.title.clone().unwrap_or_default(), String::from);
        for e in feed.entries {
            let key = e.link.clone().unwrap_or_else(|| e.id.clone());
            if !seen.insert(key.clone()) {
                continue;
            }
            let body = moa_search::body_text(e.summary.as_deref(), e.content_html.as_deref(), 20_000);
            docs.push(Doc {
                topics: moa_search::topics::tag_post(
                    &e.title,
                    &e.categories,
                    e.summary.as_deref(),
                    e.content_html.as_deref(),
                ),
                key,
                source: name.clone(),
                company: company.clone(),
                title: e.title,
                body,
                categories: e.categories,
                sort_at: e.published.or(e.updated).map_or(0, |t| t.0),
            });
        }
    }
    docs
}

pub fn queries(root: &Path) -> Vec<Query> {
    let text = std::fs::read_to_string(root.join("testdata/search/queries.tsv")).expect("the labelled queries");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 4, "a query line has 4 columns: {l}");
            Query {
                kind: cols[0].into(),
                text: cols[1].into(),
                relevant: cols[3].split(' ').map(String::from).collect(),
            }
        })
        .collect()
}

/// Relevant posts in the first ten, of as many as could be there (all of them, or ten).
pub fn recall_at_10(ranked: &[String], relevant: &HashSet<String>) -> f64 {
    let found = ranked.iter().take(10).filter(|k| relevant.contains(*k)).count();
    found as f64 / relevant.len().min(10) as f64
}

/// Binary-relevance nDCG of the first ten.
pub fn ndcg_at_10(ranked: &[String], relevant: &HashSet<String>) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .filter(|(_, k)| relevant.contains(*k))
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum::<f64>()
        + 0.0; // an empty sum is -0.0
    let ideal: f64 = (0..relevant.len().min(10)).map(|i| 1.0 / ((i + 2) as f64).log2()).sum();
    dcg / ideal
}

/// Mean recall@10 and nDCG@10 per kind of query, and over all of them (the last row, kind "all").
pub fn evaluate(queries: &[Query], mut search: impl FnMut(&str) -> Vec<String>) -> Vec<(String, usize, f64, f64)> {
    let mut rows: Vec<(String, usize, f64, f64)> = Vec::new();
    let mut all = (0, 0.0, 0.0);
    for q in queries {
        let ranked = search(&q.text);
        let (r, n) = (recall_at_10(&ranked, &q.relevant), ndcg_at_10(&ranked, &q.relevant));
        match rows.iter_mut().find(|row| row.0 == q.kind) {
            Some(row) => {
                row.1 += 1;
                row.2 += r;
                row.3 += n;
            }
            None => rows.push((q.kind.clone(), 1, r, n)),
        }
        all = (all.0 + 1, all.1 + r, all.2 + n);
    }
    rows.push(("all".into(), all.0, all.1, all.2));
    rows.into_iter().map(|(k, c, r, n)| (k, c, r / c as f64, n / c as f64)).collect()
}

/// moa's index over the corpus, in memory.
pub fn moa_index(docs: &[Doc]) -> moa_search::SearchIndex {
    let index = moa_search::SearchIndex::in_memory().expect("an index in memory");
    let posts: Vec<moa_search::IndexedPost> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut tags = d.categories.clone();
            for t in d.topics.iter().filter_map(|s| moa_search::topics::topic(s)) {
                tags.push(t.ko.into());
                tags.push(t.en.into());
            }
            moa_search::IndexedPost {
                id: i as i64,
                source_id: d.source.clone(),
                title: d.title.clone(),
                body: d.body.clone(),
                company: d.company.clone(),
                tags,
                topics: d.topics.clone(),
                sort_at: d.sort_at,
            }
        })
        .collect();
    index.upsert(&posts).expect("indexing the corpus");
    index
}

/// The keys of moa's first ten hits.
pub fn moa_search(index: &moa_search::SearchIndex, docs: &[Doc], text: &str, now: i64) -> Vec<String> {
    let q = moa_search::SearchQuery { text: text.into(), limit: 10, now, ..moa_search::SearchQuery::default() };
    let hits = index.search(&q).expect("a search");
    hits.hits.iter().map(|h| docs[h.id as usize].key.clone()).collect()
}
