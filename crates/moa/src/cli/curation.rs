//! `moa scrap` and `moa newsletter`: the curator's links of the month, and the newsletter they become.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use moa::config::Settings;
use moa::ingest::fetch::{FetchConfig, Fetcher};
use moa::newsletter::{Month, Section};
use moa::now_unix;
use moa_store::Store;

use super::args::{NewsletterCommand, Note, ScrapCommand};

fn month_arg(month: Option<&str>) -> anyhow::Result<Month> {
    match month {
        Some(m) => Month::parse(m).with_context(|| format!("month {m:?} is not YYYY-MM")),
        None => Ok(moa::newsletter::curation::current_month(now_unix())),
    }
}

fn section_arg(section: &str) -> anyhow::Result<Section> {
    Section::parse(section).with_context(|| {
        format!("unknown section {section:?}: article (글), bookmark (북마크), news (기술 뉴스), software (소프트웨어 / 프로젝트), media (책 / 강의 / 영상)")
    })
}

pub(crate) async fn scrap_command(settings: &Settings, store: &dyn Store, command: ScrapCommand) -> anyhow::Result<()> {
    match command {
        ScrapCommand::Add { url, section, note, month, title } => {
            add_scrap(settings, store, url, section, note, month, title).await?
        }
        ScrapCommand::List { month, json } => {
            let month = month.as_deref().map(|m| month_arg(Some(m))).transpose()?.map(|m| m.to_string());
            let scraps = store.scraps(month.as_deref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&scraps)?);
            } else {
                for s in &scraps {
                    println!("{:>5}  {}  {:<8} {:>2}  {}  <{}>", s.id, s.month, s.section, s.position, s.title, s.url);
                }
            }
        }
        ScrapCommand::Edit { id, title, url, section, note, month } => {
            let Some(old) = store.scrap(id).await? else { anyhow::bail!("no scrap {id}") };
            let fields = moa_store::ScrapFields {
                month: match month {
                    Some(m) => month_arg(Some(&m))?.to_string(),
                    None => old.month,
                },
                section: match section {
                    Some(s) => section_arg(&s)?.key().into(),
                    None => old.section,
                },
                title: title.unwrap_or(old.title),
                url: url.unwrap_or(old.url),
                commentary: note.read()?.unwrap_or(old.commentary),
                post_id: old.post_id,
            };
            store.update_scrap(id, &fields, now_unix()).await?;
            println!("scrap {id} updated");
        }
        ScrapCommand::Move { id, to } => {
            anyhow::ensure!(store.move_scrap(id, to).await?, "no scrap {id}");
            let s = store.scrap(id).await?.with_context(|| format!("no scrap {id}"))?;
            println!("scrap {id} is now #{} of {} {}", s.position, s.month, s.section);
        }
        ScrapCommand::Rm { id } => {
            anyhow::ensure!(store.delete_scrap(id).await?, "no scrap {id}");
            println!("scrap {id} deleted");
        }
    }
    Ok(())
}

/// `moa scrap add URL`: a link kept for the month, its title and description proposed from the page.
async fn add_scrap(
    settings: &Settings,
    store: &dyn Store,
    url: String,
    section: String,
    note: Note,
    month: Option<String>,
    title: Option<String>,
) -> anyhow::Result<()> {
    let section = section_arg(&section)?;
    let month = month_arg(month.as_deref())?;
    let url = url.trim().to_string();
    anyhow::ensure!(url.starts_with("http://") || url.starts_with("https://"), "{url:?} is not an http(s) URL");
    if let Some(s) = store.scrap_by_url(&month.to_string(), &url).await? {
        anyhow::bail!("{url} is already scrap {} of {month}", s.id);
    }
    let note = note.read()?;
    let proposal = if title.is_some() && note.is_some() {
        let post = store.post_by_url(&url).await?;
        moa::newsletter::curation::Proposal { title: None, description: None, post_id: post.map(|p| p.id) }
    } else {
        let fetcher = Fetcher::new(FetchConfig::from(settings))?;
        match moa::newsletter::curation::propose(store, &fetcher, &url).await {
            Ok(p) => p,
            Err(e) if title.is_some() => {
                eprintln!("moa: could not read the page ({e:#}); keeping the title given");
                moa::newsletter::curation::Proposal { title: None, description: None, post_id: None }
            }
            Err(e) => anyhow::bail!("could not read {url}: {e:#}; give the title with --title"),
        }
    };
    let Some(title) = title.or(proposal.title) else {
        anyhow::bail!("{url} has no title to propose; give one with --title");
    };
    let fields = moa_store::ScrapFields {
        month: month.to_string(),
        section: section.key().into(),
        title: title.split_whitespace().collect::<Vec<_>>().join(" "),
        url,
        commentary: note.or(proposal.description).unwrap_or_default(),
        post_id: proposal.post_id,
    };
    let scrap = store.add_scrap(&fields, now_unix()).await?;
    println!("scrap {} added: {month} {} #{} {}", scrap.id, scrap.section, scrap.position, scrap.title);
    Ok(())
}

pub(crate) async fn newsletter_command(store: &dyn Store, command: NewsletterCommand) -> anyhow::Result<()> {
    match command {
        NewsletterCommand::Render { month, draft, publish, hidden_from_homepage, date, output } => {
            let month = month_arg(Some(&month))?;
            let mut post = moa::newsletter::curation::post_of(store, month).await?;
            let given = draft || publish || hidden_from_homepage || date.is_some();
            if draft || publish {
                post.settings.draft = draft;
            }
            if hidden_from_homepage {
                post.settings.hidden_from_homepage = Some(true);
            }
            if let Some(date) = date {
                post.settings.date =
                    moa::newsletter::front_matter_date(date.trim()).map_err(anyhow::Error::msg)?.to_string();
            }
            if given {
                moa::newsletter::curation::save_settings(store, month, &post.settings).await?;
            }
            let text = moa::newsletter::render(&post);
            match output {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => print!("{text}"),
            }
        }
        NewsletterCommand::Import { files } => {
            for file in files {
                let name = file.display();
                let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {name}"))?;
                let imported =
                    moa::newsletter::import(&text).map_err(|e| anyhow::anyhow!("{name}:{}: {}", e.line, e.message))?;
                for w in &imported.warnings {
                    eprintln!("{name}:{}: warning: {}", w.line, w.message);
                }
                let stats = moa::newsletter::curation::store_import(store, &imported, now_unix()).await?;
                println!("{name}: {}: {} scraps added, {} updated", imported.post.month, stats.added, stats.updated);
            }
        }
        NewsletterCommand::Check { .. } => unreachable!("handled before the runtime starts"),
    }
    Ok(())
}

/// `moa newsletter check`: one line per file (`FILE: 7 items, 2022-03`), warnings and errors as
/// `FILE:LINE: …`; fails when any file cannot be read.
pub(crate) fn check_newsletters(files: &[PathBuf]) -> ExitCode {
    let mut failed = false;
    for file in files {
        let name = file.display();
        let text = match std::fs::read(file).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                eprintln!("{name}: not UTF-8 text");
                failed = true;
                continue;
            }
            Err(e) => {
                eprintln!("{name}: {e}");
                failed = true;
                continue;
            }
        };
        match moa::newsletter::import(&text) {
            Ok(imported) => {
                for w in &imported.warnings {
                    eprintln!("{name}:{}: warning: {}", w.line, w.message);
                }
                println!("{name}: {} items, {}", imported.post.items.len(), imported.post.month);
            }
            Err(e) => {
                eprintln!("{name}:{}: error: {}", e.line, e.message);
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
