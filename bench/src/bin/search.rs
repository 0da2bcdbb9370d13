//! `cargo run --release --manifest-path bench/Cargo.toml --bin search -- [--posts N] [--iterations N] [--keep]`
//!
//! moa's search index at scale: N synthetic posts (default 1,000,000) made by recombining the titles and
//! sentences of the real Korean fixture corpus, spread over 150 companies and three years. Measures the
//! build (posts/s and MB/s of text, committing every 20,000 posts as the follower does in batches), the
//! index's size on disk, and the latency of each kind of query (the labelled set's kinds, plus phrases,
//! exclusions, filters and date sort), with one client and with 8 concurrent clients. A query is what the
//! search page asks: the top 20 with highlighted titles and snippets.

// Shared with the quality test, which uses all of it.
#[allow(dead_code)]
#[path = "../../../crates/moa-search/tests/quality/mod.rs"]
mod quality;

use std::sync::Arc;
use std::time::{Duration, Instant};

use moa_search::{IndexedPost, SearchIndex, SearchQuery, Sort};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Sentences of the corpus's text, of a readable length.
fn sentences(docs: &[quality::Doc]) -> Vec<String> {
    let mut out = Vec::new();
    for d in docs {
        for s in d.body.split_inclusive(['.', '!', '?', '\n']) {
            let s = s.trim();
            let n = s.chars().count();
            if (20..=240).contains(&n) {
                out.push(s.to_string());
            }
        }
    }
    out
}

const COMPANIES: usize = 150;
const BATCH: usize = 20_000;
const NOW: i64 = 1_780_000_000;
const THREE_YEARS: i64 = 3 * 365 * 86_400;

struct Corpus {
    titles: Vec<String>,
    sentences: Vec<String>,
    companies: Vec<String>,
    topic_pool: Vec<Vec<String>>,
}

impl Corpus {
    fn post(&self, id: usize, rng: &mut Rng) -> IndexedPost {
        let company = id % COMPANIES;
        let mut body = String::new();
        for _ in 0..4 + rng.below(9) {
            body.push_str(&self.sentences[rng.below(self.sentences.len())]);
            body.push(' ');
        }
        let topics = self.topic_pool[rng.below(self.topic_pool.len())].clone();
        IndexedPost {
            id: id as i64,
            source_id: format!("c{company}"),
            title: self.titles[rng.below(self.titles.len())].clone(),
            body,
            company: self.companies[company].clone(),
            tags: topics
                .iter()
                .filter_map(|s| moa_search::topics::topic(s))
                .flat_map(|t| [t.ko.to_string(), t.en.to_string()])
                .collect(),
            topics,
            sort_at: NOW - rng.below(THREE_YEARS as usize) as i64,
        }
    }
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path).map_or(0, |entries| {
        entries.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
    })
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let mut posts = 1_000_000usize;
    let mut iterations = 400usize;
    let mut keep = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--posts" => posts = args.next().and_then(|v| v.parse().ok()).expect("--posts N"),
            "--iterations" => iterations = args.next().and_then(|v| v.parse().ok()).expect("--iterations N"),
            "--keep" => keep = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let root = quality::root();
    let docs = quality::corpus(&root);
    let queries = quality::queries(&root);
    let mut companies: Vec<String> = docs.iter().map(|d| d.company.clone()).collect();
    companies.sort();
    companies.dedup();
    while companies.len() < COMPANIES {
        companies.push(format!("회사{} 기술블로그 Company{}", companies.len(), companies.len()));
    }
    let corpus = Corpus {
        titles: docs.iter().map(|d| d.title.clone()).collect(),
        sentences: sentences(&docs),
        companies,
        topic_pool: docs.iter().map(|d| d.topics.clone()).collect(),
    };
    println!("corpus: {} posts, {} titles, {} sentences", docs.len(), corpus.titles.len(), corpus.sentences.len());

    let dir = tempfile_dir();
    let index = SearchIndex::open(&dir).expect("an index on disk");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Only the index's work is timed: each batch is made first, as the follower reads one from the store.
    let mut build = Duration::ZERO;
    let mut text_bytes = 0usize;
    let mut built = 0;
    while built < posts {
        let n = BATCH.min(posts - built);
        let batch: Vec<IndexedPost> = (built..built + n).map(|id| corpus.post(id, &mut rng)).collect();
        text_bytes += batch.iter().map(|p| p.title.len() + p.body.len()).sum::<usize>();
        let started = Instant::now();
        index.apply(&batch, &[], &(built + n).to_string()).expect("a batch");
        build += started.elapsed();
        built += n;
    }
    let merging = Instant::now();
    let index = index.wait_for_merges().expect("merges");
    let merge_wait = merging.elapsed();
    let size = dir_size(&dir);
    println!(
        "build: {posts} posts in {:.1} s = {:.0} posts/s, {:.1} MB/s of text (mean {:.0} bytes/post); then {:.1} s for the merges still running; index {:.0} MB on disk in {} segments; peak RSS {:.0} MB",
        build.as_secs_f64(),
        posts as f64 / build.as_secs_f64(),
        text_bytes as f64 / build.as_secs_f64() / 1e6,
        text_bytes as f64 / posts as f64,
        merge_wait.as_secs_f64(),
        size as f64 / 1e6,
        index.segments(),
        peak_rss_mb()
    );

    // The query kinds: the labelled set's, and the syntax and filters the page offers.
    let mut kinds: Vec<(String, Vec<SearchQuery>)> = Vec::new();
    let q = |text: &str| SearchQuery { text: text.into(), limit: 20, now: NOW, ..SearchQuery::default() };
    for query in &queries {
        match kinds.iter_mut().find(|(k, _)| *k == query.kind) {
            Some((_, list)) => list.push(q(&query.text)),
            None => kinds.push((query.kind.clone(), vec![q(&query.text)])),
        }
    }
    kinds.push((
        "phrase".into(),
        ["\"코드 리뷰\"", "\"Claude Code\"", "\"쿠버네티스 클러스터\"", "\"성능 개선\""].map(q).to_vec(),
    ));
    kinds.push((
        "exclusion".into(),
        ["배포 -쿠버네티스", "spring -boot", "테스트 -코드", "에이전트 -claude"].map(q).to_vec(),
    ));
    let filtered = |text: &str, company: usize| SearchQuery {
        source_id: Some(format!("c{company}")),
        since: Some(NOW - 365 * 86_400),
        ..q(text)
    };
    kinds.push((
        "company + year filter".into(),
        vec![filtered("배포", 3), filtered("docker", 17), filtered("회고", 42), filtered("성능", 99)],
    ));
    let newest = |text: &str| SearchQuery { sort: Sort::Newest, ..q(text) };
    kinds.push(("newest first".into(), ["배포", "docker", "회고", "에이전트"].map(newest).to_vec()));

    let index = Arc::new(index);
    println!(
        "\n| kind | queries | hits (mean total, counted up to 10,000) | 1 client p50 / p99 ms | 8 clients p50 / p99 ms | 8 clients queries/s |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (kind, list) in &kinds {
        // Warm the caches once.
        let totals: Vec<usize> = list.iter().map(|q| index.search(q).expect("search").total).collect();
        let mut single: Vec<Duration> = (0..iterations)
            .map(|i| {
                let t = Instant::now();
                index.search(&list[i % list.len()]).expect("search");
                t.elapsed()
            })
            .collect();
        single.sort();
        let wall = Instant::now();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let index = index.clone();
                let list = list.clone();
                std::thread::spawn(move || {
                    (0..iterations)
                        .map(|i| {
                            let s = Instant::now();
                            index.search(&list[(i + t) % list.len()]).expect("search");
                            s.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut concurrent: Vec<Duration> = threads.into_iter().flat_map(|h| h.join().expect("a client")).collect();
        let wall = wall.elapsed();
        concurrent.sort();
        println!(
            "| {kind} | {} | {:.0} | {:.2} / {:.2} | {:.2} / {:.2} | {:.0} |",
            list.len(),
            totals.iter().sum::<usize>() as f64 / totals.len() as f64,
            percentile(&single, 0.5),
            percentile(&single, 0.99),
            percentile(&concurrent, 0.5),
            percentile(&concurrent, 0.99),
            concurrent.len() as f64 / wall.as_secs_f64()
        );
    }
    println!("\npeak RSS {:.0} MB", peak_rss_mb());
    if keep {
        println!("index kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("moa-search-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
