//! The home page's company list (its picker), kept between reads while the store says it is unchanged.
//!
//! Every source has a `revision` that its triggers raise whenever what the list shows of it changes, and
//! the store an `epoch` raised whenever a source is added or deleted (migration 14). The list's read sends
//! the key of the list it holds and gets the list back only when the key differs. The key comes from the
//! same statement, so from the same snapshot as the list it names: several processes on one PostgreSQL
//! database each keep their own list and never show one older than the posts beside it.

use std::sync::{Arc, Mutex, PoisonError};

use crate::Company;

/// What a list was read under: the store's epoch and the sum of its sources' revisions.
pub(crate) type PickerKey = (i64, i64);

/// The last list read, with its key.
#[derive(Default)]
pub(crate) struct PickerCache(Mutex<Option<(PickerKey, Arc<[Company]>)>>);

impl PickerCache {
    /// The list held and its key (a key no store has when none is).
    pub(crate) fn held(&self) -> (PickerKey, Arc<[Company]>) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone().unwrap_or(((-1, -1), Arc::from([])))
    }

    /// Keeps a list read under `key`.
    pub(crate) fn keep(&self, key: PickerKey, companies: Vec<Company>) -> Arc<[Company]> {
        let companies: Arc<[Company]> = companies.into();
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((key, companies.clone()));
        companies
    }
}
