//! moa's Korean full-text search: a Hangul-aware tokenizer, a tantivy index of posts and a topic tagger.
//! No I/O beyond the index's own directory; the application feeds it from the store.

pub mod index;
pub mod tokenizer;
pub mod topics;

pub use index::{Hit, Hits, IndexedPost, SearchError, SearchIndex, SearchQuery, Sort};
