//! Accounts: users, their sessions, and the audit log of what they did.

use serde::Serialize;

/// A moa account: curators keep scraps and the newsletter; operators also run sources, users, settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The name signed in with.
    pub name: String,
    /// `curator` or `operator`.
    pub role: String,
    /// When the account was created.
    pub created_at: i64,
}

/// A signed-in curator's session, stored by the hash of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The hash of the session cookie's token.
    pub token_hash: String,
    /// Who is signed in.
    pub user_name: String,
    /// The token the curator's forms must carry.
    pub csrf: String,
    /// When it began.
    pub created_at: i64,
    /// When it ends.
    pub expires_at: i64,
    /// The user's role when the session was read (ignored when one is created).
    pub role: String,
}

/// One operator action, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// The entry's id, growing.
    pub id: i64,
    /// When it happened.
    pub at: i64,
    /// Who did it.
    pub user_name: String,
    /// What was done (`source.add`, `source.edit`…).
    pub action: String,
    /// To what (a source's id, a user's name…).
    pub target: String,
    /// More about it, free text.
    pub detail: String,
}
