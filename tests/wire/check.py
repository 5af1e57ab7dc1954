#!/usr/bin/env python3
"""Checks what `wire.py` recorded against the rules of issue 20 §4: the
requests a Waymark transport sends carry only the documented headers, the
fixed User-Agent, no cookie, Referer or identifier, no query string, and
the same bytes from two different phones; through a SOCKS5 proxy, every
connection goes through the proxy by name (no DNS lookup on the phone).

    python3 tests/wire/check.py --kind sync LOG [--same-as LOG2] [--socks]
    python3 tests/wire/check.py --kind backup LOG [--socks]

Exit status 0 with a one-line summary when every rule holds; 1 with each
violation, one per line, when one does not; 2 on a usage error.

The rules (RELIABILITY.md §4 lists them too):

- request line `METHOD /path HTTP/1.1`: a sync sends GET only; a backup
  GET, HEAD, PUT, DELETE or MKCOL. No query string, except a backup to S3,
  whose only parameters are its presigned signature's (`X-Amz-*`).
- Headers, each at most once, only these (case does not matter):
  - every request: `Host`, `User-Agent: Waymark`, `Accept: */*`,
    `Accept-Encoding: identity` (all four required), and `Connection:
    keep-alive` or `close`, and `Accept-Language: *` (only that value: the
    Swift transport on Apple's platforms, where URLSession would otherwise
    send the person's preferred languages);
  - a sync: `If-None-Match`, `Range`, `If-Range`;
  - a backup: `Content-Length`, `Content-Type: application/octet-stream`,
    `If-Match`, `If-None-Match`, `Authorization` (WebDAV's Basic; S3 signs
    the URL instead).
- `--same-as`: the two logs hold the same requests, byte for byte, in the
  same order.
- `--socks`: at least one connection; every connection came through the
  proxy, named the host by name (address type 3, "domain"), and was to a
  host the proxy knew.
"""

import argparse
import json
import sys

# accept-language: URLSessionTransport (bindings/swift) sends `*` on Apple's
# platforms, where CFNetwork would otherwise add the person's preferred
# languages; `*` is the same on every phone and says nothing about anyone.
# (On Linux it sends none.) Any other value is a violation.
COMMON = {"host", "user-agent", "accept", "accept-encoding", "connection", "accept-language"}
REQUIRED = {"host", "user-agent", "accept", "accept-encoding"}
BY_KIND = {
    "sync": {"methods": {"GET"}, "headers": {"if-none-match", "range", "if-range"}},
    "backup": {
        "methods": {"GET", "HEAD", "PUT", "DELETE", "MKCOL"},
        "headers": {"content-length", "content-type", "if-match", "if-none-match",
                    "authorization"},
    },
}
FIXED = {
    "user-agent": {"Waymark"},
    "accept": {"*/*"},
    "accept-encoding": {"identity"},
    "accept-language": {"*"},
    "connection": {"keep-alive", "close", "Keep-Alive", "Close"},
    "content-type": {"application/octet-stream"},
}


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check_request(kind, head):
    """The violations in one request's head."""
    problems = []
    lines = head.split("\r\n")
    if lines[-2:] != ["", ""]:
        problems.append("the head does not end with an empty line")
    lines = [l for l in lines if l]
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[2] != "HTTP/1.1":
        return [f"not an HTTP/1.1 request line: {lines[0]!r}"]
    method, target, _ = parts
    rules = BY_KIND[kind]
    if method not in rules["methods"]:
        problems.append(f"{method} is not a method a {kind} sends")
    if not target.startswith("/"):
        problems.append(f"the target is not a path: {target!r}")
    path, question, query = target.partition("?")
    if "#" in target:
        problems.append(f"a fragment in {target!r}")
    if question:
        names = {p.partition("=")[0] for p in query.split("&")}
        if kind != "backup" or not all(n.startswith("X-Amz-") for n in names):
            problems.append(f"a query string: {target!r}")
    allowed = COMMON | rules["headers"]
    seen = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or name != name.strip():
            problems.append(f"not a header line: {line!r}")
            continue
        key = name.lower()
        value = value.strip()
        if key in seen:
            problems.append(f"{name} twice in {method} {path}")
        seen[key] = value
        if key not in allowed:
            problems.append(f"{name}: {value!r} is not a documented header ({method} {path})")
        elif key in FIXED and value not in FIXED[key]:
            problems.append(f"{name}: {value!r} is not the fixed value ({method} {path})")
        if key == "host" and ("@" in value or not value):
            problems.append(f"Host: {value!r}")
        if key == "authorization" and not value.startswith("Basic "):
            problems.append(f"Authorization is not HTTP Basic ({method} {path})")
    for key in sorted(REQUIRED - seen.keys()):
        problems.append(f"no {key} header ({method} {path})")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--kind", choices=sorted(BY_KIND), required=True)
    parser.add_argument("--same-as", help="a second phone's log: the requests must be identical")
    parser.add_argument("--socks", action="store_true",
                        help="every connection must have come through the SOCKS5 proxy by name")
    args = parser.parse_args()

    events = read(args.log)
    requests = [e for e in events if e["event"] == "request"]
    connections = [e for e in events if e["event"] == "connection"]
    problems = []
    for e in events:
        if e["event"] == "garbage":
            problems.append(f"bytes that are not an HTTP request: {e['bytes'][:80]!r}")
    if not requests:
        problems.append("no request was recorded")
    for r in requests:
        problems += check_request(args.kind, r["head"])
    if args.socks:
        if not connections:
            problems.append("no connection was recorded")
        for c in connections:
            if c["via"] != "socks":
                problems.append(f"a connection did not go through the proxy (from port {c['port']})")
            elif c["atyp"] != "domain":
                problems.append(f"the proxy was given an address, not a name: {c['host']} "
                                "(the name was looked up on the phone)")
            elif not c["accepted"]:
                problems.append(f"a connection to a host the proxy does not serve: {c['host']}")
    if args.same_as:
        other = [e["head"] for e in read(args.same_as) if e["event"] == "request"]
        mine = [r["head"] for r in requests]
        if mine != other:
            problems.append(f"the two phones' requests differ ({len(mine)} and {len(other)} requests)")
            for i, (a, b) in enumerate(zip(mine, other)):
                if a != b:
                    problems.append(f"first difference at request {i + 1}: {a!r} and {b!r}")
                    break
    for p in problems:
        print(p)
    if problems:
        return 1
    via = " through the SOCKS5 proxy by name" if args.socks else ""
    same = ", identical for both phones" if args.same_as else ""
    print(f"{len(requests)} requests on {len(connections)} connections{via}: "
          f"only the documented headers{same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
