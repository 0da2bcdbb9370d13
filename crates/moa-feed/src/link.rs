//! Links made absolute and canonical: resolved against the nearest base, tracking parameters removed,
//! default ports and fragments dropped, and only `http`/`https` kept.

use url::Url;

#[derive(Debug, PartialEq)]
pub enum LinkError {
    /// Not a URL even relative to the bases.
    Invalid,
    /// A scheme other than http(s), e.g. `javascript:` or `mailto:`.
    Scheme(String),
    /// A relative link with no base to resolve it against (no `xml:base`, feed link or document URL).
    NoBase,
}

/// Resolves `href` against the first base that makes it absolute and canonicalizes it.
pub fn resolve(href: &str, bases: &[Option<&Url>]) -> Result<Url, LinkError> {
    let href = href.trim();
    if href.is_empty() {
        return Err(LinkError::Invalid);
    }
    let url = match Url::parse(href) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) if bases.iter().all(Option::is_none) => {
            return Err(LinkError::NoBase);
        }
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            bases.iter().flatten().find_map(|b| b.join(href).ok()).ok_or(LinkError::Invalid)?
        }
        Err(_) => return Err(LinkError::Invalid),
    };
    canonicalize(url)
}

/// Query parameters that only say where a click came from.
fn is_tracking_param(name: &str, value: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid" | "gclid" | "dclid" | "gbraid" | "wbraid" | "msclkid" | "yclid" | "igshid" | "mc_cid" | "mc_eid"
                | "_hsenc" | "_hsmi" | "trackingcode" | "fromrss" | "ref_src" | "xtor" | "wt_mc" | "wt_zmc"
        )
        // Medium appends ?source=rss----<hash>---4 to every link of its feeds.
        || (n == "source" && value.starts_with("rss"))
}

pub fn canonicalize(mut url: Url) -> Result<Url, LinkError> {
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(LinkError::Scheme(other.to_string())),
    }
    // Google Alerts and search results wrap the article: `https://www.google.com/url?…&url=ARTICLE`.
    if matches!(url.host_str(), Some("www.google.com" | "google.com"))
        && url.path() == "/url"
        && let Some(target) = url.query_pairs().find(|(k, _)| k == "url" || k == "q").map(|(_, v)| v.into_owned())
        && let Ok(inner) = Url::parse(&target)
        && matches!(inner.scheme(), "http" | "https")
        && !matches!(inner.host_str(), Some("www.google.com" | "google.com"))
    {
        url = inner;
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(LinkError::Invalid);
    }
    // Fragments are dropped, except hash-bang routes of single-page blogs where the fragment is the page.
    if url.fragment().is_some_and(|f| !(f.starts_with('!') || f.starts_with('/'))) {
        url.set_fragment(None);
    }
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, v)| !is_tracking_param(k, v))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let before = url.query_pairs().count();
        if kept.len() != before {
            if kept.is_empty() {
                url.set_query(None);
            } else {
                url.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        resolve(s, &[]).map(|u| u.to_string()).unwrap_or_else(|e| format!("{e:?}"))
    }

    #[test]
    fn tracking_parameters_removed() {
        assert_eq!(canon("https://a.com/p?utm_source=rss&utm_medium=feed&id=3"), "https://a.com/p?id=3");
        assert_eq!(canon("https://a.com/p?fbclid=x&gclid=y"), "https://a.com/p");
        assert_eq!(
            canon("https://medium.com/daangn/post-abc123?source=rss----4505f82a2dbd---4"),
            "https://medium.com/daangn/post-abc123"
        );
        assert_eq!(canon("https://a.com/search?source=web"), "https://a.com/search?source=web");
        assert_eq!(canon("https://www.lemonde.fr/a.html?xtor=RSS-3208&p=1"), "https://www.lemonde.fr/a.html?p=1");
        assert_eq!(canon("https://a.com/p?gclid=1&dclid=2&msclkid=3"), "https://a.com/p");
        assert_eq!(
            canon("https://www.heise.de/a.html?wt_mc=rss.developer.beitrag.atom"),
            "https://www.heise.de/a.html"
        );
    }

    #[test]
    fn google_redirects_unwrapped() {
        assert_eq!(
            canon("https://www.google.com/url?rct=j&sa=t&url=https://investorplace.com/2019/07/slack/&ct=ga&cd=x"),
            "https://investorplace.com/2019/07/slack/"
        );
        assert_eq!(
            canon("https://www.google.com/url?q=javascript:alert(1)"),
            "https://www.google.com/url?q=javascript:alert(1)"
        );
        assert_eq!(canon("https://www.google.com/search?q=rust"), "https://www.google.com/search?q=rust");
    }

    #[test]
    fn default_ports_and_fragments_dropped() {
        assert_eq!(canon("https://a.com:443/p#comments"), "https://a.com/p");
        assert_eq!(canon("http://a.com:80/p"), "http://a.com/p");
        assert_eq!(canon("http://a.com:8080/p"), "http://a.com:8080/p");
        assert_eq!(canon("https://a.com/#/post/3"), "https://a.com/#/post/3");
    }

    #[test]
    fn only_http_schemes() {
        assert_eq!(canon("javascript:alert(1)"), "Scheme(\"javascript\")");
        assert_eq!(canon("mailto:a@b.c"), "Scheme(\"mailto\")");
    }

    #[test]
    fn relative_links_use_first_base() {
        let base = Url::parse("https://blog.example.com/posts/").ok();
        let doc = Url::parse("https://other.example.com/feed.xml").ok();
        assert_eq!(
            resolve("../a", &[None, base.as_ref(), doc.as_ref()]).map(|u| u.to_string()),
            Ok("https://blog.example.com/a".into())
        );
        assert_eq!(resolve("/a", &[]), Err(LinkError::NoBase));
        assert_eq!(resolve("/a", &[None, None]), Err(LinkError::NoBase));
    }
}
