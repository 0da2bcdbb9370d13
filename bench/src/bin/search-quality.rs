//! `cargo run --release --manifest-path bench/Cargo.toml --bin search-quality`
//!
//! The labelled query set (testdata/search/queries.tsv) over the Korean fixture corpus, in one run for
//! moa's index and for the two baselines of the Korean sites we studied: SQLite FTS5 with the trigram
//! tokenizer (BM25, the same field weights as moa), and LIKE (every word a substring, newest first).
//! Recall@10 and nDCG@10 per kind of query.

// Shared with the quality test, which uses all of it.
#[allow(dead_code)]
#[path = "../../../crates/moa-search/tests/quality/mod.rs"]
mod quality;

use rusqlite::{Connection, params};

fn sqlite(docs: &[quality::Doc]) -> Connection {
    let db = Connection::open_in_memory().expect("SQLite in memory");
    db.execute_batch(
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT, body TEXT, company TEXT, tags TEXT, sort_at INTEGER);
         CREATE VIRTUAL TABLE fts USING fts5(title, body, company, tags, content='posts', content_rowid='id', tokenize='trigram');",
    )
    .expect("schema");
    let tx = db.unchecked_transaction().expect("a transaction");
    for (i, d) in docs.iter().enumerate() {
        let tags = d.categories.join(" ");
        tx.execute(
            "INSERT INTO posts (id, title, body, company, tags, sort_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![i as i64, d.title, d.body, d.company, tags, d.sort_at],
        )
        .expect("insert");
    }
    tx.execute("INSERT INTO fts (fts) VALUES ('rebuild')", []).expect("fts rebuild");
    tx.commit().expect("commit");
    db
}

/// The query as an FTS5 expression: each word or phrase quoted, exclusions with NOT.
fn fts_expression(text: &str) -> Option<String> {
    let parts = moa_search::parse_query(text);
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    let wanted: Vec<String> = parts.iter().filter(|p| !p.exclude).map(|p| quote(&p.text)).collect();
    if wanted.is_empty() {
        return None;
    }
    let mut e = wanted.join(" AND ");
    for p in parts.iter().filter(|p| p.exclude) {
        e = format!("({e}) NOT {}", quote(&p.text));
    }
    Some(e)
}

fn fts_search(db: &Connection, docs: &[quality::Doc], text: &str) -> Vec<String> {
    let Some(expr) = fts_expression(text) else { return Vec::new() };
    let mut stmt = db
        .prepare_cached("SELECT rowid FROM fts WHERE fts MATCH ?1 ORDER BY bm25(fts, 3.0, 1.0, 1.5, 1.5) LIMIT 10")
        .expect("prepare");
    // Terms shorter than three characters match no row in a trigram index (SQLite documents this).
    let rows = stmt.query_map([expr], |r| r.get::<_, i64>(0));
    match rows {
        Ok(rows) => rows.filter_map(Result::ok).map(|id| docs[id as usize].key.clone()).collect(),
        Err(_) => Vec::new(),
    }
}

fn like_search(db: &Connection, docs: &[quality::Doc], text: &str) -> Vec<String> {
    let words: Vec<String> = text.split_whitespace().map(|w| w.replace('"', "")).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut sql = String::from("SELECT id FROM posts WHERE 1 = 1");
    for i in 0..words.len() {
        let n = i + 1;
        sql.push_str(&format!(
            " AND (title LIKE ?{n} ESCAPE '\\' OR body LIKE ?{n} ESCAPE '\\' OR company LIKE ?{n} ESCAPE '\\' OR tags LIKE ?{n} ESCAPE '\\')"
        ));
    }
    sql.push_str(" ORDER BY sort_at DESC LIMIT 10");
    let patterns: Vec<String> = words
        .iter()
        .map(|w| format!("%{}%", w.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")))
        .collect();
    let mut stmt = db.prepare_cached(&sql).expect("prepare");
    let rows = stmt.query_map(rusqlite::params_from_iter(patterns.iter()), |r| r.get::<_, i64>(0)).expect("query");
    rows.filter_map(Result::ok).map(|id| docs[id as usize].key.clone()).collect()
}

fn main() {
    let root = quality::root();
    let docs = quality::corpus(&root);
    let queries = quality::queries(&root);
    let now = docs.iter().map(|d| d.sort_at).max().unwrap_or(0);
    println!("{} posts, {} queries", docs.len(), queries.len());
    let index = quality::moa_index(&docs);
    let db = sqlite(&docs);
    type Scores = Vec<(String, usize, f64, f64)>;
    let systems: [(&str, Scores); 3] = [
        ("moa (tantivy, Korean bigrams)", quality::evaluate(&queries, |q| quality::moa_search(&index, &docs, q, now))),
        ("SQLite FTS5 trigram", quality::evaluate(&queries, |q| fts_search(&db, &docs, q))),
        ("LIKE", quality::evaluate(&queries, |q| like_search(&db, &docs, q))),
    ];
    println!(
        "\n| kind | queries | {} |",
        systems.iter().map(|(n, _)| format!("{n} recall@10 / nDCG@10")).collect::<Vec<_>>().join(" | ")
    );
    println!("|---|---:|{}", "---:|".repeat(systems.len()));
    for (i, (kind, n, _, _)) in systems[0].1.iter().enumerate() {
        let cells: Vec<String> =
            systems.iter().map(|(_, rows)| format!("{:.3} / {:.3}", rows[i].2, rows[i].3)).collect();
        println!("| {kind} | {n} | {} |", cells.join(" | "));
    }
    if std::env::args().any(|a| a == "--per-query") {
        println!();
        for q in &queries {
            let m = quality::moa_search(&index, &docs, &q.text, now);
            let f = fts_search(&db, &docs, &q.text);
            let l = like_search(&db, &docs, &q.text);
            let r = |ranked: &[String]| quality::recall_at_10(ranked, &q.relevant);
            println!(
                "{:<13} {:<14} moa {:.2}  fts5 {:.2}  like {:.2}  ({} relevant)",
                q.kind,
                q.text,
                r(&m),
                r(&f),
                r(&l),
                q.relevant.len()
            );
        }
    }
}
