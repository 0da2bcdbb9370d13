//! moa's Korean full-text search: a Hangul-aware tokenizer and a tantivy index of posts. No I/O beyond the
//! index's own directory; the application feeds it from the store.

pub mod index;
pub mod tokenizer;

pub use index::{Hit, IndexedPost, SearchError, SearchIndex, SearchQuery, Sort};
