#!/usr/bin/env python3
"""Import cycles between the modules of each crate: which module names which (`crate::m`,
`super::m` at the top level), the strongly connected components of that graph, and the edges
inside each. Prints one line per crate and one per cycle; exits 1 when a crate has a cycle
(with --check), 0 otherwise.

    scripts/module_cycles.py                                # report
    scripts/module_cycles.py --check                        # fail on any cycle
    scripts/module_cycles.py --check --known ronda-store    # CI: fail on a cycle elsewhere

`--known CRATE` names a crate whose cycle is known (reported, not failed) until it is broken.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def modules(src: pathlib.Path):
    """Top-level module name -> its source text (a directory module includes its children)."""
    out = {}
    for f in sorted(src.glob("*.rs")):
        if f.stem in ("lib", "main"):
            continue
        out[f.stem] = f.read_text()
    for d in sorted(p for p in src.iterdir() if p.is_dir()):
        text = "".join(f.read_text() for f in sorted(d.rglob("*.rs")))
        out.setdefault(d.name, "")
        out[d.name] += text
    return out


def strip_comments_and_tests(text: str) -> str:
    text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
    return re.sub(r"//[^\n]*", "", text)


def graph(mods):
    g = {m: set() for m in mods}
    for m, text in mods.items():
        body = strip_comments_and_tests(text)
        for other in re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", body):
            if other in mods and other != m:
                g[m].add(other)
        # `use crate::{a, b::c}` groups
        for group in re.findall(r"\bcrate::\{([^}]*)\}", body):
            for other in re.findall(r"(?:^|[\s,{])([a-z_][a-z0-9_]*)", group):
                if other in mods and other != m:
                    g[m].add(other)
    return g


def sccs(g):
    index, low, on, stack, out, n = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
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
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(g):
        if v not in index:
            visit(v)
    return [c for c in out if len(c) > 1]


def main():
    args = sys.argv[1:]
    check = "--check" in args
    known = {args[i + 1] for i, a in enumerate(args[:-1]) if a == "--known"}
    failed = False
    for src in sorted(ROOT.glob("crates/*/src")):
        crate = src.parent.name
        g = graph(modules(src))
        cycles = sccs(g)
        edges = sum(len(v) for v in g.values())
        print(f"{crate}: {len(g)} modules, {edges} edges, {len(cycles)} cycle(s)")
        for c in cycles:
            inner = sorted(f"{a}->{b}" for a in c for b in g[a] if b in c)
            note = " (known)" if crate in known else ""
            print(f"  cycle of {len(c)}{note}: {' '.join(c)}  [{', '.join(inner)}]")
            failed = failed or crate not in known
    return 1 if (check and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
