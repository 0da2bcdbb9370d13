#!/usr/bin/env python3
"""How often moa's feed parser agrees with Python feedparser's own test suite.

A measurement, not a test: feedparser's suite (feedparser 6.0.11, tests/) states, for each small feed
document, an `Expect:` Python expression over feedparser's result. This script parses those expressions
with `ast`, keeps the cases whose every clause is about something `moa parse` prints (the MAPPING table
below), runs `moa parse` on the documents and compares. Cases that do not map are counted apart and left
out of the agreement figure. The `dates` family is made from runtests.py's `date_tests` table: each date
string is put in a one-item RSS (`<pubDate>`) or, for the W3C-DTF/ISO 8601 ones, Atom (`<updated>`)
document.

    python3 scripts/conformance/feedparser_suite.py --suite /tmp/fp/feedparser-6.0.11/tests
        [--moa target/debug/moa] [--failures [FAMILY]] [--unmapped [FAMILY]] [--json OUT.json]
        [--compare OLD.json]

Standard library only (Python 3.11+). See README.md next to this file.
"""

from __future__ import annotations

import argparse
import ast
import codecs
import collections
import datetime
import email.utils
import html
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from xml.sax.saxutils import escape as xml_escape

# ---------------------------------------------------------------------------------------------------------
# The mapping: feedparser result path -> moa output field, and how the two are compared.
#
# Keys are feedparser paths with list indices written '#' (`entries[0]['tags'][1]['term']` is
# ('entries', '#', 'tags', '#', 'term')); attribute access (`feed.title`) is read as a key. `len(X)` is
# ('len',) + X. Values are (moa field, kind). A moa field names a top-level key, or `entries.#.<key>`
# where each '#' takes the feedparser path's indices in order.
#
# Kinds (how the expected value is normalized before comparing; see `agree()`):
#   text     plain text: markup stripped, HTML entities decoded, whitespace collapsed, both sides
#   author   like text; feedparser's `author` joins an Atom author's name and email as "name (email)",
#            moa gives the name: the name alone agrees
#   category like text; moa shows an Atom category's human-readable `label` rather than its `term` on
#            purpose, so the label of the source's category with that term agrees too
#   summary  like text, but moa's summary may be a prefix cut with "…" (200 characters at most)
#   content  entries[i]['content'][0]['value']: compared with moa's summary (moa's summary falls back to
#            the content's text), only when the entry has no summary/description of its own in the
#            source; otherwise the clause does not map
#   url      URL, compared in WHATWG form (lower-case scheme/host, no default port, '/' for an empty
#            path, no fragment): moa prints canonical URLs on purpose
#   id       string, surrounding whitespace ignored
#   lang     string, surrounding whitespace ignored
#   format   feedparser `version` through VERSION_TO_FORMAT
#   encoding codec name through the WHATWG label table (us-ascii and iso-8859-1 are windows-1252; the
#            gb2312/gbk/gb18030 family is one decoder)
#   date     feedparser's UTC 9-tuple against moa's RFC 3339: year..second compared. feedparser maps
#            `updated` and `published` to each other when one is missing, so either moa field agrees
#   datestr  feedparser's raw date string (`entries[0]['updated'] == 'Thu, 01 Jan 2004 ...'`): read with
#            the standard library and compared like `date`; unreadable strings do not map
#   int      number (`len(...)`, `ttl`)
#
# Not mapped (moa prints no such field): feed author/id/rights/generator/image/tags/dates, links[],
# feed['info'] (Atom 0.3 <info> and feedburner:browserFriendly: a note about the format, which feedparser
# keeps apart from subtitle/description, so moa not showing it as the description agrees with feedparser),
# *_detail['type'|'base'|'language'], enclosures, contributors, source, itunes_*, media_* other than the
# thumbnail, entry language, guidislink, HTTP headers/status/etag.
# ---------------------------------------------------------------------------------------------------------
MAPPING: dict[tuple, tuple[str, str]] = {
    ('version',): ('format', 'format'),
    ('encoding',): ('encoding', 'encoding'),
    ('feed', 'title'): ('title', 'text'),
    ('feed', 'title_detail', 'value'): ('title', 'text'),
    ('feed', 'link'): ('link', 'url'),
    ('feed', 'subtitle'): ('description', 'text'),
    ('feed', 'subtitle_detail', 'value'): ('description', 'text'),
    ('feed', 'tagline'): ('description', 'text'),
    ('feed', 'tagline_detail', 'value'): ('description', 'text'),
    ('feed', 'description'): ('description', 'text'),
    ('feed', 'language'): ('language', 'lang'),
    ('feed', 'ttl'): ('ttl_minutes', 'int'),
    ('len', 'entries'): ('len(entries)', 'int'),
    ('entries', '#', 'title'): ('entries.#.title', 'text'),
    ('entries', '#', 'title_detail', 'value'): ('entries.#.title', 'text'),
    ('entries', '#', 'link'): ('entries.#.link', 'url'),
    ('entries', '#', 'id'): ('entries.#.id', 'id'),
    ('entries', '#', 'guid'): ('entries.#.id', 'id'),
    ('entries', '#', 'author'): ('entries.#.author', 'author'),
    ('entries', '#', 'author_detail', 'name'): ('entries.#.author', 'text'),
    ('entries', '#', 'summary'): ('entries.#.summary', 'summary'),
    ('entries', '#', 'summary_detail', 'value'): ('entries.#.summary', 'summary'),
    ('entries', '#', 'description'): ('entries.#.summary', 'summary'),
    ('entries', '#', 'content', '#', 'value'): ('entries.#.summary', 'content'),
    ('entries', '#', 'published_parsed'): ('entries.#.published', 'date'),
    ('entries', '#', 'issued_parsed'): ('entries.#.published', 'date'),
    ('entries', '#', 'created_parsed'): ('entries.#.published', 'date'),
    ('entries', '#', 'updated_parsed'): ('entries.#.updated', 'date'),
    ('entries', '#', 'modified_parsed'): ('entries.#.updated', 'date'),
    ('entries', '#', 'published'): ('entries.#.published', 'datestr'),
    ('entries', '#', 'issued'): ('entries.#.published', 'datestr'),
    ('entries', '#', 'created'): ('entries.#.published', 'datestr'),
    ('entries', '#', 'updated'): ('entries.#.updated', 'datestr'),
    ('entries', '#', 'modified'): ('entries.#.updated', 'datestr'),
    ('entries', '#', 'tags', '#', 'term'): ('entries.#.categories.#', 'category'),
    ('entries', '#', 'category'): ('entries.#.categories.0', 'category'),
    ('len', 'entries', '#', 'tags'): ('len(entries.#.categories)', 'int'),
    ('entries', '#', 'media_thumbnail', '#', 'url'): ('entries.#.thumbnail', 'url'),
    # itunes:image on an item is the episode's picture: what a reader shows as the thumbnail.
    ('entries', '#', 'image', 'href'): ('entries.#.thumbnail', 'url'),
}

VERSION_TO_FORMAT = {
    'rss20': 'rss2.0', 'rss': 'rss2.0', 'rss10': 'rss1.0',
    'rss090': 'rss0.9x', 'rss091u': 'rss0.9x', 'rss091n': 'rss0.9x', 'rss091': 'rss0.9x',
    'rss092': 'rss0.9x', 'rss093': 'rss0.9x', 'rss094': 'rss0.9x',
    'atom10': 'atom1.0', 'atom03': 'atom0.3', 'atom': 'atom1.0',
    'json1': 'jsonfeed1', 'json11': 'jsonfeed1',
}

# WHATWG Encoding Standard labels (the ones feedparser's suite uses) -> encoding names.
WHATWG_LABELS = {
    'us-ascii': 'windows-1252', 'ascii': 'windows-1252', 'iso-8859-1': 'windows-1252', 'latin1': 'windows-1252',
    'iso8859-1': 'windows-1252', 'cp1252': 'windows-1252', 'l1': 'windows-1252', 'cp819': 'windows-1252',
    'utf8': 'utf-8', 'unicode-1-1-utf-8': 'utf-8',
    'gb2312': 'gbk', 'x-gbk': 'gbk', 'chinese': 'gbk', 'gb_2312-80': 'gbk', 'gb18030': 'gb18030', 'gbk': 'gbk',
    'big5-hkscs': 'big5', 'cn-big5': 'big5', 'x-x-big5': 'big5',
    'sjis': 'shift_jis', 'ms_kanji': 'shift_jis', 'windows-31j': 'shift_jis', 'x-sjis': 'shift_jis',
    'ks_c_5601-1987': 'euc-kr', 'korean': 'euc-kr', 'windows-949': 'euc-kr',
    'tis-620': 'windows-874', 'iso-8859-11': 'windows-874', 'dos-874': 'windows-874',
    'iso-8859-9': 'windows-1254', 'latin5': 'windows-1254',
    'utf-16': 'utf-16le', 'unicode': 'utf-16le', 'ucs-2': 'utf-16le', 'csunicode': 'utf-16le',
    'koi8': 'koi8-r', 'koi': 'koi8-r', 'cskoi8r': 'koi8-r',
}
# Names that are one decoder in the WHATWG standard.
SAME_DECODER = {'gbk': 'gb18030'}

# runtests.py's date parser -> the element a synthetic document carries the date in.
ATOM_DATE_PARSERS = {'_parse_date_w3dtf', '_parse_date_iso8601'}
# Parsers of Korean blog formats: feedparser reads their zone-less times as KST, so moa gets --timezone +09:00.
KST_DATE_PARSERS = {'_parse_date_nate', '_parse_date_onblog'}

# One-off cases whose expectation is an artefact of a recovery moa does differently on purpose.
CONVENTIONS = {
    'encoding/bozo_linenoise.xml':
        "feedparser's expected value is its cp1252 re-decoding of a document with invalid UTF-8; moa "
        "decodes as the WHATWG standard says (U+FFFD for the bad bytes)",
}

BATCH = 150


# --------------------------------------------------------------------------------------------- reading

def sniff_decode(data: bytes) -> str:
    """The document as text, by BOM or by the zero bytes of an undeclared UTF-16/32 `<?`."""
    boms = ((codecs.BOM_UTF32_BE, 'utf-32be'), (codecs.BOM_UTF32_LE, 'utf-32le'),
            (codecs.BOM_UTF8, 'utf-8'), (codecs.BOM_UTF16_BE, 'utf-16be'), (codecs.BOM_UTF16_LE, 'utf-16le'))
    for bom, enc in boms:
        if data.startswith(bom):
            return data[len(bom):].decode(enc, 'replace')
    head = data[:4]
    for pattern, enc in ((b'\x00\x00\x00<', 'utf-32be'), (b'<\x00\x00\x00', 'utf-32le'),
                         (b'\x00<\x00', 'utf-16be'), (b'<\x00', 'utf-16le'), (b'\x4c\x6f\xa7\x94', 'cp037')):
        if head.startswith(pattern):
            return data.decode(enc, 'replace')
    return data.decode('utf-8', 'replace')


@dataclass
class Case:
    id: str                     # path under tests/, or dates/<parser>_<n>
    family: str
    expect: str
    path: str                   # the document moa parses
    description: str = ''
    headers: dict = field(default_factory=dict)
    skip_unless: str | None = None
    source: str = ''            # decoded document text
    flags: tuple = ()           # moa flags (--timezone first)
    timezone: str = 'UTC'       # feedparser reads zone-less dates as UTC (its Korean formats as KST)
    base: str | None = None     # the document URL given to moa (--url)
    charset: str | None = None  # the HTTP charset given to moa (--charset)
    tree: object = None         # the reduced expectation (see `reduce()`), or None
    status: str = ''            # agree | disagree | unmapped
    reason: str = ''
    moa_fields: dict = field(default_factory=dict)


def family_of(rel: str) -> str:
    parts = rel.split('/')
    if parts[0] in ('wellformed', 'illformed') and len(parts) > 2:
        return parts[0] + '/' + parts[1]
    return parts[0]


def read_suite(tests: str) -> list[Case]:
    cases = []
    for dirpath, dirnames, filenames in os.walk(tests):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, tests).replace(os.sep, '/')
        if rel_dir.startswith('wellformed/sanitize'):
            continue
        for name in sorted(filenames):
            if not name.endswith('.xml'):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, '/')
            with open(path, 'rb') as f:
                text = sniff_decode(f.read())
            m = re.search(r'<!--(.*?)-->', text, re.S)
            comment = m.group(1) if m else ''
            em = re.search(r'Expect:\s*(.*?)\s*$', comment, re.S)
            if not em:
                continue
            dm = re.search(r'Description:\s*(.*?)\s*\n', comment)
            sm = re.search(r'SkipUnless:\s*(.*?)\s*\n', comment)
            headers = {}
            if 'http' in rel:  # runtests.py serves these over HTTP with the Header: lines
                for hm in re.finditer(r'^\s*Header:\s+([^:]+):(.+)$', comment, re.M):
                    headers[hm.group(1).strip().lower()] = hm.group(2).strip()
            cases.append(Case(id=rel, family=family_of(rel), expect=' '.join(em.group(1).split()),
                              path=path, description=dm.group(1) if dm else '', headers=headers,
                              skip_unless=sm.group(1) if sm else None, source=text))
    return cases


def date_cases(runtests: str, tmpdir: str) -> list[Case]:
    with open(runtests, encoding='utf-8') as f:
        module = ast.parse(f.read())
    table = None
    for node in module.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == 'date_tests'
                                                for t in node.targets):
            table = node.value
    if not isinstance(table, ast.Dict):
        raise SystemExit(f'{runtests}: no date_tests dict')
    cases = []
    for key, value in zip(table.keys, table.values):
        parser = key.id if isinstance(key, ast.Name) else ast.unparse(key)
        for n, (string, expected) in enumerate(ast.literal_eval(value)):
            short = parser.removeprefix('_parse_date_')
            if parser in ATOM_DATE_PARSERS:
                doc = ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
                       '<title>dates</title><entry><id>urn:x:1</id><title>t</title>'
                       f'<updated>{xml_escape(string)}</updated></entry></feed>\n')
            else:
                doc = ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>dates</title>'
                       '<item><title>t</title><guid isPermaLink="false">x1</guid>'
                       f'<pubDate>{xml_escape(string)}</pubDate></item></channel></rss>\n')
            path = os.path.join(tmpdir, f'date_{short}_{n:02d}.xml')
            with open(path, 'w', encoding='utf-8') as f:
                f.write(doc)
            case = Case(id=f'dates/{short}_{n:02d}', family='dates',
                        expect=f'entries[0]["published_parsed"] == {expected!r}   # {string!r}',
                        path=path, description=string, source=doc)
            case.tree = ('leaf', DateLeaf(expected, string))
            if parser in KST_DATE_PARSERS:
                case.timezone = '+09:00'
            cases.append(case)
    return cases


# ------------------------------------------------------------------------------------ the expectations

class Unmapped(Exception):
    pass


def chain_of(node) -> tuple:
    """`entries[0]['tags'][1].term` -> ('entries', 0, 'tags', 1, 'term'); Unmapped when not a plain path."""
    parts = []
    while True:
        if isinstance(node, ast.Subscript):
            s = node.slice
            if isinstance(s, ast.Constant) and isinstance(s.value, (str, int)):
                parts.append(s.value)
            elif isinstance(s, ast.UnaryOp) and isinstance(s.op, ast.USub) and isinstance(s.operand, ast.Constant):
                parts.append(-s.operand.value)
            else:
                raise Unmapped(f'computed index {ast.unparse(s)}')
            node = node.value
        elif isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return tuple(reversed(parts))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == 'get' \
                and len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
            parts.append(node.args[0].value)
            node = node.func.value
        else:
            raise Unmapped(f'not a result path: {ast.unparse(node)}')


def pattern_of(chain: tuple) -> tuple[tuple, list[int]]:
    pattern, indices = [], []
    for p in chain:
        if isinstance(p, int):
            pattern.append('#')
            indices.append(p)
        else:
            pattern.append(p)
    return tuple(pattern), indices


def show_path(chain: tuple) -> str:
    if chain and chain[0] == 'len':
        return f'len({show_path(chain[1:])})'
    out = chain[0]
    for p in chain[1:]:
        out += f'[{p!r}]'
    return out


@dataclass
class Ref:
    """A feedparser path that maps onto moa."""
    chain: tuple
    field: str
    kind: str
    indices: list

    @classmethod
    def of(cls, node) -> 'Ref':
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'len' \
                and len(node.args) == 1:
            chain = ('len',) + chain_of(node.args[0])
        else:
            chain = chain_of(node)
        pattern, indices = pattern_of(chain)
        if pattern not in MAPPING:
            raise Unmapped(f'no moa field for {show_path(chain)}')
        moa_field, kind = MAPPING[pattern]
        return cls(chain, moa_field, kind, indices)

    def label(self) -> str:
        f = self.field
        for i in self.indices:
            f = f.replace('#', str(i), 1)
        return f


BOZO_NAMES = {'bozo', 'bozo_exception'}


def is_bozo(node) -> bool:
    """A clause about feedparser's bozo flag: moa reports warnings instead."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return bool(names) and names <= BOZO_NAMES | {'isinstance', 'feedparser'} and bool(names & BOZO_NAMES)


class Leaf:
    def refs(self) -> list[Ref]:
        return []


@dataclass
class CmpLeaf(Leaf):
    left: Ref
    op: str                      # eq | ne
    right: object                # a Ref or a Python value
    text: str

    def refs(self):
        return [self.left] + ([self.right] if isinstance(self.right, Ref) else [])


@dataclass
class TruthLeaf(Leaf):
    ref: Ref
    text: str

    def refs(self):
        return [self.ref]


@dataclass
class DateLeaf(Leaf):
    expected: object
    string: str
    text: str = ''

    def refs(self):
        return [Ref(('entries', 0, 'published_parsed'), 'entries.#.published', 'date', [0])]


OPS = {ast.Eq: 'eq', ast.NotEq: 'ne', ast.Is: 'eq', ast.IsNot: 'ne'}


def reduce(node):
    """The expectation as ('and'|'or', [...]) / ('not', x) / ('leaf', Leaf), bozo clauses dropped.

    Returns None when nothing but bozo is left; raises Unmapped when a clause is about something moa
    does not print."""
    if is_bozo(node):
        return None
    if isinstance(node, ast.BoolOp):
        kids = [k for k in (reduce(v) for v in node.values) if k is not None]
        if not kids:
            return None
        if len(kids) == 1:
            return kids[0]
        return ('and' if isinstance(node.op, ast.And) else 'or', kids)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = reduce(node.operand)
        return None if inner is None else ('not', inner)
    if isinstance(node, ast.Constant):
        raise Unmapped('no clause about the result (checks only that parsing does not crash)')
    if isinstance(node, ast.Compare):
        text = ast.unparse(node)
        items = [node.left] + list(node.comparators)
        leaves = []
        for a, op, b in zip(items, node.ops, items[1:]):
            if isinstance(op, (ast.In, ast.NotIn)):
                # 'language' in feed / 'x' not in entries[0]
                if not (isinstance(a, ast.Constant) and isinstance(a.value, str)):
                    raise Unmapped(f'membership test {text}')
                ref = Ref.of(ast.Subscript(value=b, slice=a))
                leaf = ('leaf', TruthLeaf(ref, text))
                leaves.append(leaf if isinstance(op, ast.In) else ('not', leaf))
                continue
            if type(op) not in OPS:
                raise Unmapped(f'operator {type(op).__name__}')
            a, b = _ord(a, b), _ord(b, a)
            a_const, b_const = _const(a), _const(b)
            if a_const is not _NOT and b_const is not _NOT:
                raise Unmapped('constant comparison')
            if a_const is not _NOT:
                a, b = b, a
            right_const = _const(b)
            right = Ref.of(b) if right_const is _NOT else right_const
            leaves.append(('leaf', CmpLeaf(Ref.of(a), OPS[type(op)], right, text)))
        return leaves[0] if len(leaves) == 1 else ('and', leaves)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == 'has_key':
        key = node.args[0]
        return ('leaf', TruthLeaf(Ref.of(ast.Subscript(value=node.func.value, slice=key)), ast.unparse(node)))
    # a bare path: truthiness
    return ('leaf', TruthLeaf(Ref.of(node), ast.unparse(node)))


_NOT = object()


def _const(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT


def _ord(node, other):
    """ord(X) == N  ->  X == chr(N)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'ord':
        return node.args[0]
    if isinstance(other, ast.Call) and isinstance(other.func, ast.Name) and other.func.id == 'ord':
        v = _const(node)
        if isinstance(v, int):
            return ast.Constant(chr(v))
    return node


def leaves_of(tree):
    if tree[0] == 'leaf':
        yield tree[1]
    elif tree[0] == 'not':
        yield from leaves_of(tree[1])
    else:
        for k in tree[1]:
            yield from leaves_of(k)


# ----------------------------------------------------------------------------------------- normalizing

BLOCK_TAGS = {'address', 'article', 'aside', 'blockquote', 'br', 'dd', 'div', 'dl', 'dt', 'fieldset',
              'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr',
              'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'td', 'th', 'tr', 'ul'}
HTML_TAGS = BLOCK_TAGS | {'a', 'abbr', 'b', 'cite', 'code', 'em', 'i', 'img', 'q', 's', 'small', 'span',
                          'strong', 'sub', 'sup', 'u', 'math', 'svg'}
# Markup: an end tag, an empty element, or a start tag of an HTML element. `History of the <blink> tag`
# (a text/plain title, as feedparser returns it) is not markup.
MARKUP_RE = re.compile(r'</[A-Za-z][\w:.-]*\s*>|<[A-Za-z][\w:.-]*(\s[^<>]*)?/>|<(%s)\b[^<>]*>'
                       % '|'.join(sorted(HTML_TAGS)), re.I)
# Characters moa drops from text on purpose (controls, zero-width and direction marks, BOM), and HTML 4's
# angle brackets, which HTML5 (moa's entity table) maps to U+27E8/U+27E9.
INVISIBLE_RE = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f\ufeff]')
HTML4_TO_HTML5 = str.maketrans({'\u2329': '\u27e8', '\u232a': '\u27e9'})


class _TextOf(html.parser.HTMLParser):
    """Visible text: script/style dropped, and SVG's <title>/<desc> (never drawn)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip, self.svg = [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag == 'svg':
            self.svg += 1
        if tag in ('script', 'style') or (self.svg and tag in ('title', 'desc')):
            self.skip += 1
        if tag in BLOCK_TAGS:
            self.out.append(' ')

    def handle_endtag(self, tag):
        if (tag in ('script', 'style') or (self.svg and tag in ('title', 'desc'))) and self.skip:
            self.skip -= 1
        if tag == 'svg' and self.svg:
            self.svg -= 1
        if tag in BLOCK_TAGS:
            self.out.append(' ')

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def collapse(s: str) -> str:
    return ' '.join(s.split())


def norm_text(s) -> str:
    """The expected value as moa presents text: markup converted to text, entities decoded, invisible
    characters dropped, whitespace collapsed."""
    if s is None:
        return ''
    s = str(s)
    if MARKUP_RE.search(s):
        p = _TextOf()
        p.feed(s)
        p.close()
        s = ''.join(p.out)
    else:
        s = html.unescape(s)
    return collapse(INVISIBLE_RE.sub('', s.translate(HTML4_TO_HTML5)))


def norm_url(u) -> str:
    if not u:
        return ''
    u = str(u).strip()
    try:
        p = urllib.parse.urlsplit(u)
    except ValueError:
        return u
    scheme = p.scheme.lower()
    host = (p.hostname or '').lower()
    try:
        host = host.encode('idna').decode('ascii') if host and not host.isascii() else host
    except UnicodeError:
        pass
    try:
        port = p.port
    except ValueError:
        port = None
    netloc = host
    if p.username or p.password:
        netloc = (p.username or '') + (':' + p.password if p.password else '') + '@' + netloc
    if port and not ((scheme == 'http' and port == 80) or (scheme == 'https' and port == 443)):
        netloc += f':{port}'
    path = p.path or ('/' if scheme in ('http', 'https') else '')
    path = urllib.parse.quote(path, safe="/%:@!$&'()*+,;=~-._")
    query = urllib.parse.quote(p.query, safe="/%:@!$&'()*+,;=?~-._") if p.query else ''
    keep_fragment = p.fragment.startswith(('!', '/'))
    return urllib.parse.urlunsplit((scheme, netloc, path, query, p.fragment if keep_fragment else ''))


def norm_encoding(e) -> str:
    e = str(e or '').strip().lower().replace('_', '-') if e else ''
    e = WHATWG_LABELS.get(e, e)
    m = re.fullmatch(r'(?:cp|windows-)(125\d|874)', e)
    if m:
        e = f'windows-{m.group(1)}'
    return SAME_DECODER.get(e, e)


RFC3339_RE = re.compile(r'^(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)')


def moa_date(s) -> tuple | None:
    if not s:
        return None
    m = RFC3339_RE.match(s)
    return tuple(int(x) for x in m.groups()) if m else None


def parse_date_string(s: str) -> tuple | None:
    """A raw date string as the standard library reads it (RFC 822 or ISO 8601), as a UTC 6-tuple."""
    s = s.strip()
    try:
        d = email.utils.parsedate_to_datetime(s)
    except (TypeError, ValueError, IndexError):
        d = None
    if d is None:
        try:
            d = datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))
        except ValueError:
            return None
    if d.tzinfo is not None:
        d = d.astimezone(datetime.timezone.utc)
    return (d.year, d.month, d.day, d.hour, d.minute, d.second)


XML_DECL_ENCODING_RE = re.compile(r'<\?xml[^>]*?encoding\s*=\s*["\']([^"\']+)["\']')


def declared_encoding(source: str) -> str | None:
    m = XML_DECL_ENCODING_RE.search(source[:500])
    return m.group(1) if m else None


# --------------------------------------------------------------------------------------------- judging

@dataclass
class Ctx:
    case: Case
    doc: dict


def moa_value(doc: dict, ref: Ref):
    """The moa output at `ref`, or None when absent (an entry or category that is not there)."""
    if doc is None or 'error' in doc:
        return None
    f = ref.field
    idx = list(ref.indices)
    if f == 'len(entries)':
        return len(doc.get('entries') or [])
    if f.startswith('len('):
        entry = _entry(doc, idx[0])
        return len(entry.get('categories') or []) if entry is not None else 0
    if not f.startswith('entries.'):
        return doc.get(f)
    entry = _entry(doc, idx[0])
    if entry is None:
        return None
    rest = f.split('.')[2:]
    key = rest[0]
    v = entry.get(key)
    if key == 'categories':
        j = idx[1] if rest[1] == '#' else int(rest[1])
        return v[j] if v and -len(v) <= j < len(v) else None
    return v


def _entry(doc, i):
    if not doc or 'error' in doc:
        return None
    entries = doc.get('entries') or []
    return entries[i] if -len(entries) <= i < len(entries) else None


def is_empty(v) -> bool:
    return v is None or v == '' or v == [] or v is False


TEXT_KINDS = ('text', 'summary', 'content', 'author', 'category')
AUTHOR_WITH_EMAIL_RE = re.compile(r'^(.*\S)\s+\(([^()\s]+@[^()\s]+)\)$')


def agree_value(ref: Ref, expected, ctx: Ctx) -> bool:
    kind, doc = ref.kind, ctx.doc
    if kind in ('date', 'datestr'):
        return agree_date(ref, expected, doc)
    got = moa_value(doc, ref)
    if isinstance(expected, Ref):  # entries[0]['title'] == entries[1]['title']: both sides are moa's
        return _norm(kind, got, moa_side=True) == _norm(kind, moa_value(doc, expected), moa_side=True)
    textual = kind in TEXT_KINDS
    if expected is None or expected == '' or expected == [] or expected is False \
            or (textual and norm_text(expected) == ''):  # e.g. '<img alt="x" />': no text
        return is_empty(got) or (textual and collapse(str(got)) == '')
    if is_empty(got):
        return False
    have = _norm(kind, got, moa_side=True)
    if kind in ('summary', 'content'):
        want = norm_text(expected)
        return want == have or (have.endswith('\u2026') and want.startswith(have[:-1].rstrip()))
    if kind == 'author':
        m = AUTHOR_WITH_EMAIL_RE.match(norm_text(expected))
        if m and have == m.group(1):
            return True
    if kind == 'category' and have in category_labels(ctx.case.source, norm_text(expected)):
        return True
    if kind == 'id':
        check_guid_unique(ctx, str(expected).strip())
        if have != str(expected).strip() and ctx.case.base and not urllib.parse.urlsplit(have).scheme \
                and urllib.parse.urljoin(ctx.case.base, have) == str(expected).strip():
            return True  # moa keeps a GUID verbatim; feedparser resolves it against the base
    if kind == 'encoding':
        expected = moa_encoding_choice(ctx.case, expected)
    return _norm(kind, expected) == have


def moa_encoding_choice(case: Case, expected):
    """moa trusts a document's XML declaration over the HTTP charset on purpose (servers often send a
    wrong one); feedparser lets the HTTP charset win. When both are there and differ, the declaration's
    encoding is what moa means to report."""
    declared, charset = declared_encoding(case.source), case.charset
    if declared and charset and norm_encoding(declared) != norm_encoding(charset) \
            and norm_encoding(expected) == norm_encoding(charset) \
            and not norm_encoding(declared).startswith(('utf-16', 'utf-32')):
        return declared
    return expected


def category_labels(source: str, term: str) -> set[str]:
    labels = set()
    for m in re.finditer(r'<(?:[\w.-]+:)?category\b([^>]*)>', source):
        attrs = dict((k, html.unescape(v1 or v2))
                     for k, v1, v2 in re.findall(r'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')', m.group(1)))
        if collapse(attrs.get('term', '')) == term and attrs.get('label'):
            labels.add(collapse(attrs['label']))
    return labels


def check_guid_unique(ctx: Ctx, guid: str):
    """moa uses a GUID only when it is unique in the document (else the link or a hash) on purpose: a case
    about a GUID written twice cannot be measured."""
    n = len(re.findall(r'>\s*' + re.escape(html.escape(guid, quote=False)) + r'\s*<', ctx.case.source))
    if n > 1:
        raise Unmapped('the expected GUID is written on several entries (moa ignores repeated GUIDs)')


def _norm(kind, v, moa_side=False):
    """Expected values are normalized to moa's conventions; moa's own text only has whitespace collapsed."""
    if v is None:
        return None
    if kind in TEXT_KINDS:
        return collapse(str(v)) if moa_side else norm_text(v)
    if kind == 'url':
        return norm_url(v)
    if kind in ('id', 'lang'):
        return str(v).strip()
    if kind == 'format':
        return VERSION_TO_FORMAT.get(v, v)
    if kind == 'encoding':
        return norm_encoding(v)
    if kind == 'int':
        try:
            return int(v)
        except (TypeError, ValueError):
            return v
    return v


def agree_date(ref: Ref, expected, doc: dict) -> bool:
    if ref.kind == 'datestr' and expected is not None:
        want = parse_date_string(str(expected))
    else:
        want = tuple(expected[:6]) if expected else None
    entry = _entry(doc, ref.indices[0])
    got = [moa_date(entry.get(k)) for k in ('published', 'updated')] if entry else [None, None]
    if want is None:
        return all(g is None for g in got)
    return want in got


def agree_leaf(leaf: Leaf, ctx: Ctx) -> bool:
    if isinstance(leaf, DateLeaf):
        return agree_date(leaf.refs()[0], leaf.expected, ctx.doc)
    if isinstance(leaf, TruthLeaf):
        return not is_empty(moa_value(ctx.doc, leaf.ref))
    ok = agree_value(leaf.left, leaf.right, ctx)
    return ok if leaf.op == 'eq' else not ok


def evaluate(tree, ctx: Ctx) -> bool:
    tag = tree[0]
    if tag == 'leaf':
        return agree_leaf(tree[1], ctx)
    if tag == 'not':
        return not evaluate(tree[1], ctx)
    values = [evaluate(k, ctx) for k in tree[1]]
    return all(values) if tag == 'and' else any(values)


# --------------------------------------------------------------------------------------------- mapping

SUMMARY_ELEMENT_RE = re.compile(r'<(?:[\w.-]+:)?(?:summary|description)\b', re.I)
ENTRY_RE = re.compile(r'<((?:[\w.-]+:)?(?:item|entry))\b[^>]*?(?:/>|>(.*?)</\1\s*>)', re.S)


def entry_has_summary(source: str, i: int) -> bool:
    blocks = [m.group(2) or '' for m in ENTRY_RE.finditer(source)]
    if not blocks or not -len(blocks) <= i < len(blocks):
        return False
    return bool(SUMMARY_ELEMENT_RE.search(blocks[i]))


def plan(case: Case, has_language_flag: bool):
    """Sets case.tree and case.flags, or marks the case unmapped with a reason."""
    if case.tree is not None:   # the synthetic date cases
        case.flags = ('--timezone', case.timezone)
        return
    if case.id in CONVENTIONS:
        case.status, case.reason = 'unmapped', CONVENTIONS[case.id]
        return
    try:
        tree = reduce(ast.parse(case.expect, mode='eval').body)
    except SyntaxError as e:
        case.status, case.reason = 'unmapped', f'Expect does not parse: {e.msg}'
        return
    except Unmapped as e:
        case.status, case.reason = 'unmapped', str(e)
        return
    if tree is None:
        case.status, case.reason = 'unmapped', 'only bozo'
        return
    flags = ['--timezone', case.timezone]
    headers = case.headers
    doc_url = None
    if 'http' in case.id:
        doc_url = 'http://127.0.0.1:8097/tests/' + case.id
        loc = headers.get('content-location')
        if loc:
            joined = urllib.parse.urljoin(doc_url, loc)
            if urllib.parse.urlsplit(joined).scheme in ('http', 'https'):
                doc_url = joined
        flags += ['--url', doc_url]
        case.base = doc_url
    ctype = headers.get('content-type', '')
    # The charset parameter, read leniently (`charset = 'x'`): what is measured is the parser given it.
    charset = re.search(r'charset\s*=\s*["\']?([^;"\'\s]+)', ctype, re.I)
    if charset:
        case.charset = charset.group(1)
        flags += ['--charset', case.charset]
    for leaf in leaves_of(tree):
        for ref in leaf.refs():
            if ref.kind == 'content' and entry_has_summary(case.source, ref.indices[0]):
                case.status = 'unmapped'
                case.reason = 'content clause on an entry that also has a summary (moa summarizes that)'
                return
            if ref.kind == 'encoding' and ctype and not charset and re.match(r'\s*text/', ctype, re.I):
                case.status = 'unmapped'
                case.reason = ('encoding of a text/* response without charset (RFC 3023 us-ascii default, '
                               'superseded by RFC 7303; moa parse takes no media type)')
                return
            if ref.field == 'language' and 'content-language' in headers:
                if has_language_flag:
                    flags_lang = ['--language', headers['content-language']]
                    if flags_lang[0] not in flags:
                        flags += flags_lang
                elif not re.search(r'<language>|xml:lang=|<dc:language>', case.source):
                    case.status = 'unmapped'
                    case.reason = 'language from the Content-Language header (moa parse has no --language)'
                    return
        if isinstance(leaf, CmpLeaf) and leaf.left.kind == 'datestr' and not isinstance(leaf.right, Ref) \
                and leaf.right and parse_date_string(str(leaf.right)) is None:
            case.status, case.reason = 'unmapped', f'raw date string the stdlib cannot read: {leaf.right!r}'
            return
    case.tree = tree
    case.flags = tuple(flags)


# ------------------------------------------------------------------------------------------ running moa

def run_moa(moa: str, cases: list[Case]) -> dict[str, dict]:
    """moa's output per document path; {'error': message} for a document moa refused or crashed on."""
    out: dict[str, dict] = {}
    groups = collections.defaultdict(list)
    for c in cases:
        groups[c.flags].append(c.path)
    for flags, paths in groups.items():
        paths = sorted(set(paths))
        for start in range(0, len(paths), BATCH):
            batch = paths[start:start + BATCH]
            out.update(_run_batch(moa, list(flags), batch))
    return out


def _invoke(moa, flags, paths, timeout):
    cmd = [moa, 'parse', *flags, *paths]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, 'timeout'
    return (p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace'), p.returncode)


def _run_batch(moa, flags, paths):
    stdout, stderr, rc = _invoke(moa, flags, paths, 300)
    if stdout is not None and rc in (0, 1):
        lines = [l for l in stdout.splitlines() if l.strip()]
        failed = {}
        for p in paths:
            m = re.search('^moa: ' + re.escape(p) + r': (.*)$', stderr, re.M)
            if m:
                failed[p] = m.group(1)
        ok = [p for p in paths if p not in failed]
        if len(ok) == len(lines) and (len(paths) > 1 or not ok):
            result = {p: {'error': e} for p, e in failed.items()}
            try:
                for p, line in zip(ok, lines):
                    result[p] = json.loads(line)
                return result
            except json.JSONDecodeError:
                pass
        if len(paths) == 1 and ok:
            try:
                return {paths[0]: json.loads(stdout)}
            except json.JSONDecodeError:
                return {paths[0]: {'error': 'unreadable output: ' + stdout[:200]}}
    if len(paths) == 1:
        msg = 'timeout' if rc == 'timeout' else f'exit {rc}: ' + (stderr or '').strip()[-300:]
        return {paths[0]: {'error': msg}}
    # Something went wrong for the batch as a whole (a crash): one process per document.
    result = {}
    for p in paths:
        result.update(_run_batch(moa, flags, [p]))
    return result


# ------------------------------------------------------------------------------------------- reporting

def relevant(case: Case, doc: dict) -> dict:
    if doc is None:
        return {'error': 'no output'}
    if 'error' in doc:
        return {'error': doc['error']}
    shown = {}
    for leaf in leaves_of(case.tree):
        for ref in leaf.refs():
            if ref.kind == 'date' or ref.kind == 'datestr':
                e = _entry(doc, ref.indices[0])
                for k in ('published', 'updated'):
                    shown[f'entries.{ref.indices[0]}.{k}'] = e.get(k) if e else None
            else:
                shown[ref.label()] = moa_value(doc, ref)
    if doc.get('warnings'):
        shown['warnings'] = doc['warnings']
    return shown


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--suite', default=os.environ.get('FEEDPARSER_TESTS', '/tmp/fp/feedparser-6.0.11/tests'),
                    help="feedparser's tests/ directory (default: $FEEDPARSER_TESTS or %(default)s)")
    ap.add_argument('--moa', default=os.path.join(here, '..', '..', 'target', 'debug', 'moa'))
    ap.add_argument('--failures', nargs='?', const='', metavar='FAMILY',
                    help='print each disagreeing case (of families starting with FAMILY)')
    ap.add_argument('--unmapped', nargs='?', const='', metavar='FAMILY',
                    help='print each unmapped case with its reason')
    ap.add_argument('--json', metavar='FILE', help='write per-case results')
    ap.add_argument('--only', metavar='PREFIX', help='run only the cases whose id starts with PREFIX')
    ap.add_argument('--compare', metavar='OLD_JSON', help='print cases whose result changed since OLD_JSON')
    args = ap.parse_args()

    moa = os.path.abspath(args.moa)
    if not os.access(moa, os.X_OK):
        print(f'no moa binary at {moa}', file=sys.stderr)
        return 2
    help_text = subprocess.run([moa, 'parse', '--help'], capture_output=True, text=True).stdout
    has_language = '--language' in help_text

    cases = read_suite(args.suite)
    with tempfile.TemporaryDirectory(prefix='moa-fp-dates-') as tmp:
        cases += date_cases(os.path.join(args.suite, 'runtests.py'), tmp)
        for c in cases:
            plan(c, has_language)
        mapped = [c for c in cases if c.tree is not None and not c.status]
        if args.only:
            mapped = [c for c in mapped if c.id.startswith(args.only)]
            cases = [c for c in cases if c.id.startswith(args.only)]
        outputs = run_moa(moa, mapped)
    for c in mapped:
        doc = outputs.get(c.path)
        try:
            ok = evaluate(c.tree, Ctx(c, doc or {'error': 'no output'}))
        except Unmapped as e:  # a clause that turned out to depend on a convention of moa's
            c.status, c.reason = 'unmapped', str(e)
            continue
        except Exception as e:  # a harness bug must show, not stop the run
            ok, c.reason = False, f'harness error: {type(e).__name__}: {e}'
        c.status = 'agree' if ok else 'disagree'
        c.moa_fields = relevant(c, doc)

    report(cases, args)
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump({c.id: {'family': c.family, 'status': c.status, 'expect': c.expect, 'reason': c.reason,
                              'flags': list(c.flags), 'moa': c.moa_fields} for c in cases},
                      f, ensure_ascii=False, indent=1, sort_keys=True)
    if args.compare:
        with open(args.compare, encoding='utf-8') as f:
            old = json.load(f)
        flipped = [(cid, old[cid]['status'], c.status) for c in cases for cid in [c.id]
                   if cid in old and old[cid]['status'] != c.status]
        print(f'\n{len(flipped)} cases changed since {args.compare}:')
        for cid, was, now in sorted(flipped):
            print(f'  {was:>9} -> {now:<9} {cid}')
        gone = sorted(set(old) - {c.id for c in cases})
        if gone:
            print(f'  ({len(gone)} cases of the old run are not in this one)')
    return 0


def report(cases: list[Case], args):
    fams = collections.OrderedDict()
    for c in sorted(cases, key=lambda c: c.family):
        fams.setdefault(c.family, collections.Counter())[c.status] += 1
    tot = collections.Counter(c.status for c in cases)
    mapped = tot['agree'] + tot['disagree']
    moa = os.path.abspath(args.moa)
    built = datetime.datetime.fromtimestamp(os.path.getmtime(moa), datetime.timezone.utc)
    print(f'{os.path.basename(os.path.dirname(os.path.abspath(args.suite)))} suite vs {os.path.relpath(moa)} '
          f'(built {built:%Y-%m-%d %H:%M} UTC)')
    print(f'cases: {len(cases)}  mapped: {mapped}  unmapped: {tot["unmapped"]}')
    pct = 100 * tot['agree'] / mapped if mapped else 0
    print(f'agreement: {tot["agree"]}/{mapped} = {pct:.1f}%\n')
    print(f'{"family":<24} {"agree":>6} {"mapped":>7} {"%":>6} {"unmapped":>9}')
    for fam, cnt in fams.items():
        m = cnt['agree'] + cnt['disagree']
        p = f'{100 * cnt["agree"] / m:.1f}' if m else '-'
        print(f'{fam:<24} {cnt["agree"]:>6} {m:>7} {p:>6} {cnt["unmapped"]:>9}')
    if args.failures is not None:
        print('\nDisagreements:')
        for c in cases:
            if c.status == 'disagree' and c.family.startswith(args.failures):
                print(f'\n{c.id}' + (f'  [{c.description}]' if c.family == 'dates' else ''))
                print(f'  expect: {c.expect}')
                if c.flags:
                    print(f'  flags:  {" ".join(c.flags)}')
                if c.reason:
                    print(f'  note:   {c.reason}')
                print(f'  moa:    {json.dumps(c.moa_fields, ensure_ascii=False)}')
    if args.unmapped is not None:
        reasons = collections.Counter()
        print('\nUnmapped:')
        for c in cases:
            if c.status == 'unmapped' and c.family.startswith(args.unmapped):
                print(f'  {c.id}: {c.reason}')
                reasons[re.sub(r'\[-?\d+\]', '[#]', re.sub(r': (?!.*\[).*', '', c.reason))] += 1
        print('\nUnmapped reasons:')
        for r, n in reasons.most_common():
            print(f'  {n:5} {r}')


if __name__ == '__main__':
    sys.exit(main())
