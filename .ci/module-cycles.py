#!/usr/bin/env python3
"""Module-level import cycles in the workspace's crates (issue 12: "no import circles").

Usage: python3 .ci/module-cycles.py [CRATE=SRC_DIR ...]   (default: every workspace crate's src/)
Exit 1 when any crate has a cycle: module A refers to B (a `use`, or a crate::/super::/self:: path) and B, directly
or through siblings, refers back to A. Edges between a module and its own ancestors are ignored; inline
`mod tests` blocks count as their file's module. Hand-written on purpose: the tools that draw Rust module
graphs (cargo-modules) need a rust-analyzer build of their own, and this check only needs the `use` trees.
"""
import os, re, sys
from itertools import chain

def modules(src):
    mods = {}
    for dp, _, fs in os.walk(src):
        for f in fs:
            if not f.endswith('.rs'):
                continue
            rel = os.path.relpath(os.path.join(dp, f), src)[:-3].split(os.sep)
            if rel in (['lib'], ['main']):
                path = ()
            elif rel[-1] == 'mod':
                path = tuple(rel[:-1])
            else:
                path = tuple(rel)
            mods[path] = os.path.join(dp, f)
    return mods

def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    return '\n'.join(l for l in text.split('\n') if not l.lstrip().startswith('//'))

def expand_use(tree):
    """'a::{b, c::d}' -> ['a::b', 'a::c::d'] (enough for these crates)."""
    tree = tree.strip()
    m = re.match(r'^(.*?)\{(.*)\}$', tree, flags=re.S)
    if not m:
        return [tree]
    prefix, inner = m.group(1), m.group(2)
    parts, depth, cur = [], 0, ''
    for ch in inner:
        if ch == ',' and depth == 0:
            parts.append(cur); cur = ''
            continue
        depth += ch == '{'; depth -= ch == '}'
        cur += ch
    parts.append(cur)
    return list(chain.from_iterable(expand_use(prefix + p.strip()) for p in parts if p.strip()))

def root_reexports(mods):
    out = {}
    text = strip_comments(open(mods[()]).read())
    for m in re.finditer(r'pub use\s+([^;]+);', text):
        for p in expand_use(m.group(1)):
            segs = [s for s in p.split('::') if s not in ('crate', 'self')]
            if segs and segs[0] != 'super':
                name = segs[-1].split(' as ')[-1].strip()
                out[name] = (segs[0],)
    return out

def resolve(segs, mods, reexp):
    """Longest known module prefix of a path below the crate root."""
    best = None
    for i in range(1, len(segs) + 1):
        if tuple(segs[:i]) in mods:
            best = tuple(segs[:i])
    if best is None and segs and segs[0] in reexp:
        best = reexp[segs[0]]
    return best

def strip_literals(text):
    """Blanks string and char literals (their braces must not count), keeping line breaks."""
    pat = re.compile(r'r(#*)".*?"\1|b?"(?:\\.|[^"\\])*"|b?\'(?:\\.|[^\\\'])\'', re.S)
    return pat.sub(lambda m: '""' + '\n' * m.group(0).count('\n'), text)

def references(text):
    """(inline-mod depth, path) for every `use` tree and every crate::/super::/self:: path in code."""
    refs = []
    depth, inline = 0, []          # brace depth; depths at which inline `mod x {` blocks opened
    pending_mod = False
    for line in text.split('\n'):
        m = re.match(r'^\s*(?:pub(?:\([a-z]+\))?\s+)?use\s+([^;]+);', line)
        if m:
            for p in expand_use(m.group(1)):
                refs.append((len(inline), p))
        else:
            for m in re.finditer(r'(?<![\w:])((?:crate|super|self)(?:::\w+)+)', line):
                refs.append((len(inline), m.group(1)))
        if re.match(r'^\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+\w+\s*\{', line):
            pending_mod = True
        for ch in line:
            if ch == '{':
                depth += 1
                if pending_mod:
                    inline.append(depth)
                    pending_mod = False
            elif ch == '}':
                if inline and inline[-1] == depth:
                    inline.pop()
                depth -= 1
    return refs

def edges(mods):
    reexp = root_reexports(mods)
    es = set()
    for mod, path in mods.items():
        text = strip_literals(strip_comments(open(path).read()))
        for inl, p in references(text):
            segs = [s.split(' as ')[0].strip() for s in p.split('::')]
            if segs[0] == 'crate':
                target = resolve(segs[1:], mods, reexp)
            elif segs[0] in ('super', 'self'):
                # Inline modules (`mod tests { .. }`) count as their file's module.
                base, level = mod, inl
                if segs[0] == 'self':
                    segs = segs[1:]
                while segs and segs[0] == 'super':
                    segs = segs[1:]
                    if level > 0:
                        level -= 1
                    else:
                        base = base[:-1]
                target = resolve(list(base) + segs, mods, reexp) or base
            else:
                # A relative path from a file module to one of its own children (`use fastmac::Midstates`).
                target = resolve(list(mod) + segs, mods, reexp) if tuple(list(mod) + segs[:1]) in mods else None
            if target is not None and target != mod:
                es.add((mod, target))
    return es

def sccs(nodes, es):
    adj = {n: sorted({b for a, b in es if a == n}) for n in nodes}
    index, low, stack, on, out, i = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
        for w in adj[v]:
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(comp))
    for n in nodes:
        if n not in index: visit(n)
    return out

def name(m):
    return '::'.join(m) or 'crate'

def report(crate, src):
    mods = modules(src)
    es = edges(mods)
    found = False
    # Sibling edges at every level: a -> b where both have the same parent, after lifting each end to the
    # child of their common parent; edges to an ancestor (child -> parent) are ignored.
    groups = {}
    for a, b in es:
        if b == a[:len(b)] or a == b[:len(a)]:
            continue  # ancestor/descendant
        k = 0
        while a[k] == b[k]:
            k += 1
        parent = a[:k]
        groups.setdefault(parent, set()).add((a[:k + 1], b[:k + 1], (a, b)))
    for parent in sorted(groups, key=len):
        lifted = {(x, y) for x, y, _ in groups[parent]}
        nodes = sorted({x for e in lifted for x in e})
        for comp in sccs(nodes, lifted):
            found = True
            print(f'{crate}: CYCLE among children of {name(parent)}: ' + ', '.join(name(c) for c in comp))
            for x, y, (a, b) in sorted(groups[parent]):
                if x in comp and y in comp:
                    print(f'    {name(a)} -> {name(b)}')
    top = sorted({a[:1] for a, _ in es} | {b[:1] for _, b in es} - {()})
    nt = len([m for m in mods if len(m) == 1])
    print(f'{crate}: {len(mods)} module files, {nt} top-level modules, {len(es)} module edges; '
          + ('cycles above' if found else 'no cycles'))
    return found

CRATES = ['core', 'fuzzing', 'vectors', 'vectorgen', 'protocol', 'ffi', 'harness', 'differential', 'perf', 'cli',
          'benches']

if __name__ == '__main__':
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    args = sys.argv[1:] or [f'{c}={os.path.join(root, c, "src")}' for c in CRATES]
    found = False
    for arg in args:
        crate, src = arg.split('=')
        found |= report(crate, src)
    sys.exit(1 if found else 0)
