//! Links made absolute and canonical: resolved against the nearest base, tracking parameters removed,
//! default ports and fragments dropped, and only `http`/`https` kept.

use url::Url;

#[derive(Debug, PartialEq)]
pub(crate) enum LinkError {
    /// Not a URL even relative to the bases.
    Invalid,
    /// A scheme other than http(s), e.g. `javascript:` or `mailto:`.
    Scheme(String),
    /// A relative link with no base to resolve it against (no `xml:base`, feed link or document URL).
    NoBase,
}

/// Resolves `href` against the first base that makes it absolute and canonicalizes it.
pub(crate) fn resolve(href: &str, bases: &[Option<&Url>]) -> Result<Url, LinkError> {
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

/// [`resolve`] as the canonical string. A link already written in canonical form — absolute, http(s), a
/// lowercase ASCII host without port or credentials, a path of URL-safe characters without dot segments,
/// no query, no fragment — is checked and kept as it is written, which is byte for byte what parsing and
/// serializing it gives (a test holds the two to each other): parsing every entry's link and picture was
/// a tenth of all normalizing.
pub(crate) fn resolve_string(href: &str, bases: &[Option<&Url>]) -> Result<String, LinkError> {
    let href = href.trim();
    if let Some(authority_end) = plain_absolute(href) {
        let mut out = String::with_capacity(href.len() + 1);
        out.push_str(href);
        if authority_end == href.len() {
            // `https://a.com` serializes with its root path.
            out.push('/');
        }
        return Ok(out);
    }
    resolve(href, bases).map(String::from)
}

/// Bytes a path keeps as they are when parsed: unreserved characters, sub-delimiters, `:`, `@` and `/`.
static PATH_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/')
            || matches!(
                b as u8,
                b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@'
            );
        b += 1;
    }
    table
};

/// Where the authority of a link in canonical form ends, or `None` when the link may change on parsing.
fn plain_absolute(href: &str) -> Option<usize> {
    let scheme_len = if href.starts_with("https://") {
        8
    } else if href.starts_with("http://") {
        7
    } else {
        return None;
    };
    let bytes = href.as_bytes();
    let authority_end =
        scheme_len + bytes[scheme_len..].iter().position(|b| *b == b'/').unwrap_or(bytes.len() - scheme_len);
    let host = &bytes[scheme_len..authority_end];
    let host_ok = host.len() > 2
        && host.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'))
        && host[0].is_ascii_alphanumeric()
        && host[host.len() - 1].is_ascii_alphanumeric()
        && !host.windows(2).any(|w| w == b"..")
        // A last label of digits would be read as an IPv4 address (`0x7f.1`), which parsing rewrites.
        && host.rsplit(|b| *b == b'.').next().is_some_and(|label| label.iter().any(u8::is_ascii_lowercase))
        // Google's redirect links are unwrapped by `canonicalize`.
        && !host.ends_with(b"google.com");
    if !host_ok {
        return None;
    }
    let path = &bytes[authority_end..];
    let mut i = 0;
    while i < path.len() {
        let b = path[i];
        if PATH_BYTES[usize::from(b)] {
            i += 1;
        } else if b == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            // `%2e` is a dot, which parsing reads as a dot segment.
            if !hex.iter().all(u8::is_ascii_hexdigit) || hex.eq_ignore_ascii_case(b"2e") {
                return None;
            }
            i += 3;
        } else {
            return None;
        }
    }
    let dot_segment = path.split(|b| *b == b'/').any(|segment| segment == b"." || segment == b"..");
    (!dot_segment).then_some(authority_end)
}

/// The host (port and credentials aside) and the path of a canonical URL string.
pub(crate) fn host_and_path(canonical: &str) -> (&str, &str) {
    let rest = canonical.split_once("://").map_or(canonical, |(_, rest)| rest);
    let (authority, tail) = rest.split_at(memchr::memchr3(b'/', b'?', b'#', rest.as_bytes()).unwrap_or(rest.len()));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // `[::1]:8080` keeps its brackets; `a.com:8080` loses its port.
    let host = match host.find(']') {
        Some(end) if host.starts_with('[') => &host[..=end],
        _ => host.split(':').next().unwrap_or(host),
    };
    let path = &tail[..memchr::memchr2(b'?', b'#', tail.as_bytes()).unwrap_or(tail.len())];
    (host, path)
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

fn canonicalize(mut url: Url) -> Result<Url, LinkError> {
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

    #[test]
    fn a_plain_link_kept_as_written_is_what_parsing_gives() {
        let base = Url::parse("https://blog.example.com/feed/").ok();
        let samples = [
            "https://a.com",
            "https://a.com/",
            "http://tech.kakao.com/2024/01/02/k8s/",
            "https://blog.example.com/posts/%EC%BF%A0%EB%B2%84%EB%84%A4%ED%8B%B0%EC%8A%A4/",
            "https://a.com/p/a(b)c,d;e=f:g@h!$&'*+~_-.html",
            "https://a.com//double//slash",
            "https://a.com/%7euser/%41",
            "https://a.com/a/./b",
            "https://a.com/a/../b",
            "https://a.com/a/%2e%2E/b",
            "https://a.com/a/%zz",
            "https://A.com/x",
            "https://a.com:443/x",
            "https://user@a.com/x",
            "https://1.2.3.4/x",
            "https://0x7f.1/x",
            "https://a.com/x?utm_source=rss",
            "https://a.com/x#top",
            "https://a.com/sp ace",
            "https://a.com/한글",
            "https://www.google.com/url",
            "HTTPS://a.com/x",
            "/relative/path",
            "https://a.com\\x",
        ];
        for href in samples {
            let fast = resolve_string(href, &[base.as_ref()]);
            let slow = resolve(href, &[base.as_ref()]).map(String::from);
            assert_eq!(fast, slow, "{href}");
        }
        assert!(plain_absolute("https://tech.kakao.com/2024/01/k8s/").is_some(), "the common case takes the fast path");
        assert_eq!(host_and_path("https://a.com:8080/x/y?q=1#f"), ("a.com", "/x/y"));
        assert_eq!(host_and_path("http://[::1]:8080/"), ("[::1]", "/"));
        assert_eq!(host_and_path("https://u:p@a.com"), ("a.com", ""));
    }

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
