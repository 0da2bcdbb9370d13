//! `cargo run --release --manifest-path bench/Cargo.toml -- [DIR] [--passes N] [--parser NAME] [--only PARSER FILE]`
//!
//! Parses every file of DIR (default: the repo's real-feed corpus) in memory with each parser, best of N
//! passes, and prints MB/s and entries/s. `--only PARSER FILE` parses one file once, for measuring peak
//! memory from outside (`/usr/bin/time -f %M`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

type Parser = fn(&[u8]) -> Option<usize>;

fn moa(bytes: &[u8]) -> Option<usize> {
    let options = moa_feed::ParseOptions { now: Some(1_800_000_000), ..Default::default() };
    moa_feed::parse(bytes, &options).ok().map(|f| f.entries.len())
}

fn feed_rs(bytes: &[u8]) -> Option<usize> {
    feed_rs::parser::parse(bytes).ok().map(|f| f.entries.len())
}

/// The floor: every XML event read and text decoded, nothing built. JSON documents are skipped.
fn raw_quick_xml(bytes: &[u8]) -> Option<usize> {
    use quick_xml::events::Event;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return None;
    }
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().allow_dangling_amp = true;
    let mut buf = Vec::new();
    let mut items = 0;
    let mut text_bytes = 0usize;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let name = e.local_name();
                let n: &str = name.as_ref();
                if n == "item" || n == "entry" {
                    items += 1;
                }
            }
            Ok(Event::Text(t)) => text_bytes += t.len(),
            Ok(Event::CData(t)) => text_bytes += t.len(),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(_) => return None,
        }
        buf.clear();
    }
    std::hint::black_box(text_bytes);
    Some(items)
}

const PARSERS: [(&str, Parser); 3] = [("moa-feed", moa), ("feed-rs", feed_rs), ("raw quick-xml", raw_quick_xml)];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--only") {
        let (name, file) = (&args[i + 1], &args[i + 2]);
        let parser = PARSERS.iter().find(|(n, _)| n == name).map(|(_, p)| *p).expect("parser name");
        let bytes = std::fs::read(file).expect("read file");
        println!("{name}: {:?} entries", parser(&bytes));
        return;
    }
    if args.iter().any(|a| a == "--per-file") {
        per_file(&args);
        return;
    }
    let passes: usize =
        args.iter().position(|a| a == "--passes").and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(5);
    let dir = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && a.parse::<usize>().is_err() && (*i == 0 || args[i - 1] != "--parser"))
        .map(|(_, a)| a)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/feeds/real"));
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml" || x == "json"))
        .map(|p| (p.file_name().unwrap_or_default().to_string_lossy().into_owned(), std::fs::read(&p).expect("read")))
        .collect();
    files.sort();
    let total_bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    println!("corpus: {} files, {:.1} MB, best of {passes} passes", files.len(), total_bytes as f64 / 1e6);
    println!("{:<14} {:>7} {:>9} {:>10} {:>12} {:>8}", "parser", "ok", "entries", "time", "MB/s", "kentries/s");
    let only: Option<&String> = args.iter().position(|a| a == "--parser").and_then(|i| args.get(i + 1));
    let parsers: Vec<(&str, Parser)> = PARSERS.into_iter().filter(|(n, _)| only.is_none_or(|o| o == n)).collect();
    // Passes interleave the parsers, so a slow spell of a shared machine hits them alike.
    let mut best = vec![Duration::MAX; parsers.len()];
    let mut counts = vec![(0, 0, 0); parsers.len()];
    for _ in 0..passes {
        for (k, (_, parser)) in parsers.iter().enumerate() {
            let (mut ok, mut entries, mut bytes) = (0, 0, 0);
            let started = Instant::now();
            for (_, data) in &files {
                if let Some(n) = parser(std::hint::black_box(data)) {
                    ok += 1;
                    entries += n;
                    bytes += data.len();
                }
            }
            best[k] = best[k].min(started.elapsed());
            counts[k] = (ok, entries, bytes);
        }
    }
    for (k, (name, _)) in parsers.iter().enumerate() {
        let (ok, entries, bytes) = counts[k];
        let secs = best[k].as_secs_f64();
        println!(
            "{name:<14} {ok:>7} {entries:>9} {:>8.1}ms {:>12.1} {:>8.1}",
            secs * 1e3,
            bytes as f64 / 1e6 / secs,
            entries as f64 / 1e3 / secs
        );
    }
}

/// `--per-file [DIR]`: each document's best-of-20 time with moa-feed and feed-rs, slowest relative to
/// feed-rs first, to find where moa-feed spends more than it should.
fn per_file(args: &[String]) {
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/feeds/real"));
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("corpus directory").flatten() {
        let path = entry.path();
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let best = |parser: Parser| {
            (0..20)
                .map(|_| {
                    let started = Instant::now();
                    std::hint::black_box(parser(std::hint::black_box(&bytes)));
                    started.elapsed()
                })
                .min()
                .unwrap_or_default()
        };
        let (m, f) = (best(moa), best(feed_rs));
        rows.push((m.as_secs_f64() / f.as_secs_f64().max(1e-9), m, f, bytes.len(), path));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    println!("{:>8} {:>10} {:>10} {:>9}  file (largest moa-feed time first)", "moa/frs", "moa us", "feed-rs us", "KB");
    for (ratio, m, f, len, path) in rows.iter().take(25) {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        println!(
            "{ratio:>8.2} {:>10.0} {:>10.0} {:>9.1}  {name}",
            m.as_secs_f64() * 1e6,
            f.as_secs_f64() * 1e6,
            *len as f64 / 1e3
        );
    }
}
