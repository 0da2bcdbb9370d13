#!/usr/bin/env python3
"""The code's shape, checked by CI: no import cycle between the modules of a crate, no source file over 600
lines (tests, generated data aside), no function over 80 lines without a `// Over 80 lines: …` reason above it.
Usage: scripts/shape.py [-v]  (-v prints each crate's module graph)."""
import pathlib, re, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRATES = ["crates/moa/src", "crates/moa-feed/src", "crates/moa-store/src", "crates/moa-search/src"]
GENERATED = {"entities.rs"}
MAX_FILE, MAX_FN = 600, 80


def without_tests(text):
    return re.split(r"\n#\[cfg\(test\)\]\s*\nmod tests", text)[0]


def modules(root_file):
    """Every module of the crate rooted at `root_file` (lib.rs or main.rs) with its file, found through `mod x;`
    declarations (`#[path]` included: a file compiled twice is two modules)."""
    mods = {}

    def walk(path, file):
        mods[path] = file
        text = without_tests(file.read_text())
        own_dir = file.parent if file.name in ("lib.rs", "main.rs", "mod.rs") else file.with_suffix("")
        for m in re.finditer(r'^(?:#\[path = "([^"]+)"\]\s*)?(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod (\w+);', text, re.M):
            if m.group(1):
                child = (file.parent / m.group(1)).resolve()
            else:
                child = own_dir / f"{m.group(2)}.rs"
                if not child.exists():
                    child = own_dir / m.group(2) / "mod.rs"
            if child.exists():
                walk(path + (m.group(2),), child)

    walk((), root_file)
    return mods


def graph(mods):
    """A -> B when A's code names an item of module B (a path through crate::, super::, self:: or a child). A
    `pub use` is a facade, not a dependency: it adds no edge, and a path through it leads to where the item is."""
    def resolve(path):
        for n in range(len(path), -1, -1):
            if tuple(path[:n]) in mods:
                return tuple(path[:n])
        return None

    def relative(m, base):
        return {"crate": [], "super": list(m[:-1]), "self": list(m)}.get(base, list(m) + [base])

    reexport = re.compile(r"^pub(?:\(crate\))? use (?:(crate|self|super)::)?(\w+(?:::\w+)*)(?:::\{([^}]*)\})?;", re.M)
    aliases = {}
    texts = {}
    for m, p in mods.items():
        text = re.sub(r"//.*", "", without_tests(p.read_text()))
        for mm in reexport.finditer(text):
            segs = mm.group(2).split("::")
            start = relative(m, mm.group(1)) if mm.group(1) else list(m)
            names = [n.strip().split(" as ")[0] for n in (mm.group(3) or "").split(",") if n.strip()]
            if not names:
                names, segs = [segs[-1]], segs[:-1]
            target = resolve(start + segs)
            for n in names:
                if target is not None and target != m:
                    aliases[(m, n.split("::")[-1])] = target
        texts[m] = reexport.sub("", text)

    def target_of(path):
        t = resolve(path)
        for _ in range(8):
            if t is None or len(path) <= len(t) or (t, path[len(t)]) not in aliases:
                break
            path = list(aliases[(t, path[len(t)])]) + path[len(t) + 1 :]
            t = resolve(path)
        return t

    edges = {m: set() for m in mods}
    for m, text in texts.items():
        for mm in re.finditer(r"\b(crate|super|self)((?:::\w+)*)(::\{([^}]*)\})?", text):
            start = relative(m, mm.group(1))
            segs = [x for x in mm.group(2).strip(":").split("::") if x]
            paths = [start + segs] if segs else []
            for item in (mm.group(4) or "").split(","):
                item = item.strip().split(" as ")[0]
                if item and item != "self":
                    paths.append(start + segs + item.split("::"))
            for path in paths:
                t = target_of(path)
                # A module naming its own ancestor only to reach a sibling (`super::x`) depends on x, not on it.
                if t is not None and t != m and not (m[: len(t)] == t and tuple(path) == t):
                    edges[m].add(t)
        for child in (k for k in mods if len(k) == len(m) + 1 and k[: len(m)] == m):
            if re.search(r"(?<![:\w])" + child[-1] + r"::", text):
                edges[m].add(child)
    return edges


def cycles(edges):
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            strong(v)
    return found


def long_functions(path, text):
    lines = without_tests(text).split("\n")
    start = re.compile(r"^(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")
    for i, line in enumerate(lines):
        m = start.match(line)
        if not m:
            continue
        indent = m.group(1)
        for j in range(i + 1, len(lines)):
            if lines[j].startswith(indent + "}") and not lines[j].startswith(indent + "} else"):
                length = j - i + 1
                above = "\n".join(lines[max(0, i - 8) : i])
                if length > MAX_FN and "Over 80 lines:" not in above:
                    yield f"{path}:{i + 1}: fn {m.group(7)} is {length} lines (split it, or write `// Over 80 lines: why` above it)"
                break
            if j == i + 1 and line.rstrip().endswith(";"):
                break


def main():
    problems = []
    for crate in CRATES:
        src = ROOT / crate
        name = lambda t: "::".join(t) or "(root)"
        for root_file in (src / "lib.rs", src / "main.rs"):
            if not root_file.exists():
                continue
            edges = graph(modules(root_file))
            label = f"{crate}/{root_file.name}"
            if "-v" in sys.argv:
                for m in sorted(edges):
                    print(f"{label}: {name(m)} -> {', '.join(sorted(name(t) for t in edges[m]))}")
            for comp in cycles(edges):
                inside = [f"{name(a)} -> {name(b)}" for a in comp for b in sorted(edges[a]) if b in comp]
                problems.append(f"{label}: import cycle: {'; '.join(sorted(inside))}")
        for p in sorted(src.rglob("*.rs")):
            if p.name in GENERATED:
                continue
            text = p.read_text()
            n = without_tests(text).count("\n")
            rel = p.relative_to(ROOT)
            if n > MAX_FILE:
                problems.append(f"{rel}: {n} lines without its tests (at most {MAX_FILE})")
            problems.extend(long_functions(rel, text))
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"shape ok: no import cycle, no file over {MAX_FILE} lines, no function over {MAX_FN} lines without a reason")


main()
