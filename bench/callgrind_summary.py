#!/usr/bin/env python3
"""Summarises a callgrind dump of the server for bench/profile.

Usage: callgrind_summary.py FILE REQUESTS LABEL [TOP]

Prints Markdown: instructions per request; the instructions by group (each
function's own instructions, charged to its group; a function in no group --
malloc, memcpy, hashing, drop glue, std -- is charged to the groups of its
callers, in proportion to what each caller's calls to it cost); and the
functions with the most inclusive and the most self instructions.
"""
import re
import sys
from collections import defaultdict

# First match wins. Generic arguments are stripped before matching, so
# `drop_in_place<async_graphql::Value>` is drop glue (no group), while
# `<atelier::Project as async_graphql::ContainerType>::resolve_field` is the
# executor's (the derived dispatch), and `atelier::...::Project::assets` Atelier's own.
GROUPS = [
    ("ID encoding", r"base64|atelier::graphql::id::|GlobalId|uuid::fmt|uuid::parser"),
    ("tracing spans", r"(^|<|\s)tracing(_core|_subscriber|_log|_opentelemetry)?::|extensions::tracing|sharded_slab|opentelemetry|matchers::|regex_automata"),
    ("parsing/validation", r"async_graphql_parser|async_graphql::validation|pest::|atelier::graphql::admission|atelier::graphql::limits|atelier::graphql::persisted|async_graphql::registry|parse_query|ExecutableDocument"),
    ("DataLoader", r"dataloader|::loaders::"),
    ("authorization", r"atelier::authz|atelier::accounts::(authenticate|session|profile_cache)|atelier::studio::access|atelier::cache|moka|argon2|sha2|hmac"),
    ("SQL/diesel", r"diesel|tokio_postgres|postgres_protocol|postgres_types|deadpool|bb8|atelier::db::|pq_sys|scoped_futures"),
    ("serialization", r"serde_json|serde::|async_graphql_value|async_graphql::response|ConstValue|itoa::|ryu::|indexmap::|::serialize"),
    ("HTTP and I/O", r"hyper|axum|tower|(^|<|\s)http::|h2::|mio::|tokio::net|tokio::io|httparse|bytes::|^(__)?(libc_)?(send|recv|read|write|writev|sendto|recvfrom|sendmsg|recvmsg|epoll_wait|epoll_ctl)$|atelier::server|atelier::metrics|prometheus|metrics::"),
    ("async resolver overhead", r"async_graphql::|futures_util|futures_core|futures_task|futures_channel|core::future|tokio::|async_trait|std::thread|parking_lot|crossbeam"),
    ("Atelier resolvers and services", r"atelier::|<atelier::"),
]
COMPILED = [(name, re.compile(rx)) for name, rx in GROUPS]


def strip_generics(name):
    """Removes `<...>` that follow an identifier (generic arguments), keeping `<A as B>`."""
    out = []
    depth = 0
    i = 0
    while i < len(name):
        c = name[i]
        if depth == 0 and c == "<" and out and (out[-1].isalnum() or out[-1] in "_>"):
            depth = 1
        elif depth > 0:
            if c == "<":
                depth += 1
            elif c == ">":
                depth -= 1
        else:
            out.append(c)
        i += 1
    s = "".join(out)
    return re.sub(r"::h[0-9a-f]{16}$", "", s)


def group_of(name):
    s = strip_generics(name)
    for group, rx in COMPILED:
        if rx.search(s):
            return group
    return None


# Entry points whose whole cost is worth a line of its own: the cost of every call
# into the set from outside it (so recursion inside the set is counted once),
# and how many such calls a request makes. Only sets that are not entered again
# from below themselves: a resolver's hooks (the Tracing extension, the
# executor) nest, so their inclusive cost would be counted once per level.
KEY = [
    ("parsing a document (async_graphql_parser's parse_query)", r"async_graphql_parser::parse::executable::parse_query"),
    ("validating it (async_graphql::validation::check_rules)", r"async_graphql::validation::check_rules"),
    ("admission and the metrics label (atelier::graphql::admission; each parses the document)", r"atelier::graphql::admission::"),
    ("DataLoader (async_graphql::dataloader)", r"async_graphql::dataloader"),
    ("authorization (atelier::authz)", r"atelier::authz"),
    ("SQL (diesel_async)", r"diesel_async"),
    ("ID encoding (GlobalId, base64)", r"GlobalId|base64"),
    ("the response to JSON (serde_json serialize)", r"serde_json::ser::"),
    ("building the response tree (IndexMap inserts)", r"indexmap::"),
    ("malloc / free / realloc", r"^(__libc_)?(malloc|free|realloc|calloc|_int_malloc|_int_free|_int_realloc|malloc_consolidate|cfree)$"),
    ("memcpy / memmove", r"memcpy|memmove"),
]


def parse(path):
    """Returns (self_cost, calls, counts, totals): calls[caller][callee] = inclusive cost."""
    names = {}
    self_cost = defaultdict(int)
    calls = defaultdict(lambda: defaultdict(int))
    counts = defaultdict(lambda: defaultdict(int))
    fn = None
    cfn = None
    pending_call = False
    totals = None

    def name_of(spec):
        m = re.match(r"\((\d+)\)(?:\s+(.*))?$", spec)
        if not m:
            return spec
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), m.group(1))

    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if pending_call:
                    if cfn != fn:
                        calls[fn][cfn] += cost
                    pending_call = False
                else:
                    self_cost[fn] += cost
            elif line.startswith("fn="):
                fn = name_of(line[3:])
            elif line.startswith("cfn="):
                cfn = name_of(line[4:])
            elif line.startswith("calls="):
                pending_call = True
                if cfn != fn:
                    counts[fn][cfn] += int(line[6:].split()[0])
            elif line.startswith("totals:") or line.startswith("summary:"):
                totals = int(line.split()[1])
    return self_cost, calls, counts, totals


def main():
    path, requests, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 25
    self_cost, calls, counts, totals = parse(path)
    total = totals or sum(self_cost.values())
    functions = set(self_cost) | set(calls) | {g for c in calls.values() for g in c}
    inclusive = {f: self_cost.get(f, 0) + sum(calls.get(f, {}).values()) for f in functions}
    callers = defaultdict(dict)
    for caller, callees in calls.items():
        for callee, cost in callees.items():
            callers[callee][caller] = cost

    # Where a function's own instructions end up: its group, or its callers' groups.
    shares = {}

    def share(f, visiting):
        if f in shares:
            return shares[f]
        g = group_of(f) if f is not None else None
        if g:
            shares[f] = {g: 1.0}
            return shares[f]
        ins = callers.get(f, {})
        weight = sum(ins.values())
        if f in visiting or weight == 0 or len(visiting) > 60:
            return {"other (no caller in a group)": 1.0}
        visiting.add(f)
        out = defaultdict(float)
        for caller, cost in ins.items():
            for grp, frac in share(caller, visiting).items():
                out[grp] += frac * cost / weight
        visiting.discard(f)
        shares[f] = dict(out)
        return shares[f]

    by_group = defaultdict(float)
    direct = defaultdict(int)
    for f, cost in self_cost.items():
        g = group_of(f) if f is not None else None
        if g:
            direct[g] += cost
        for grp, frac in share(f, set()).items():
            by_group[grp] += frac * cost

    per = lambda x: x / requests  # noqa: E731
    pct = lambda x: 100.0 * x / total if total else 0.0  # noqa: E731
    short = lambda f: (strip_generics(f or "?")[:140]).replace("|", "\\|")  # noqa: E731
    print(f"### {label}")
    print()
    print(f"{total:,} instructions for {requests} requests: **{per(total):,.0f} per request**.")
    print()
    print("| group | instructions / request | share | of which in the group's own functions |")
    print("|---|---|---|---|")
    for grp, cost in sorted(by_group.items(), key=lambda kv: -kv[1]):
        print(f"| {grp} | {per(cost):,.0f} | {pct(cost):.1f} % | {pct(direct.get(grp, 0)):.1f} % |")
    print()
    print("Entry points (the cost of every call into them from outside, per request):")
    print()
    print("| what | calls / request | inclusive / request | share |")
    print("|---|---|---|---|")
    for what, rx in KEY:
        rx = re.compile(rx)
        inside = {f for f in functions if f is not None and rx.search(strip_generics(f))}
        cost = sum(c for caller, callees in calls.items() if caller not in inside for f, c in callees.items() if f in inside)
        n = sum(c for caller, callees in counts.items() if caller not in inside for f, c in callees.items() if f in inside)
        print(f"| {what} | {n / requests:,.1f} | {per(cost):,.0f} | {pct(cost):.1f} % |")
    print()
    # The runtime's and the HTTP server's frames include nearly everything, and
    # callgrind's recursion levels ('2) can count a cycle more than once: leave both out.
    listed = [f for f in functions if inclusive[f] < 0.8 * total]
    print(f"Top {top} functions by inclusive instructions (below 80 % of the total; the runtime's and HTTP server's outer frames left out):")
    print()
    print("| inclusive / request | share | self share | group | function |")
    print("|---|---|---|---|---|")
    for f in sorted(listed, key=lambda f: -inclusive[f])[:top]:
        print(f"| {per(inclusive[f]):,.0f} | {pct(inclusive[f]):.1f} % | {pct(self_cost.get(f, 0)):.1f} % | {group_of(f) or '-'} | `{short(f)}` |")
    print()
    print(f"Top {top} functions by self instructions:")
    print()
    print("| self / request | share | group (or charged to) | function |")
    print("|---|---|---|---|")
    for f in sorted(self_cost, key=lambda f: -self_cost[f])[:top]:
        g = group_of(f)
        if not g:
            best = sorted(share(f, set()).items(), key=lambda kv: -kv[1])[:2]
            g = "- (" + ", ".join(f"{k} {100 * v:.0f} %" for k, v in best) + ")"
        print(f"| {per(self_cost[f]):,.0f} | {pct(self_cost[f]):.1f} % | {g} | `{short(f)}` |")
    print()


if __name__ == "__main__":
    main()
