//! The newsletter: the curator's scraps of the month (`curation`, over the store) and the Hugo post they
//! become (`format`, pure text in and out).

pub mod curation;
mod format;

pub use format::*;
