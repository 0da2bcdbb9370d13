//! "인기": posts ranked by outbound clicks with time decay, the gravity formula of Hacker News and
//! GeekNews: `score = clicks / (age_hours + 2) ^ 1.8`. A post needs ever more clicks to stay up as it ages.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use moa_store::Post;

use crate::i18n::Ui;
use crate::web::card::{Card, card};
use crate::web::http::fnv1a;
use crate::web::http::internal_error;
use crate::web::page::{Head, PageCtx, html_page, not_found};
use crate::web::scope::PAGE_SIZE;
use crate::web::state::{AppState, client_address};

/// How fast age pulls a post down.
pub const GRAVITY: f64 = 1.8;
/// Posts older than this are not ranked.
pub const WINDOW_DAYS: i64 = 30;

pub fn score(clicks: i64, age_seconds: i64) -> f64 {
    let hours = age_seconds.max(0) as f64 / 3600.0;
    clicks as f64 / (hours + 2.0).powf(GRAVITY)
}

/// The posts, highest score first (ties: newer first).
pub fn rank(mut posts: Vec<Post>, now: i64) -> Vec<Post> {
    posts.sort_by(|a, b| {
        let (sa, sb) = (score(a.clicks, now - a.sort_at), score(b.clicks, now - b.sort_at));
        sb.total_cmp(&sa).then(b.sort_at.cmp(&a.sort_at))
    });
    posts
}

/// User-Agents of crawlers, link previewers and scripts: their visits are not readers' clicks.
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    ua.trim().is_empty()
        || [
            "bot",
            "crawler",
            "spider",
            "slurp",
            "facebookexternalhit",
            "embedly",
            "preview",
            "curl/",
            "wget/",
            "python-",
            "python/",
            "go-http-client",
            "okhttp",
            "java/",
            "libwww",
            "httpclient",
            "feedfetcher",
            "moa/",
        ]
        .iter()
        .any(|b| ua.contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gravity_lets_fresh_posts_overtake_old_ones() {
        const H: i64 = 3600;
        // 10 clicks two hours ago beat 100 clicks three days ago.
        assert!(score(10, 2 * H) > score(100, 72 * H));
        // Same age: more clicks win; same clicks: newer wins.
        assert!(score(5, 10 * H) > score(4, 10 * H));
        assert!(score(5, H) > score(5, 10 * H));
        assert_eq!(score(0, 0), 0.0);
        assert!((score(4, 2 * H) - 4.0 / 4f64.powf(1.8)).abs() < 1e-12);
    }

    #[test]
    fn bots_are_told_apart_from_browsers() {
        for bot in [
            "",
            "Googlebot/2.1",
            "Slackbot-LinkExpanding 1.0",
            "facebookexternalhit/1.1",
            "curl/8.5.0",
            "python-requests/2.31",
        ] {
            assert!(is_bot(bot), "{bot:?}");
        }
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1";
        assert!(!is_bot(chrome) && !is_bot(safari));
    }
}

/// A click is counted once per client in this window.
pub(crate) const CLICK_WINDOW_SECONDS: i64 = 30 * 60;
/// Candidates read for the popular list, most clicked first.
pub(crate) const POPULAR_CANDIDATES: u32 = 500;

/// An outbound link: counts the click (not for bots, once per client per window) and sends the reader on.
pub(crate) async fn go(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<i64>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
) -> Response {
    let post = match state.store.post(id).await {
        Ok(Some(p)) => p,
        Ok(None) => return not_found(ctx).await,
        Err(e) => return internal_error(e),
    };
    let Some(url) = post.url.filter(|u| u.starts_with("http://") || u.starts_with("https://")) else {
        return not_found(ctx).await;
    };
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !crate::web::popular::is_bot(user_agent) {
        let client = fnv1a(format!("{}\n{user_agent}", client_address(&state, &extensions, &headers)).as_bytes());
        if let Err(e) = state.store.record_click(id, &client, crate::now_unix(), CLICK_WINDOW_SECONDS).await {
            tracing::error!(post = id, error = %e, "could not count a click");
        }
    }
    let mut response = (StatusCode::FOUND, [(header::LOCATION, url)]).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(crate) async fn popular(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let now = crate::now_unix();
    let since = now - crate::web::popular::WINDOW_DAYS * 86_400;
    match state.store.clicked_posts(since, POPULAR_CANDIDATES).await {
        Ok(posts) => {
            let mut ranked = crate::web::popular::rank(posts, now);
            ranked.truncate(PAGE_SIZE as usize);
            let scrap_csrf = ctx.scrap_csrf();
            html_page(
                &PopularPage {
                    cards: ranked.into_iter().map(|p| card(p, now, &ctx.ui)).collect(),
                    empty_message: ctx.ui.t.empty_popular,
                    window_days: crate::web::popular::WINDOW_DAYS,
                    ui: ctx.ui,
                    head: ctx.head,
                    scrap_csrf: scrap_csrf.clone(),
                },
                scrap_csrf.is_some(),
            )
        }
        Err(e) => internal_error(e),
    }
}

#[derive(Template)]
#[template(path = "popular.html")]
pub(crate) struct PopularPage {
    ui: Ui,
    head: Head,
    scrap_csrf: Option<String>,
    cards: Vec<Card>,
    empty_message: &'static str,
    window_days: i64,
}
