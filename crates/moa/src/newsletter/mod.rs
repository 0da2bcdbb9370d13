//! The newsletter: the curator's scraps of the month (`curation`, over the store) and the Hugo post they
//! become: the post as moa holds it (`post`), written out (`render`) and read back (`import`), pure text in
//! and out.

pub mod curation;
mod import;
mod post;
mod render;

pub use import::*;
pub use post::*;
pub use render::*;
