//! A tantivy index of posts: title, body (summary and content text), company names and tags, read with the
//! Korean tokenizer; BM25 with the title boosted and a mild recency factor; filters by company, tag and
//! date; highlighted snippets. Queries: words, "phrases" and -exclusions.

use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;

use tantivy::query::{BooleanQuery, BoostQuery, EnableScoring, Occur, PhraseQuery, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TantivyDocument, TextFieldIndexing, TextOptions,
    Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{
    DocAddress, Index, IndexReader, IndexSettings, IndexSortByField, IndexWriter, Order, ReloadPolicy, Term, doc,
};

use crate::query::parse_query;
use crate::tokenizer::{KoreanTokenizer, Mode};

/// Why the index could not be opened, written or searched.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy failed (I/O, a corrupt or foreign index, a bad schema).
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index directory could not be created.
    #[error("cannot open the search index directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// What the file system said.
        source: std::io::Error,
    },
    /// Another process writes the index (its directory is named).
    #[error("the search index {0} is held by another moa process (moa serve keeps it current)")]
    Locked(String),
    /// A write was asked of an index opened to read.
    #[error("the search index was opened read-only")]
    ReadOnly,
    /// The index was built by another version of moa (another schema or order); its directory is named.
    #[error("the search index in {0} was built by another version of moa; run `moa index rebuild`")]
    OtherVersion(String),
}

pub(crate) type Result<T, E = SearchError> = std::result::Result<T, E>;

/// A post as the index sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedPost {
    /// The store's post id.
    pub id: i64,
    /// The source (blog) the post came from, for the company filter.
    pub source_id: String,
    /// The post's title.
    pub title: String,
    /// Summary and the content's text.
    pub body: String,
    /// The company's names (Korean and English).
    pub company: String,
    /// The feed's categories, searched as text and filtered on exactly.
    pub tags: Vec<String>,
    /// Topic slugs from the tagger; their names go into `tags` to be searched.
    pub topics: Vec<String>,
    /// When the post was published (Unix seconds): recency and newest-first order.
    pub sort_at: i64,
}

/// The order of hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best match first, newer posts weighed up.
    #[default]
    Relevance,
    /// Newest post first.
    Newest,
}

/// A search: the reader's query text, filters, order and page.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Words, "phrases" and -exclusions, as [`parse_query`] reads them.
    pub text: String,
    /// Only posts of this source.
    pub source_id: Option<String>,
    /// Only posts with this tag (case-insensitive).
    pub tag: Option<String>,
    /// A topic slug.
    pub topic: Option<String>,
    /// Unix seconds, inclusive.
    pub since: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
    /// The order of hits.
    pub sort: Sort,
    /// Hits wanted (1–1000).
    pub limit: usize,
    /// Hits skipped, for the next page.
    pub offset: usize,
    /// Recency is measured from here (Unix seconds).
    pub now: i64,
}

/// One matching post.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The store's post id.
    pub id: i64,
    /// BM25 with the boosts and recency; 0 when sorted by date.
    pub score: f32,
    /// The title with matches in `<b>`, HTML-escaped.
    pub title_html: String,
    /// A fragment of the body with matches in `<b>`, HTML-escaped.
    pub snippet_html: String,
}

/// One page of hits and how many posts match in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hits {
    /// The page of hits asked for.
    pub hits: Vec<Hit>,
    /// How many posts match in all, counted up to 10,000.
    pub total: usize,
    /// More posts match than `total` says (it stopped counting).
    pub more: bool,
}

struct Fields {
    id: Field,
    source: Field,
    title: Field,
    body: Field,
    company: Field,
    tag: Field,
    tag_text: Field,
    sort_at: Field,
}

/// The search index of posts, on disk or in memory; one process writes it, others may read it.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    /// None when another process holds the index: this one only reads what that one commits.
    writer: Option<Mutex<IndexWriter>>,
    fields: Fields,
    query_analyzer: Mutex<TextAnalyzer>,
}

/// Short fields (title, company, tags): bigrams and each syllable, so one-syllable queries match them.
const TOKENIZER: &str = "ko";
/// The body: bigrams only (a one-syllable word standing alone is its own token). Syllables doubled the
/// body's tokens, halving the build rate, for matches inside longer words ("책" in "책임", "정책") that
/// are mostly noise; the labelled set scored the same or better without them (BENCHMARKS.md).
const BODY_TOKENIZER: &str = "ko_text";
/// Topics share the exact-match tag field, apart from feed categories by this prefix.
const TOPIC_PREFIX: &str = "\u{1}topic:";
/// How much a match in the title counts beside one in the body.
const TITLE_BOOST: f32 = 3.0;
const COMPANY_BOOST: f32 = 1.5;
/// A year-old post scores half of a new one with the same text match.
const RECENCY_HALF_LIFE_DAYS: f32 = 365.0;
/// By relevance, this many of the newest matches are ranked (the search page shows at most 1,000).
pub const CANDIDATES: usize = 1_000;
const WRITER_MEMORY: usize = 64 << 20;

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |stored: bool, tokenizer: &str| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        if stored { options.set_stored() } else { options }
    };
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        source: b.add_text_field("source", STRING | STORED),
        title: b.add_text_field("title", text(true, TOKENIZER)),
        body: b.add_text_field("body", text(true, BODY_TOKENIZER)),
        company: b.add_text_field("company", text(false, TOKENIZER)),
        tag: b.add_text_field("tag", STRING),
        tag_text: b.add_text_field("tag_text", text(false, TOKENIZER)),
        sort_at: b.add_i64_field("sort_at", INDEXED | FAST),
    };
    (b.build(), fields)
}

/// Each segment keeps its posts newest first, so a query reads its newest matches first (see `recent`).
fn settings() -> IndexSettings {
    IndexSettings {
        sort_by_field: Some(IndexSortByField { field: "sort_at".into(), order: Order::Desc }),
        ..IndexSettings::default()
    }
}

/// Merges wait for 16 segments of a size instead of tantivy's 8: on two cores, background merges took a
/// third of the build's time (18,300 against 23,400 posts/s at 100,000 posts, bench `search`), and queries
/// over the extra segments were no slower.
fn merge_policy() -> Box<tantivy::indexer::LogMergePolicy> {
    let mut policy = tantivy::indexer::LogMergePolicy::default();
    policy.set_min_num_segments(16);
    Box::new(policy)
}

fn analyzer(mode: Mode) -> TextAnalyzer {
    TextAnalyzer::builder(KoreanTokenizer::new(mode)).build()
}

impl SearchIndex {
    /// Opens the index in `dir` for writing, creating it when absent. [`SearchError::Locked`] when another
    /// process writes it.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::with(Self::open_dir(dir)?, true, &dir.display().to_string())
    }

    /// Opens the index in `dir` to read what the process writing it commits.
    pub fn open_read_only(dir: &Path) -> Result<Self> {
        Self::with(Self::open_dir(dir)?, false, &dir.display().to_string())
    }

    fn open_dir(dir: &Path) -> Result<Index> {
        std::fs::create_dir_all(dir)
            .map_err(|source| SearchError::Directory { path: dir.display().to_string(), source })?;
        let directory = tantivy::directory::MmapDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
        let other_version = || SearchError::OtherVersion(dir.display().to_string());
        let index = match Index::builder().schema(schema().0).settings(settings()).open_or_create(directory) {
            Ok(index) => index,
            Err(tantivy::TantivyError::SchemaError(_)) => return Err(other_version()),
            Err(e) => return Err(e.into()),
        };
        if index.schema() != schema().0 || index.settings().sort_by_field != settings().sort_by_field {
            return Err(other_version());
        }
        Ok(index)
    }

    /// An index in memory, for tests and benchmarks.
    pub fn in_memory() -> Result<Self> {
        Self::with(Index::builder().schema(schema().0).settings(settings()).create_in_ram()?, true, "in memory")
    }

    /// `place` names the index in errors: its directory.
    fn with(index: Index, write: bool, place: &str) -> Result<Self> {
        let (_, fields) = schema();
        index.tokenizers().register(TOKENIZER, analyzer(Mode::Index));
        index.tokenizers().register(BODY_TOKENIZER, analyzer(Mode::Query));
        let writer = if write {
            match index.writer(WRITER_MEMORY) {
                Ok(w) => {
                    w.set_merge_policy(merge_policy());
                    Some(Mutex::new(w))
                }
                Err(tantivy::TantivyError::LockFailure(..)) => {
                    return Err(SearchError::Locked(place.into()));
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            None
        };
        // The writing process reloads after each of its commits; a reader follows the other's commits.
        let policy = if write { ReloadPolicy::Manual } else { ReloadPolicy::OnCommitWithDelay };
        let reader = index.reader_builder().reload_policy(policy).try_into()?;
        Ok(Self { index, reader, writer, fields, query_analyzer: Mutex::new(analyzer(Mode::Query)) })
    }

    /// Whether this process writes the index (else it reads what the writing one commits).
    pub fn is_writable(&self) -> bool {
        self.writer.is_some()
    }

    /// The place in the store's change log the index has applied up to, as its last commit says (the
    /// store's cursor in its text form; "0" for a new index).
    pub fn applied(&self) -> Result<String> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.filter(|p| !p.is_empty()).unwrap_or_else(|| "0".into()))
    }

    /// Adds posts (replacing the indexed copy of any with the same id) and removes others, then commits with
    /// `applied` recorded, in one step: after a crash the index holds all of it or none, and knows which.
    pub fn apply(&self, upserts: &[IndexedPost], deletes: &[i64], applied: &str) -> Result<()> {
        self.stage(upserts, deletes)?;
        self.commit(applied)
    }

    /// Adds and removes posts without committing: a catch-up stages many pages of changes, then commits
    /// once (each commit makes new segments for the merges to join).
    pub fn stage(&self, upserts: &[IndexedPost], deletes: &[i64]) -> Result<()> {
        let f = &self.fields;
        let writer = self.writer.as_ref().ok_or(SearchError::ReadOnly)?.lock().unwrap_or_else(|e| e.into_inner());
        for id in deletes {
            writer.delete_term(Term::from_field_i64(f.id, *id));
        }
        for p in upserts {
            writer.delete_term(Term::from_field_i64(f.id, p.id));
            let mut d = doc!(
                f.id => p.id,
                f.source => p.source_id.clone(),
                f.title => p.title.clone(),
                f.body => p.body.clone(),
                f.company => p.company.clone(),
                f.sort_at => p.sort_at,
            );
            for t in &p.tags {
                d.add_text(f.tag, t.to_lowercase());
                d.add_text(f.tag_text, t);
            }
            for t in &p.topics {
                d.add_text(f.tag, format!("{TOPIC_PREFIX}{t}"));
            }
            writer.add_document(d)?;
        }
        Ok(())
    }

    /// Makes what was staged searchable, recording `applied` in the same commit.
    pub fn commit(&self, applied: &str) -> Result<()> {
        let mut writer = self.writer.as_ref().ok_or(SearchError::ReadOnly)?.lock().unwrap_or_else(|e| e.into_inner());
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(applied);
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Adds posts, keeping the applied place.
    pub fn upsert(&self, posts: &[IndexedPost]) -> Result<()> {
        self.apply(posts, &[], &self.applied()?)
    }

    /// Removes posts, keeping the applied place.
    pub fn delete(&self, ids: &[i64]) -> Result<()> {
        self.apply(&[], ids, &self.applied()?)
    }

    /// Empties the index, to rebuild it from the change log's start.
    pub fn clear(&self) -> Result<()> {
        let mut writer = self.writer.as_ref().ok_or(SearchError::ReadOnly)?.lock().unwrap_or_else(|e| e.into_inner());
        writer.delete_all_documents()?;
        let mut commit = writer.prepare_commit()?;
        commit.set_payload("0");
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Posts in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether the index holds no post.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits for the merges a build started, so what is measured next does not share the cores with them.
    pub fn wait_for_merges(self) -> Result<Self> {
        let Self { index, reader, writer, fields, query_analyzer } = self;
        let writer = match writer {
            Some(w) => {
                w.into_inner().unwrap_or_else(|e| e.into_inner()).wait_merging_threads()?;
                let w = index.writer(WRITER_MEMORY)?;
                w.set_merge_policy(merge_policy());
                Some(Mutex::new(w))
            }
            None => None,
        };
        reader.reload()?;
        Ok(Self { index, reader, writer, fields, query_analyzer })
    }

    /// Segments the index has now.
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Sees commits of the process that writes the index now, instead of after the reload delay.
    pub fn refresh(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    /// The query's terms for one word or phrase, as positions and terms of a field.
    fn terms_of(&self, text: &str, field: Field) -> Vec<(usize, Term)> {
        let mut analyzer = self.query_analyzer.lock().unwrap_or_else(|e| e.into_inner());
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.position, Term::from_field_text(field, &t.text)));
        }
        out
    }

    /// A word or phrase matched in any text field, the title counting most.
    /// A word (every one of its terms) or, `exact`, a phrase (its terms in order), in any text field, the
    /// title counting most. A word's bigrams are not checked for adjacency: reading positions made queries
    /// over 1,000,000 posts several times slower (p99 68 ms against the 20 ms target, bench `search`), and
    /// a post holding every bigram of a word but not the word is rare (the labelled set scored the same).
    fn clause(&self, text: &str, exact: bool) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost) in
            [(f.title, TITLE_BOOST), (f.body, 1.0), (f.company, COMPANY_BOOST), (f.tag_text, COMPANY_BOOST)]
        {
            let mut terms = self.terms_of(text, field);
            let query: Box<dyn Query> = match terms.len() {
                0 => return None,
                1 => Box::new(TermQuery::new(terms[0].1.clone(), IndexRecordOption::WithFreqs)),
                _ if exact => {
                    let first = terms[0].0;
                    Box::new(PhraseQuery::new_with_offset(terms.into_iter().map(|(p, t)| (p - first, t)).collect()))
                }
                _ => {
                    terms.sort_by(|a, b| a.1.cmp(&b.1));
                    terms.dedup_by(|a, b| a.1 == b.1);
                    let all = terms
                        .into_iter()
                        .map(|(_, t)| {
                            (Occur::Must, Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs)) as Box<dyn Query>)
                        })
                        .collect();
                    Box::new(BooleanQuery::new(all))
                }
            };
            per_field.push((Occur::Should, Box::new(BoostQuery::new(query, boost))));
        }
        Some(Box::new(BooleanQuery::new(per_field)))
    }

    fn query(&self, q: &SearchQuery) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut wanted = 0;
        for part in parse_query(&q.text) {
            let phrase = part.text.contains(char::is_whitespace);
            let clause = if part.exclude || phrase {
                self.clause(&part.text, phrase)
            } else {
                // The word as typed, its stem without a particle, or the stem's compound written with a
                // space: posts with the very form match more of them and rank first.
                let stem = crate::tokenizer::strip_particle(&part.text);
                let mut forms = vec![part.text.clone()];
                forms.extend(stem.map(String::from));
                forms.extend(crate::tokenizer::compound_splits(stem.unwrap_or(&part.text)));
                let mut alternatives: Vec<(Occur, Box<dyn Query>)> =
                    forms.iter().filter_map(|f| self.clause(f, false)).map(|c| (Occur::Should, c)).collect();
                match alternatives.len() {
                    0 => None,
                    1 => alternatives.pop().map(|(_, c)| c),
                    _ => Some(Box::new(BooleanQuery::new(alternatives)) as Box<dyn Query>),
                }
            };
            if let Some(c) = clause {
                if part.exclude {
                    clauses.push((Occur::MustNot, c));
                } else {
                    wanted += 1;
                    clauses.push((Occur::Must, c));
                }
            }
        }
        if wanted == 0 {
            return None;
        }
        if let Some(source) = &q.source_id {
            let term = Term::from_field_text(f.source, source);
            clauses.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
        }
        if let Some(tag) = &q.tag {
            let term = Term::from_field_text(f.tag, &tag.to_lowercase());
            clauses.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
        }
        if let Some(topic) = &q.topic {
            let term = Term::from_field_text(f.tag, &format!("{TOPIC_PREFIX}{topic}"));
            clauses.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
        }
        if q.since.is_some() || q.until.is_some() {
            let lower = q.since.map_or(Bound::Unbounded, |s| Bound::Included(Term::from_field_i64(f.sort_at, s)));
            let upper = q.until.map_or(Bound::Unbounded, |u| Bound::Excluded(Term::from_field_i64(f.sort_at, u)));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// One page of the posts that match `q`, with highlighted titles and snippets, and the count of all
    /// (up to [`COUNT_CAP`](crate::recent::COUNT_CAP)).
    ///
    /// Newest first reads the page off the date-sorted segments. By relevance, the newest
    /// [`CANDIDATES`] matches (or as many as the page needs) are ranked by BM25 weighed by recency: a match
    /// older than those would need several times their text score to rank among them (a year's age halves it),
    /// and reading them all made the first page's latency grow with the number of matches.
    pub fn search(&self, q: &SearchQuery) -> Result<Hits> {
        let Some(query) = self.query(q) else { return Ok(Hits::default()) };
        let searcher = self.reader.searcher();
        let limit = q.limit.clamp(1, 1000);
        let offset = q.offset.min(10_000);
        let relevance = q.sort == Sort::Relevance;
        let wanted = if relevance { (offset + limit).max(CANDIDATES) } else { offset + limit };
        let weight = query.weight(EnableScoring::enabled_from_searcher(&searcher))?;
        let newest = crate::recent::newest(&searcher, &*weight, wanted, relevance)?;
        let mut ranked = newest.matches;
        if relevance {
            let now = q.now;
            for m in &mut ranked {
                let age_days = ((now - m.sort_at).max(0) as f32) / 86_400.0;
                m.score *= 0.5f32.powf(age_days / RECENCY_HALF_LIFE_DAYS).max(0.25);
            }
            // Stable: equal scores stay newest first.
            ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        let addresses: Vec<(f32, DocAddress)> =
            ranked.into_iter().skip(offset).take(limit).map(|m| (m.score, m.address)).collect();
        let (total, more) = (newest.total, newest.more);
        let mut title_snippets = SnippetGenerator::create(&searcher, &*query, self.fields.title)?;
        title_snippets.set_max_num_chars(300);
        let mut body_snippets = SnippetGenerator::create(&searcher, &*query, self.fields.body)?;
        body_snippets.set_max_num_chars(160);
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let d: TantivyDocument = searcher.doc(address)?;
            let Some(id) = d.get_first(self.fields.id).and_then(|v| v.as_i64()) else { continue };
            let title = d.get_first(self.fields.title).and_then(|v| v.as_str()).unwrap_or("");
            let snippet = title_snippets.snippet_from_doc(&d);
            let title_html = whole_text_html(title.trim(), snippet.fragment_range().start, snippet.highlighted());
            hits.push(Hit { id, score, title_html, snippet_html: body_snippets.snippet_from_doc(&d).to_html() });
        }
        Ok(Hits { hits, total, more })
    }
}

/// The whole text, escaped, with the matches in `<b>`: a snippet's fragment ends at its last word, which
/// would drop a title's closing bracket or full stop. `highlighted` ranges are relative to the fragment
/// starting at byte `fragment_start`; a range that does not fit the text is left out.
fn whole_text_html(text: &str, fragment_start: usize, highlighted: &[std::ops::Range<usize>]) -> String {
    // Bigrams overlap ("시큐", "큐리", "리티"): one mark over each run of touching matches.
    let mut ranges: Vec<(usize, usize)> =
        highlighted.iter().map(|r| (fragment_start + r.start, fragment_start + r.end)).collect();
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for (start, end) in merged {
        if start < at
            || start >= end
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
            || end > text.len()
        {
            continue;
        }
        out.push_str(&escape_html(&text[at..start]));
        out.push_str("<b>");
        out.push_str(&escape_html(&text[start..end]));
        out.push_str("</b>");
        at = end;
    }
    out.push_str(&escape_html(&text[at..]));
    out
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
