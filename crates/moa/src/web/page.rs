//! A page as every handler makes it: the reader's language, this site's address, the signed-in curator
//! ([`PageCtx`]), rendering a template, and the pages that only say something (errors, not found).

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::i18n::Ui;
use crate::web::http::internal_error;
use crate::web::state::{AppState, base_url};

/// What every page needs besides its content: the reader's language, this site's address, and the
/// page's canonical and other-language addresses.
pub struct PageCtx {
    pub ui: Ui,
    pub base: String,
    pub head: Head,
    /// The signed-in curator, when the request carries a session.
    pub curator: Option<crate::web::session::Curator>,
}

impl PageCtx {
    /// The CSRF token cards' scrap buttons carry, for a signed-in curator.
    pub(crate) fn scrap_csrf(&self) -> Option<String> {
        self.curator.as_ref().map(|c| c.csrf.clone())
    }
}

pub struct Head {
    /// Absolute under `public_url`; without it a path, since the `Host` a request names is the client's
    /// word, not this site's address.
    pub canonical: String,
    /// Whether `canonical` is absolute (og:url must be).
    pub absolute: bool,
    pub switch_href: String,
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let pairs: Vec<(String, String)> = parts
            .uri
            .query()
            .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let lang = pairs.iter().find(|(k, _)| k == "lang").map(|(_, v)| v.as_str());
        let ui = crate::i18n::negotiate(lang, &parts.headers);
        let base = base_url(state, &parts.headers);
        let with_lang = |lang: Option<&str>| {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs.iter().filter(|(k, _)| k != "lang") {
                q.append_pair(k, v);
            }
            if let Some(lang) = lang {
                q.append_pair("lang", lang);
            }
            let q = q.finish();
            if q.is_empty() { parts.uri.path().to_string() } else { format!("{}?{q}", parts.uri.path()) }
        };
        let canonical_lang = (ui.lang == crate::i18n::Lang::En).then_some("en");
        let site = state.public_url.as_ref().map_or("", |u| u.as_str().trim_end_matches('/'));
        let head = Head {
            canonical: format!("{site}{}", with_lang(canonical_lang)),
            absolute: !site.is_empty(),
            // A page answering a form (an error, a confirmation) has a POST-only address: its other language is
            // offered on the page that form came from.
            switch_href: if matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD) {
                with_lang(Some(ui.other_lang))
            } else {
                format!("{}?lang={}", form_home(parts.uri.path()), ui.other_lang)
            },
        };
        let curator = crate::web::session::curator_of(state, &parts.headers).await;
        Ok(Self { ui, base, head, curator })
    }
}

/// Where a form posted to `path` lives.
fn form_home(path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["admin", "sources"] | ["admin", "sources", "discover" | "scrape-preview"] => "/admin/sources/new".into(),
        ["admin", "sources", id, ..] => format!("/admin/sources/{id}"),
        ["admin", "users", ..] => "/admin/users".into(),
        ["admin", ..] => "/admin/sources".into(),
        ["curate", ..] => "/curate".into(),
        ["login"] => "/login".into(),
        _ => "/".into(),
    }
}

/// A rendered page; its language follows `Accept-Language`, which caches must know. A page made for a
/// signed-in curator (it carries their CSRF token) is kept by no cache.
pub(crate) fn html_page(page: &impl Template, private: bool) -> Response {
    match page.render() {
        Ok(html) => {
            let mut r = ([(header::VARY, "Accept-Language")], Html(html)).into_response();
            if private {
                r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            }
            r
        }
        Err(e) => internal_error(e),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    ui: Ui,
    head: Head,
    title: &'static str,
    message: &'static str,
}

pub(crate) fn page_error(ctx: PageCtx, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "page failed");
    message(ctx, StatusCode::INTERNAL_SERVER_ERROR, |t| (t.error, t.error_message))
}

/// A page that only says something: a title and a sentence, taken from the page's language.
pub(crate) fn message(
    ctx: PageCtx,
    status: StatusCode,
    text: impl Fn(&'static crate::i18n::Text) -> (&'static str, &'static str),
) -> Response {
    let (title, message) = text(ctx.ui.t);
    message_page(ctx, status, title, message)
}

/// A page that only says something, in words the caller chose from the page's language.
pub(crate) fn message_page(ctx: PageCtx, status: StatusCode, title: &'static str, message: &'static str) -> Response {
    let private = ctx.curator.is_some();
    let mut response = html_page(&MessagePage { ui: ctx.ui, head: ctx.head, title, message }, private);
    *response.status_mut() = status;
    response
}

pub(crate) async fn not_found(ctx: PageCtx) -> Response {
    message(ctx, StatusCode::NOT_FOUND, |t| (t.not_found, t.not_found_message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_answering_a_form_offers_its_other_language_where_the_form_lives() {
        assert_eq!(form_home("/admin/sources/discover"), "/admin/sources/new");
        assert_eq!(form_home("/admin/sources"), "/admin/sources/new");
        assert_eq!(form_home("/admin/sources/abc/delete"), "/admin/sources/abc");
        assert_eq!(form_home("/admin/opml"), "/admin/sources");
        assert_eq!(form_home("/admin/users/kim/role"), "/admin/users");
        assert_eq!(form_home("/curate/2026-12/scraps"), "/curate");
        assert_eq!(form_home("/login"), "/login");
    }
}
