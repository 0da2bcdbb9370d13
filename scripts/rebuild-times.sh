#!/usr/bin/env bash
# Incremental rebuild after one real edit (then undone): a template, a crawler file ($1), the parser's root.
# Used for BENCHMARKS.md ("One room per stage"). Restores each file it edits.
# $2: what to build (default: the binary; "--tests" for every test binary of the app).
set -e
what=${2:---bin moa}
edit() { # file, text
  cp "$1" /tmp/rebuild.bak; printf '%s\n' "$2" >> "$1"
  /usr/bin/time -f "%e" -o /tmp/rebuild.t cargo build -q -p moa $what 2>/dev/null
  cp /tmp/rebuild.bak "$1"; echo "$(basename "$1"): $(cat /tmp/rebuild.t) s"
  cargo build -q -p moa $what 2>/dev/null
}
cargo build -q -p moa $what 2>/dev/null
edit crates/moa/templates/home.html "<p>{{ ui.q }} $RANDOM</p>"
edit "$1" "pub fn rebuild_probe() -> u32 { $RANDOM }"
edit crates/moa-feed/src/lib.rs "#[doc(hidden)] pub fn rebuild_probe() -> u32 { $RANDOM }"
