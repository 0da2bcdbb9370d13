//! The SQL both backends run, written once. This folder is compiled twice, into `sqlite` and into
//! `postgres` (each declares `#[path = "../sql/mod.rs"] mod sql;`).
//!
//! This file only declares the modules and hands them, re-exported under the same names in both backends,
//! what the backend gives: from its `store`, `Backend` (its store type, with `reader()` and `writer()`,
//! its pools, and `changed()`, after a commit) and `Db` (its sqlx database); from its `dialect`, what its
//! SQL says otherwise: `fragment!(now)`, `fragment!(in_list "$2")`… to `concat!` into a statement, and a
//! few constants and functions; and from its `statements`, what the two backends do in different
//! statements. The modules form layers, each naming only those below it:
//!
//! 1. the backend's `store` and `dialect`, which name nothing of the backend;
//! 2. `types` (the backend's connection, row and statement types), then `rows` (reading rows into the
//!    model), `builders` (statements built for many rows or ids), `lists` (a list's statement) and
//!    `migrate`;
//! 3. the backend's `statements`, which use those;
//! 4. a module per trait the backends agree on (`sources`, `crawl`, `posts`, …), which use everything
//!    below (`posts` deletes with `crawl`'s `delete_with_tombstones`);
//! 5. the backend's `mod.rs`: opening, migrating, [`Operations`](crate::Operations).
//!
//! Placeholders are `$N`, which sqlx-sqlite binds by number as PostgreSQL does. Casts are `CAST(x AS T)`:
//! SQLite reads `$1::text` as a parameter named `$1::text`. Flags are `TRUE` and `FALSE` (1 and 0 to
//! SQLite), and null-safe equality is `IS NOT DISTINCT FROM` (SQLite's `IS`).

mod accounts;
mod audit;
pub(crate) mod builders;
mod clicks;
mod crawl;
mod curation;
pub(crate) mod lists;
pub(crate) mod migrate;
mod posts;
pub(crate) mod rows;
mod sources;
pub(crate) mod types;

pub(crate) use super::dialect::{HAS_CATEGORY, HAS_TOPIC, MIGRATIONS_TABLE, fragment, list, push_in_list, unstorable};
pub(crate) use super::statements::{
    claim, find_twins, list_page, list_posts, lock_registry, lock_scraps, save_password, set_topics, sign_in_failed,
    stored_entries, write_fetch, write_posts,
};
pub(crate) use super::store::{Backend, Db};
