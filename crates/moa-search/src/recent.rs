//! The newest matches of a query, read in date order: the index keeps each segment's posts newest first
//! (sorted by `sort_at`), so walking the segments' matches merged by date reaches the newest N after N steps,
//! whatever the number of matches. Counting stops at [`COUNT_CAP`].
//!
//! Why: tantivy's collectors visit every match, and at 1,000,000 posts a common word matches 50,000–90,000
//! of them: the first page's latency grew with the hits (bench `search`, BENCHMARKS.md).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::columnar::ColumnValues;
use tantivy::fastfield::AliveBitSet;
use tantivy::query::{Scorer, Weight};
use tantivy::{DocAddress, DocId, Score, Searcher, TERMINATED};

/// Matches are counted up to this many; past it the count says "at least".
pub const COUNT_CAP: usize = 10_000;

/// A match, with what ranking it needs.
pub(crate) struct Match {
    pub address: DocAddress,
    pub sort_at: i64,
    /// BM25 with the boosts; 0 when not scored.
    pub score: Score,
}

/// What [`newest`] found.
pub(crate) struct Newest {
    /// At most the number asked for, newest first.
    pub matches: Vec<Match>,
    /// Every match counted, up to [`COUNT_CAP`].
    pub total: usize,
    /// More matches exist than `total` says.
    pub more: bool,
}

/// A segment's matches, at its current one.
struct Cursor {
    scorer: Box<dyn Scorer>,
    sort_at: Arc<dyn ColumnValues<i64>>,
    alive: Option<AliveBitSet>,
    segment: u32,
}

impl Cursor {
    /// The current match, or the next one not deleted.
    fn settle(&mut self) -> DocId {
        let mut doc = self.scorer.doc();
        while doc != TERMINATED && self.alive.as_ref().is_some_and(|a| a.is_deleted(doc)) {
            doc = self.scorer.advance();
        }
        doc
    }

    fn advance(&mut self) -> DocId {
        self.scorer.advance();
        self.settle()
    }
}

/// A cursor's current match in the merge: the newest date first, then the lower segment and document.
#[derive(PartialEq, Eq)]
struct Head {
    sort_at: i64,
    cursor: usize,
    doc: DocId,
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_at
            .cmp(&other.sort_at)
            .then_with(|| other.cursor.cmp(&self.cursor))
            .then_with(|| other.doc.cmp(&self.doc))
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The `wanted` newest matches of `weight` (scored when `scored`), and the count of all, up to the cap.
pub(crate) fn newest(searcher: &Searcher, weight: &dyn Weight, wanted: usize, scored: bool) -> tantivy::Result<Newest> {
    let mut cursors = Vec::new();
    let mut heads = BinaryHeap::new();
    for (segment, reader) in searcher.segment_readers().iter().enumerate() {
        let mut cursor = Cursor {
            scorer: weight.scorer(reader, 1.0)?,
            sort_at: reader.fast_fields().i64("sort_at")?.first_or_default_col(i64::MIN),
            alive: reader.alive_bitset().cloned(),
            segment: segment as u32,
        };
        let doc = cursor.settle();
        if doc != TERMINATED {
            heads.push(Head { sort_at: cursor.sort_at.get_val(doc), cursor: cursors.len(), doc });
            cursors.push(cursor);
        }
    }
    let mut matches = Vec::with_capacity(wanted.min(COUNT_CAP));
    while matches.len() < wanted {
        let Some(head) = heads.pop() else { break };
        let cursor = &mut cursors[head.cursor];
        let score = if scored { cursor.scorer.score() } else { 0.0 };
        matches.push(Match { address: DocAddress::new(cursor.segment, head.doc), sort_at: head.sort_at, score });
        let doc = cursor.advance();
        if doc != TERMINATED {
            heads.push(Head { sort_at: cursor.sort_at.get_val(doc), cursor: head.cursor, doc });
        }
    }
    // The rest are only counted, in any order: each cursor left stands on a match not taken.
    let mut total = matches.len();
    let mut more = false;
    for head in heads {
        let cursor = &mut cursors[head.cursor];
        let mut doc = head.doc;
        while doc != TERMINATED {
            if total >= COUNT_CAP {
                more = true;
                break;
            }
            total += 1;
            doc = cursor.advance();
        }
    }
    Ok(Newest { matches, total, more })
}
