#!/usr/bin/env python3
"""Finds import cycles between the modules (files) of a crate's src/ folder.

Usage: scripts/module-cycles.py connector/src transform/src
Prints each cycle (a strongly connected set of files that import each other through `crate::`, `super::`
or `self::` paths) and exits 1 if there is any, 0 otherwise. docs/architecture.md says why: layers import
only downward. The test suite runs it (see scripts/test.sh).
"""
import os
import re
import sys

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*?)\}", re.S)
COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def modules(src):
    """Maps each module path (a tuple of names) to its file."""
    found = {}
    for root, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, name), src)
            parts = rel[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            found[tuple(parts)] = rel
    return found


def strip_tests(text):
    """Drops `#[cfg(test)] mod … { … }` blocks: tests may import anything."""
    out, i = [], 0
    while True:
        j = text.find("#[cfg(test)]", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        k = text.find("{", j)
        semi = text.find(";", j)
        if k < 0 or (0 <= semi < k):
            i = semi + 1 if semi >= 0 else len(text)
            continue
        depth, k = 0, k
        while k < len(text):
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            k += 1
            if depth == 0:
                break
        i = k


def base_of(kind, here, is_dir_module):
    if kind == "crate":
        return ()
    # `self` is this module; `super` its parent. For a mod.rs, `self` is the folder.
    return here if kind == "self" else here[:-1]


def targets(text, here, mods, is_dir_module):
    text = STRING.sub('""', COMMENT.sub("", strip_tests(text)))
    paths = []
    for kind, prefix, inner in GROUP.findall(text):
        for item in re.split(r"[,\s]+", re.sub(r"\{[^}]*\}", "", inner)):
            name = item.split("::")[0].strip()
            if name and name != "self":
                paths.append((kind, prefix + "::" + name))
    paths += PATH.findall(text)
    out = set()
    for kind, rest in paths:
        base = base_of(kind, here, is_dir_module)
        names = [n for n in rest.split("::") if n]
        while names and names[0] == "super":
            base, names = base[:-1], names[1:]
        full = base + tuple(names)
        for cut in range(len(full), -1, -1):
            if full[:cut] in mods:
                if full[:cut] != here:
                    out.add(full[:cut])
                break
    return out


def cycles(src):
    mods = modules(src)
    graph = {}
    for path, rel in mods.items():
        with open(os.path.join(src, rel), encoding="utf-8") as f:
            text = f.read()
        dir_module = rel.endswith(("mod.rs", "lib.rs", "main.rs"))
        graph[path] = targets(text, path, mods, dir_module)
    # Tarjan's strongly connected components.
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
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
            if len(comp) > 1:
                comps.append(sorted(mods[m] for m in comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return comps


def main():
    bad = 0
    for src in sys.argv[1:]:
        for comp in cycles(src):
            bad += 1
            print(f"{src}: import cycle between {len(comp)} files: {', '.join(comp)}")
    if bad == 0:
        print("no import cycles in " + ", ".join(sys.argv[1:]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
