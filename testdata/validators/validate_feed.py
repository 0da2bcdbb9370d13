"""An independent reading of moa's feeds out, for its tests: RSS and Atom through feedparser (the
Universal Feed Parser, which flags any XML or encoding fault as `bozo`), JSON Feed against a JSON Schema
of the 1.1 specification. Prints what it read as JSON; exits 1 with the reason when a feed is invalid.

usage: python3 validate_feed.py rss|atom|json FILE
"""
import html
import json
import pathlib
import sys


def fail(why):
    print(why, file=sys.stderr)
    sys.exit(1)


def xml_feed(kind, data):
    import feedparser

    d = feedparser.parse(data)
    if d.bozo:
        fail(f"not well-formed: {d.bozo_exception!r}")
    want = {"rss": "rss20", "atom": "atom10"}[kind]
    if d.version != want:
        fail(f"version {d.version!r}, expected {want!r}")
    if not d.feed.get("title"):
        fail("the feed has no title")
    entries = []
    for i, e in enumerate(d.entries):
        # RSS allows an item without a link (moa drops unsafe ones); every moa item has a title and id.
        for field in ("title", "id"):
            if not e.get(field):
                fail(f"entry {i} has no {field}")
        if not (e.get("published_parsed") or e.get("updated_parsed")):
            fail(f"entry {i} has no readable date")
        entries.append({"title": as_text(e.title_detail), "link": e.get("link", ""), "id": e.id, "summary": e.get("summary", "")})
    return {"title": d.feed.title, "entries": entries}


def as_text(detail):
    """feedparser gives HTML-typed text (RSS titles) as sanitized HTML: its text, for comparing."""
    if detail.type in ("text/html", "application/xhtml+xml"):
        return html.unescape(detail.value)
    return detail.value


def json_feed(data):
    import jsonschema

    schema = json.loads((pathlib.Path(__file__).parent / "jsonfeed-1.1.schema.json").read_text())
    feed = json.loads(data)
    try:
        jsonschema.validate(feed, schema)
    except jsonschema.ValidationError as e:
        fail(f"JSON Feed: {e.message} at {list(e.absolute_path)}")
    entries = [
        {"title": i.get("title", ""), "link": i.get("url", ""), "id": i["id"], "summary": i.get("summary", "")}
        for i in feed["items"]
    ]
    return {"title": feed["title"], "entries": entries}


def main():
    kind, path = sys.argv[1], sys.argv[2]
    data = pathlib.Path(path).read_bytes()
    result = json_feed(data) if kind == "json" else xml_feed(kind, data)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
