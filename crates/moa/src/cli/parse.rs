//! `moa parse FILE…`: the parser alone, a feed file in, its typed feed out as JSON. It calls `moa_feed::parse`
//! directly, not the ingest path: nothing is fetched, tagged or stored.

use std::path::PathBuf;
use std::process::ExitCode;

use moa::now_unix;

pub(crate) fn parse_files(
    files: &[PathBuf],
    url: Option<&str>,
    timezone: Option<&str>,
    charset: Option<&str>,
    language: Option<&str>,
) -> ExitCode {
    let base = match url.map(moa_feed::Url::parse).transpose() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("moa: --url: not an absolute URL ({e})");
            return ExitCode::from(2);
        }
    };
    let timezone_offset = match timezone {
        Some(tz) => match moa_feed::parse_timezone(tz) {
            Some(o) => o,
            None => {
                eprintln!("moa: --timezone: unknown zone {tz:?} (use e.g. Asia/Seoul, UTC or +09:00)");
                return ExitCode::from(2);
            }
        },
        None => moa_feed::KST_OFFSET_SECONDS,
    };
    let options = moa_feed::ParseOptions {
        url: base,
        http_charset: charset.map(String::from),
        http_language: language.map(String::from),
        timezone_offset,
        now: Some(now_unix()),
        ..moa_feed::ParseOptions::default()
    };
    let mut failed = false;
    for file in files {
        let result = std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|bytes| moa_feed::parse(&bytes, &options).map_err(|e| e.to_string()));
        match result {
            Ok(feed) => {
                let json =
                    if files.len() == 1 { serde_json::to_string_pretty(&feed) } else { serde_json::to_string(&feed) };
                match json {
                    Ok(j) => println!("{j}"),
                    Err(e) => {
                        eprintln!("moa: {}: {e}", file.display());
                        failed = true;
                    }
                }
            }
            Err(e) => {
                eprintln!("moa: {}: {e}", file.display());
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
