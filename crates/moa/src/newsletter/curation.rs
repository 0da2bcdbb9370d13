//! The curator's work on scraps, shared by the command line and the web: proposing a scrap for a URL,
//! turning a month's scraps into its newsletter post, and importing posts back into scraps.

use moa_store::{NewsletterSettings, Scrap, ScrapFields, Store};

use crate::ingest::fetch::{Content, Fetcher, Get, PAGE_PREFIX_BYTES, Response};
use crate::newsletter::{self, Imported, Item, Month, Post, Section, Settings};

/// The month a scrap goes to by default: the current one in Korea.
pub fn current_month(now: i64) -> Month {
    let t = time::OffsetDateTime::from_unix_timestamp(now)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(crate::kst::KST);
    Month { year: t.year(), month: t.month() as u8 }
}

/// What moa proposes for a scrap of a URL: the title and a description, and the post when moa has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub title: Option<String>,
    pub description: Option<String>,
    pub post_id: Option<i64>,
}

/// A post moa already has, else the page itself, read with the crawler's limits and address guard.
pub async fn propose(store: &dyn Store, fetcher: &Fetcher, url: &str) -> anyhow::Result<Proposal> {
    if let Some(post) = store.post_by_url(url).await? {
        let description = post.summary.as_deref().map(crate::newsletter::escape_markdown);
        return Ok(Proposal { title: Some(post.title), description, post_id: Some(post.id) });
    }
    // Read as far as the crawler reads article pages: the title and description are in the `<head>`.
    let how = Get { prefix_bytes: Some(PAGE_PREFIX_BYTES), ..Get::default() };
    match fetcher.get_with(url, how).await? {
        Response { content: Content::Changed(page), .. } => {
            let meta = moa_feed::page_meta(&String::from_utf8_lossy(&page.body));
            // The page's words become Markdown the curator publishes: inert, whatever they hold (the
            // title is escaped where it is written, in its link).
            Ok(Proposal {
                title: meta.title,
                description: meta.description.as_deref().map(crate::newsletter::escape_markdown),
                post_id: None,
            })
        }
        Response { content: Content::NotModified, .. } => {
            Ok(Proposal { title: None, description: None, post_id: None })
        }
    }
}

/// A month's post: its scraps in order, and its stored settings (or the month's defaults).
pub async fn post_of(store: &dyn Store, month: Month) -> anyhow::Result<Post> {
    let key = month.to_string();
    let settings = match store.newsletter_settings(&key).await? {
        Some(s) => Settings {
            date: s.date.unwrap_or_else(|| month.default_date()),
            draft: s.draft,
            hidden_from_homepage: s.hidden_from_homepage,
        },
        None => Settings::for_month(month),
    };
    let items = store.scraps(Some(&key)).await?.into_iter().filter_map(item_of).collect();
    Ok(Post { month, settings, items })
}

fn item_of(s: Scrap) -> Option<Item> {
    let section = Section::parse(&s.section)?;
    Some(Item { section, title: s.title, url: s.url, commentary: s.commentary })
}

/// Saves a month's settings, keeping the default date as "the default" so it follows the month.
pub async fn save_settings(store: &dyn Store, month: Month, settings: &Settings) -> anyhow::Result<()> {
    let date = (settings.date != month.default_date()).then(|| settings.date.clone());
    store
        .save_newsletter_settings(&NewsletterSettings {
            month: month.to_string(),
            date,
            draft: settings.draft,
            hidden_from_homepage: settings.hidden_from_homepage,
        })
        .await?;
    Ok(())
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportStats {
    pub added: usize,
    pub updated: usize,
}

/// Stores an imported post: its settings, and each item as a scrap of its month — the scrap with the
/// same URL updated, not added again — in the post's order.
pub async fn store_import(store: &dyn Store, imported: &Imported, now: i64) -> anyhow::Result<ImportStats> {
    let post = &imported.post;
    let month = post.month.to_string();
    save_settings(store, post.month, &post.settings).await?;
    let mut stats = ImportStats::default();
    let mut ids = Vec::new();
    for item in &post.items {
        let existing = store.scrap_by_url(&month, &item.url).await?;
        let fields = ScrapFields {
            month: month.clone(),
            section: item.section.key().into(),
            title: item.title.clone(),
            url: item.url.clone(),
            commentary: item.commentary.clone(),
            post_id: match &existing {
                Some(s) => s.post_id,
                None => store.post_by_url(&item.url).await?.map(|p| p.id),
            },
        };
        let id = match existing {
            Some(s) => {
                store.update_scrap(s.id, &fields, now).await?;
                stats.updated += 1;
                s.id
            }
            None => {
                stats.added += 1;
                store.add_scrap(&fields, now).await?.id
            }
        };
        ids.push((item.section, id));
    }
    // The post's order within each section; scraps the post does not list follow it.
    for section in Section::ALL {
        for (position, (_, id)) in ids.iter().filter(|(s, _)| *s == section).enumerate() {
            store.move_scrap(*id, position as i64 + 1).await?;
        }
    }
    Ok(stats)
}

/// The month's post as Markdown.
pub async fn render_month(store: &dyn Store, month: Month) -> anyhow::Result<String> {
    Ok(newsletter::render(&post_of(store, month).await?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_month_turns_at_midnight_in_korea() {
        // 2026-11-30T15:00Z is 1 December 00:00 in Korea.
        let midnight = 1_796_050_800;
        assert_eq!(super::current_month(midnight - 1).to_string(), "2026-11");
        assert_eq!(super::current_month(midnight).to_string(), "2026-12");
    }
}
