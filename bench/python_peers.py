#!/usr/bin/env python3
"""Python feedparser and feedparser-rs (PyPI) on the same corpus as `moa-bench`, best of N passes.

    pip install feedparser feedparser-rs
    python3 bench/python_peers.py [DIR] [--passes N]
"""
import os
import sys
import time


def main():
    args = sys.argv[1:]
    passes = 3
    if "--passes" in args:
        i = args.index("--passes")
        passes = int(args[i + 1])
        del args[i : i + 2]
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = args[0] if args else os.path.join(here, "..", "testdata", "feeds", "real")
    files = []
    for name in sorted(os.listdir(corpus)):
        if name.endswith((".xml", ".json")):
            with open(os.path.join(corpus, name), "rb") as f:
                files.append(f.read())
    total = sum(len(b) for b in files)
    print(f"corpus: {len(files)} files, {total / 1e6:.1f} MB, best of {passes} passes")
    print(f"{'parser':<14} {'ok':>7} {'entries':>9} {'time':>10} {'MB/s':>12} {'kentries/s':>10}")

    import feedparser
    import feedparser_rs

    def fp(data):
        d = feedparser.parse(data)
        if d.get("bozo") and not d.entries and not d.feed:
            return None
        return len(d.entries)

    def fprs(data):
        try:
            d = feedparser_rs.parse(data)
        except Exception:
            return None
        return len(d.entries)

    for name, parser in [("feedparser", fp), ("feedparser-rs", fprs)]:
        best = float("inf")
        for _ in range(passes):
            ok = entries = size = 0
            started = time.perf_counter()
            for data in files:
                n = parser(data)
                if n is not None:
                    ok += 1
                    entries += n
                    size += len(data)
            best = min(best, time.perf_counter() - started)
        print(f"{name:<14} {ok:>7} {entries:>9} {best * 1e3:>8.1f}ms {size / 1e6 / best:>12.1f} {entries / 1e3 / best:>10.1f}")


if __name__ == "__main__":
    main()
