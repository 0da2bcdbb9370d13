//! Snapshots of the normalized output of every real document in `testdata/feeds/real` (copied from the
//! shared fixtures), reviewed by hand: each is what a reader would see on the cards. A change to the
//! normalizer shows up here as a diff to review; accept it with `INSTA_UPDATE=always cargo test -p moa-feed
//! --test snapshots` (or `cargo insta review`) once it reads right.

use std::path::PathBuf;

use moa_feed::{ParseOptions, Url, parse};

#[test]
fn every_real_document_reads_as_reviewed() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/feeds/real");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus is in the repo")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml" || x == "json"))
        .collect();
    files.sort();
    assert!(files.len() > 180, "only {} documents", files.len());
    // Fixed inputs, so a snapshot depends on the document alone (dates are clamped to `now`).
    let options = ParseOptions {
        url: Url::parse("https://example.com/feed").ok(),
        now: Some(1_800_000_000),
        ..ParseOptions::default()
    };
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        for path in &files {
            let name = path.file_name().and_then(|n| n.to_str()).expect("a UTF-8 file name");
            let bytes = std::fs::read(path).expect("read a fixture");
            let result = parse(&bytes, &options).map_err(|e| e.to_string());
            insta::assert_json_snapshot!(name, result);
        }
    });
}
