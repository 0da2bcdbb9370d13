//! Where a blog's feed is, from its homepage: the feeds the page advertises (`<link rel="alternate">`), then
//! the rules of the platforms Korean tech blogs live on (Medium, Tistory, Naver blog, Velog, WordPress, Ghost,
//! Blogger), then the paths static-site generators and CMSs use. Pure: the caller fetches the page and tries
//! the candidates in order, keeping the first that parses as a feed (a soft 404 answers 200 with HTML).

use url::Url;

use crate::html::{decode_entities, start_tags};
use crate::page::alternate_feed_links;

/// Paths tried last, in this order: WordPress and most CMSs (`/feed`), Tistory and Ghost (`/rss`), then
/// the files of Hugo (`/index.xml`), Jekyll (`/feed.xml`), Hexo and Gatsby (`/atom.xml`, `/rss.xml`).
pub const WELL_KNOWN_PATHS: &[&str] = &["/feed", "/rss", "/rss.xml", "/atom.xml", "/index.xml", "/feed.xml"];

/// Where a candidate came from, for the operator's preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The page's `<link rel="alternate">`.
    Advertised,
    /// A platform's rule (the platform's name).
    Platform(&'static str),
    /// One of [`WELL_KNOWN_PATHS`].
    WellKnown,
}

/// A feed address worth trying, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The feed's address.
    pub url: Url,
    /// Where it came from.
    pub origin: Origin,
}

/// The platform a homepage is on, by its address, or by the page's `<meta name="generator">`.
pub fn platform(homepage: &Url, html: Option<&str>) -> Option<&'static str> {
    let host = homepage.host_str().unwrap_or("").to_ascii_lowercase();
    let by_host = [
        ("medium.com", "medium"),
        ("tistory.com", "tistory"),
        ("blog.naver.com", "naver"),
        ("velog.io", "velog"),
        ("wordpress.com", "wordpress"),
        ("blogspot.com", "blogger"),
        ("ghost.io", "ghost"),
    ];
    if let Some((_, name)) = by_host.iter().find(|(h, _)| host == *h || host.ends_with(&format!(".{h}"))) {
        return Some(name);
    }
    let generator = html.and_then(|h| {
        start_tags(h, "meta")
            .find(|a| a.iter().any(|(k, v)| k == "name" && v.eq_ignore_ascii_case("generator")))
            .and_then(|a| a.into_iter().find(|(k, _)| k == "content").map(|(_, v)| v.to_ascii_lowercase()))
    })?;
    if generator.starts_with("wordpress") {
        Some("wordpress")
    } else if generator.starts_with("ghost") {
        Some("ghost")
    } else {
        None
    }
}

/// The first path segment, e.g. `@user` of `medium.com/@user/post`.
fn first_segment(url: &Url) -> Option<String> {
    url.path_segments()?.find(|s| !s.is_empty()).map(String::from)
}

fn join(base: &Url, path: &str) -> Option<Url> {
    base.join(path).ok()
}

/// The feeds a platform's rule gives for a homepage.
fn platform_feeds(homepage: &Url, platform: &str) -> Vec<Url> {
    let origin = |path: &str| join(homepage, path);
    // Another host of the platform, reached the way the homepage is (scheme and port).
    let on_host = |host: &str, path: &str| {
        let mut url = homepage.clone();
        url.set_host(Some(host)).ok()?;
        url.set_path(path);
        url.set_query(None);
        url.set_fragment(None);
        Some(url)
    };
    let found = match platform {
        // medium.com/@user → medium.com/feed/@user; medium.com/publication → medium.com/feed/publication;
        // a publication on its own subdomain → /feed.
        "medium" => match (homepage.host_str(), first_segment(homepage)) {
            (Some("medium.com" | "www.medium.com"), Some(first)) => origin(&format!("/feed/{first}")),
            _ => origin("/feed"),
        },
        "tistory" => origin("/rss"),
        // blog.naver.com/ID, blog.naver.com/PostList.naver?blogId=ID, m.blog.naver.com/ID → rss.blog.naver.com/ID.xml
        "naver" => {
            let from_query =
                homepage.query_pairs().find(|(k, _)| k.eq_ignore_ascii_case("blogId")).map(|(_, v)| v.into_owned());
            from_query
                .or_else(|| first_segment(homepage).filter(|s| !s.contains('.')))
                .and_then(|id| on_host("rss.blog.naver.com", &format!("/{id}.xml")))
        }
        // velog.io/@user → v2.velog.io/rss/user
        "velog" => first_segment(homepage)
            .and_then(|s| s.strip_prefix('@').map(String::from))
            .and_then(|user| on_host("v2.velog.io", &format!("/rss/{user}"))),
        "wordpress" => origin("/feed/"),
        "ghost" => origin("/rss/"),
        "blogger" => origin("/feeds/posts/default"),
        _ => None,
    };
    found.into_iter().collect()
}

/// Every feed URL worth trying for a homepage, best first and each once: the page's advertised feeds
/// (resolved against the page and its `<base>`), the platform's, then the well-known paths.
pub fn candidates(homepage: &Url, html: Option<&str>) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut push = |url: Url, origin: Origin| {
        if !out.iter().any(|c| c.url == url) && matches!(url.scheme(), "http" | "https") {
            out.push(Candidate { url, origin });
        }
    };
    if let Some(html) = html {
        let base = start_tags(html, "base")
            .find_map(|a| a.into_iter().find(|(k, _)| k == "href").map(|(_, v)| v))
            .and_then(|href| homepage.join(&decode_entities(&href)).ok())
            .unwrap_or_else(|| homepage.clone());
        for href in alternate_feed_links(html) {
            if let Ok(url) = base.join(decode_entities(&href).trim()) {
                push(url, Origin::Advertised);
            }
        }
    }
    if let Some(name) = platform(homepage, html) {
        for url in platform_feeds(homepage, name) {
            push(url, Origin::Platform(name));
        }
    }
    for path in WELL_KNOWN_PATHS {
        if let Some(url) = join(homepage, path) {
            push(url, Origin::WellKnown);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(homepage: &str, html: Option<&str>) -> Vec<String> {
        candidates(&Url::parse(homepage).unwrap(), html).into_iter().map(|c| c.url.to_string()).collect()
    }

    fn first(homepage: &str, html: Option<&str>) -> (String, Origin) {
        let c = candidates(&Url::parse(homepage).unwrap(), html).remove(0);
        (c.url.to_string(), c.origin)
    }

    #[test]
    fn advertised_feeds_come_first_resolved_and_once() {
        let html = r#"<html><head>
            <link rel="alternate" type="application/rss+xml" href="/feed.xml">
            <link rel="alternate" type="application/atom+xml" href="https://blog.example.com/atom.xml">
            <link rel="alternate" type="application/rss+xml" href="/feed.xml">
            <link rel="stylesheet" href="/style.css"></head></html>"#;
        let got = urls("https://blog.example.com/", Some(html));
        assert_eq!(got[..2], ["https://blog.example.com/feed.xml", "https://blog.example.com/atom.xml"]);
        let based = r#"<base href="https://cdn.example.com/blog/"><link rel="alternate" type="application/rss+xml" href="rss?a=1&amp;b=2">"#;
        assert_eq!(urls("https://blog.example.com/", Some(based))[0], "https://cdn.example.com/blog/rss?a=1&b=2");
        assert_eq!(got.iter().filter(|u| u.ends_with("/feed.xml")).count(), 1, "each once: {got:?}");
        assert!(got.iter().all(|u| !u.ends_with(".css")));
    }

    #[test]
    fn platform_rules() {
        let rule = |home: &str| {
            let c = candidates(&Url::parse(home).unwrap(), None);
            let p = c.into_iter().find(|c| matches!(c.origin, Origin::Platform(_))).unwrap();
            (p.url.to_string(), p.origin)
        };
        assert_eq!(
            rule("https://medium.com/@daangn"),
            ("https://medium.com/feed/@daangn".into(), Origin::Platform("medium"))
        );
        assert_eq!(
            rule("https://medium.com/daangn/"),
            ("https://medium.com/feed/daangn".into(), Origin::Platform("medium"))
        );
        assert_eq!(
            rule("https://team.medium.com/"),
            ("https://team.medium.com/feed".into(), Origin::Platform("medium"))
        );
        assert_eq!(
            rule("https://mike3dk.tistory.com/"),
            ("https://mike3dk.tistory.com/rss".into(), Origin::Platform("tistory"))
        );
        assert_eq!(
            rule("https://blog.naver.com/mike3dk"),
            ("https://rss.blog.naver.com/mike3dk.xml".into(), Origin::Platform("naver"))
        );
        assert_eq!(
            rule("https://blog.naver.com/PostList.naver?blogId=mike3dk&tab=1"),
            ("https://rss.blog.naver.com/mike3dk.xml".into(), Origin::Platform("naver"))
        );
        assert_eq!(rule("https://m.blog.naver.com/mike3dk").0, "https://rss.blog.naver.com/mike3dk.xml");
        assert_eq!(
            rule("https://velog.io/@teo/posts"),
            ("https://v2.velog.io/rss/teo".into(), Origin::Platform("velog"))
        );
        assert_eq!(
            rule("https://mike7dk.wordpress.com"),
            ("https://mike7dk.wordpress.com/feed/".into(), Origin::Platform("wordpress"))
        );
        assert_eq!(
            rule("https://x.blogspot.com/"),
            ("https://x.blogspot.com/feeds/posts/default".into(), Origin::Platform("blogger"))
        );
    }

    #[test]
    fn self_hosted_wordpress_and_ghost_by_their_generator() {
        let wp = r#"<meta name="generator" content="WordPress 6.4.2">"#;
        let ghost = r#"<meta content="Ghost 5.0" name="generator">"#;
        assert_eq!(
            first("https://tech.example.kr/", Some(wp)),
            ("https://tech.example.kr/feed/".into(), Origin::Platform("wordpress"))
        );
        assert_eq!(
            first("https://tech.example.kr/blog/", Some(ghost)),
            ("https://tech.example.kr/rss/".into(), Origin::Platform("ghost"))
        );
        assert_eq!(
            platform(&Url::parse("https://tech.example.kr/").unwrap(), Some("<meta name=generator content=Hugo>")),
            None
        );
    }

    #[test]
    fn well_known_paths_last_and_only_http() {
        let got = urls("https://engineering.example.com/blog", None);
        let paths: Vec<&str> = WELL_KNOWN_PATHS.to_vec();
        assert_eq!(got.len(), paths.len());
        assert_eq!(got[0], "https://engineering.example.com/feed");
        assert_eq!(got[4], "https://engineering.example.com/index.xml");
        let html = r#"<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">"#;
        assert!(urls("https://a.example/", Some(html)).iter().all(|u| u.starts_with("https://")));
    }
}
