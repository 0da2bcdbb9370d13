//! The tagger against a hand-labelled sample of real Korean posts (`testdata/topics/labelled.tsv`): how
//! many of the topics it gives are right (precision), and how many of the right ones it gives (recall).
//! The figures are written down in BENCHMARKS.md; this keeps precision from sliding below them.

use std::collections::HashMap;

/// Precision was 0.89 when the sample was labelled (see BENCHMARKS.md): a change to the dictionary that
/// adds more than three or four wrong topics fails here.
const PRECISION_FLOOR: f64 = 0.85;

#[test]
fn the_tagger_is_mostly_right_on_a_labelled_sample_of_real_posts() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");
    let labelled = std::fs::read_to_string(format!("{root}/topics/labelled.tsv")).unwrap();
    let mut feeds: HashMap<String, moa_feed::Feed> = HashMap::new();
    let (mut given, mut right, mut expected) = (0usize, 0usize, 0usize);
    let mut wrong = Vec::new();
    let mut posts = 0;
    for line in labelled.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let [file, link, labels, title] = line.split('\t').collect::<Vec<_>>()[..] else { panic!("{line}") };
        let feed = feeds.entry(file.to_string()).or_insert_with(|| {
            let bytes = std::fs::read(format!("{root}/feeds/real/{file}")).unwrap();
            // Where the fixture is served from in the sample: relative links resolve the same way.
            let url = moa_feed::Url::parse(&format!("https://fixture.example/{file}")).ok();
            moa_feed::parse(&bytes, &moa_feed::ParseOptions { url, ..Default::default() }).unwrap()
        });
        let e = feed.entries.iter().find(|e| e.link.as_deref() == Some(link)).unwrap_or_else(|| panic!("{link}"));
        let labels: Vec<&str> = labels.split(',').filter(|l| *l != "-").collect();
        for l in &labels {
            assert!(moa_search::topics::topic(l).is_some(), "{title}: no topic {l}");
        }
        let topics =
            moa_search::topics::tag_post(&e.title, &e.categories, e.summary.as_deref(), e.content_html.as_deref());
        posts += 1;
        given += topics.len();
        expected += labels.len();
        for t in &topics {
            if labels.contains(&t.as_str()) {
                right += 1;
            } else {
                wrong.push(format!("{t} for {title:?}"));
            }
        }
    }
    let precision = right as f64 / given as f64;
    let recall = right as f64 / expected as f64;
    eprintln!(
        "{posts} posts: {given} topics given, {right} right: precision {precision:.2}, recall {recall:.2} \
         ({expected} labelled)\nwrong: {wrong:#?}"
    );
    assert!(posts >= 100, "the whole sample is read: {posts}");
    assert!(precision >= PRECISION_FLOOR, "precision {precision:.2}; wrong: {wrong:#?}");
}
