//! The list of blogs moa gathers: built in (`registry/blogs.csv`, embedded in the binary) or the
//! operator's own file, a CSV with the same columns or an OPML export of a feed reader.

use std::collections::HashSet;
use std::path::Path;

use moa_store::SourceSpec;

const BUILTIN_CSV: &str = include_str!("../../registry/blogs.csv");

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: line {line}: {message}")]
    Invalid { path: String, line: u64, message: String },
    #[error("{path}: {message}")]
    Format { path: String, message: String },
}

/// The built-in registry of Korean tech blogs.
pub fn builtin() -> Vec<SourceSpec> {
    // The embedded file is checked by a test; a failure here is a build defect, not bad input.
    parse_csv(BUILTIN_CSV, "built-in registry").unwrap_or_default()
}

/// Reads an operator's registry file: OPML when it is XML, else CSV.
pub fn load(path: &Path) -> Result<Vec<SourceSpec>, RegistryError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read { path: name.clone(), source })?;
    if text.trim_start().starts_with('<') { from_opml(&text, &name) } else { parse_csv(&text, &name) }
}

fn parse_csv(text: &str, path: &str) -> Result<Vec<SourceSpec>, RegistryError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers =
        reader.headers().map_err(|e| RegistryError::Format { path: path.into(), message: e.to_string() })?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let required = ["id", "name_ko", "name_en", "homepage", "feed_url"];
    let mut idx = Vec::new();
    for name in required {
        idx.push(column(name).ok_or_else(|| RegistryError::Format {
            path: path.into(),
            message: format!("missing column {name:?} (need {})", required.join(", ")),
        })?);
    }
    let platform = column("platform");
    let user_agent = column("user_agent");
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| RegistryError::Format { path: path.into(), message: e.to_string() })?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |i: usize| record.get(i).unwrap_or("").to_string();
        let spec = SourceSpec {
            id: get(idx[0]),
            name_ko: get(idx[1]),
            name_en: get(idx[2]),
            homepage: get(idx[3]),
            feed_url: get(idx[4]),
            platform: platform.map(get).unwrap_or_default(),
            user_agent: user_agent.map(get).filter(|ua| !ua.is_empty()),
        };
        let invalid = |message: String| RegistryError::Invalid { path: path.into(), line, message };
        if spec.id.is_empty() || !spec.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(invalid(format!("id {:?} must be letters, digits, '-' or '_'", spec.id)));
        }
        if !seen.insert(spec.id.clone()) {
            return Err(invalid(format!("duplicate id {:?}", spec.id)));
        }
        check_url(&spec.feed_url).map_err(|m| invalid(format!("feed_url: {m}")))?;
        if spec.name_ko.is_empty() && spec.name_en.is_empty() {
            return Err(invalid("a name (name_ko or name_en) is required".into()));
        }
        out.push(checked(fill_names(spec)).map_err(invalid)?);
    }
    Ok(out)
}

fn fill_names(mut s: SourceSpec) -> SourceSpec {
    if s.name_ko.is_empty() {
        s.name_ko = s.name_en.clone();
    }
    if s.name_en.is_empty() {
        s.name_en = s.name_ko.clone();
    }
    s
}

/// A source as moa stores it, whichever way it came: names on one line without bidirectional controls
/// (a name must not read backwards on every page), and a homepage that is an http(s) address (it is
/// republished as a link in pages, OPML and the API) or, when none is given, the feed's site.
pub fn checked(mut spec: SourceSpec) -> Result<SourceSpec, String> {
    spec.name_ko = moa_feed::one_line(&spec.name_ko);
    spec.name_en = moa_feed::one_line(&spec.name_en);
    if spec.name_ko.is_empty() && spec.name_en.is_empty() {
        return Err("a name (name_ko or name_en) is required".into());
    }
    let mut spec = fill_names(spec);
    if spec.homepage.trim().is_empty() {
        spec.homepage = site_of(&spec.feed_url);
    } else {
        check_url(spec.homepage.trim()).map_err(|m| format!("homepage: {m}"))?;
        spec.homepage = spec.homepage.trim().to_string();
    }
    Ok(spec)
}

/// A feed address as compared to tell one feed from another: http and https alike, the host in lower
/// case, no default port, no fragment, no trailing slash.
pub fn feed_key(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(u) => {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let query = u.query().map(|q| format!("?{q}")).unwrap_or_default();
            format!(
                "{}{port}{}{query}",
                u.host_str().unwrap_or("").to_ascii_lowercase(),
                u.path().trim_end_matches('/')
            )
        }
        Err(_) => url.trim().to_string(),
    }
}

/// The source that already reads one of these feed addresses (its URL, or where it moved to), if any.
pub async fn source_with_feed(store: &dyn moa_store::Store, urls: &[&str]) -> moa_store::Result<Option<String>> {
    let wanted: HashSet<String> = urls.iter().map(|u| feed_key(u)).collect();
    Ok(store
        .sources()
        .await?
        .into_iter()
        .filter(|s| s.origin != "removed")
        .find(|s| std::iter::once(&s.spec.feed_url).chain(s.moved_to.as_ref()).any(|u| wanted.contains(&feed_key(u))))
        .map(|s| s.spec.id))
}

/// `scheme://host[:port]/` of a URL.
fn site_of(url: &str) -> String {
    url::Url::parse(url).map(|u| u.origin().ascii_serialization() + "/").unwrap_or_default()
}

fn check_url(u: &str) -> Result<(), String> {
    let url = url::Url::parse(u).map_err(|e| format!("{u:?} is not a URL ({e})"))?;
    match url.scheme() {
        "http" | "https" => Ok(()),
        s => Err(format!("{u:?} has scheme {s}; only http and https are fetched")),
    }
}

pub fn from_opml(text: &str, path: &str) -> Result<Vec<SourceSpec>, RegistryError> {
    let outlines =
        moa_feed::parse_opml(text).map_err(|e| RegistryError::Format { path: path.into(), message: e.to_string() })?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for o in outlines {
        if check_url(&o.xml_url).is_err() {
            continue;
        }
        let base = slug(&o.xml_url);
        let mut id = base.clone();
        let mut n = 2;
        while !seen.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        // An htmlUrl that is no http(s) address gives way to the feed's site.
        let homepage = o.html_url.clone().filter(|h| check_url(h).is_ok()).unwrap_or_else(|| site_of(&o.xml_url));
        let spec = checked(SourceSpec {
            id,
            name_ko: o.title.clone(),
            name_en: o.title,
            homepage,
            feed_url: o.xml_url,
            platform: String::new(),
            user_agent: None,
        });
        if let Ok(spec) = spec {
            out.push(spec);
        }
    }
    if out.is_empty() {
        return Err(RegistryError::Format { path: path.into(), message: "no <outline> with an http(s) xmlUrl".into() });
    }
    Ok(out)
}

/// An id made from a feed URL's host: `techblog.woowahan.com` → `techblog-woowahan-com`.
fn slug(feed_url: &str) -> String {
    let host = url::Url::parse(feed_url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
    let s: String =
        host.trim_start_matches("www.").chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    if s.is_empty() { "source".into() } else { s }
}

/// What an OPML import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub added: Vec<String>,
    /// Feeds already among the sources (same feed URL).
    pub skipped: usize,
}

/// Adds every feed of an OPML document that no source has yet, as operator sources.
pub async fn import_opml(store: &dyn moa_store::Store, text: &str, user: &str) -> anyhow::Result<Imported> {
    let specs = from_opml(text, "the OPML")?;
    let existing = store.sources().await?;
    let mut ids: std::collections::HashSet<String> = existing.iter().map(|s| s.spec.id.clone()).collect();
    let feeds: std::collections::HashSet<String> = existing.iter().map(|s| feed_key(&s.spec.feed_url)).collect();
    let mut out = Imported::default();
    let now = crate::now_unix();
    for mut spec in specs {
        if feeds.contains(&feed_key(&spec.feed_url)) {
            out.skipped += 1;
            continue;
        }
        let base = spec.id.clone();
        let mut n = 2;
        // Retired sources keep their ids (their posts may stay), and are not in `sources()`.
        while ids.contains(&spec.id) || store.source(&spec.id).await?.is_some() {
            spec.id = format!("{base}-{n}");
            n += 1;
        }
        ids.insert(spec.id.clone());
        let id = spec.id.clone();
        let feed = spec.feed_url.clone();
        store.add_source(&moa_store::NewSource { spec, selectors: None }, now).await?;
        store.audit(now, user, "source.add", &id, &format!("{feed} (OPML import)")).await?;
        out.added.push(id);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_registry_is_complete_and_valid() {
        let all = parse_csv(BUILTIN_CSV, "built-in").expect("embedded registry parses");
        assert_eq!(all.len(), 163);
        let woowahan = all.iter().find(|s| s.id == "woowahan").expect("woowahan listed");
        assert_eq!(woowahan.name_ko, "우아한형제들 기술블로그");
        assert_eq!(woowahan.feed_url, "https://techblog.woowahan.com/feed/");
        let feed_of = |id: &str| all.iter().find(|s| s.id == id).map(|s| s.feed_url.as_str());
        assert_eq!(feed_of("kurly"), Some("https://helloworld.kurly.com/rss.xml"), "Kurly moved its feed");
        assert_eq!(feed_of("startlink"), Some("https://startlink.blog/feed/"));
    }

    #[test]
    fn csv_errors_name_the_line() {
        let bad = "id,name_ko,name_en,homepage,feed_url\nok,가,A,https://a.com,https://a.com/feed\nbad id,나,B,https://b.com,https://b.com/feed\n";
        let err = parse_csv(bad, "mine.csv").unwrap_err().to_string();
        assert_eq!(err, "mine.csv: line 3: id \"bad id\" must be letters, digits, '-' or '_'");
        let dup = "id,name_ko,name_en,homepage,feed_url\na,가,A,https://a.com,https://a.com/feed\na,가,A,https://a.com,https://a.com/feed\n";
        assert!(parse_csv(dup, "x").unwrap_err().to_string().contains("duplicate id"));
        let js_home = "id,name_ko,name_en,homepage,feed_url\na,가,A,javascript:alert(1),https://a.com/feed\n";
        let e = parse_csv(js_home, "x.csv").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("homepage") && e.contains("scheme javascript"), "{e}");
        let only_controls = "id,name_ko,name_en,homepage,feed_url\na,\u{202e},\u{2066},,https://a.com/feed\n";
        assert!(parse_csv(only_controls, "x.csv").unwrap_err().to_string().contains("a name"));
        let bidi = "id,name_ko,name_en,homepage,feed_url\na,\u{202e}가나,A\u{2066},,https://a.com/feed\n";
        let s = parse_csv(bidi, "x.csv").unwrap();
        assert_eq!(
            (s[0].name_ko.as_str(), s[0].name_en.as_str(), s[0].homepage.as_str()),
            ("가나", "A", "https://a.com/")
        );
        assert_eq!(feed_key("HTTPS://Blog.Example.com:443/feed/#top"), feed_key("http://blog.example.com/feed"));
        assert_ne!(feed_key("https://blog.example.com/feed?cat=1"), feed_key("https://blog.example.com/feed"));
        let opml = r#"<opml><body><outline text="x" xmlUrl="https://x.example/feed" htmlUrl="javascript:alert(1)"/></body></opml>"#;
        assert_eq!(from_opml(opml, "x.opml").unwrap()[0].homepage, "https://x.example/");
        let js = "id,name_ko,name_en,homepage,feed_url\na,가,A,https://a.com,javascript:alert(1)\n";
        assert!(parse_csv(js, "x").unwrap_err().to_string().contains("only http and https"));
        assert!(parse_csv("id,name\n", "x").unwrap_err().to_string().contains("missing column"));
    }

    #[test]
    fn opml_becomes_sources_with_unique_ids() {
        let opml = r#"<opml version="2.0"><body>
            <outline text="당근" xmlUrl="https://medium.com/feed/daangn"/>
            <outline text="Netflix" xmlUrl="https://medium.com/feed/netflix-techblog"/>
            <outline text="bad" xmlUrl="ftp://x"/></body></opml>"#;
        let s = from_opml(opml, "x.opml").unwrap();
        assert_eq!(s.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["medium-com", "medium-com-2"]);
        assert_eq!(s[0].name_ko, "당근");
        assert_eq!(s[0].homepage, "https://medium.com/");
    }
}
