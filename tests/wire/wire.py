#!/usr/bin/env python3
"""The wire test's server (issue 20 §4): it stands between a Waymark
transport and a real server, records every request exactly as it arrived,
and relays it.

    python3 tests/wire/wire.py --upstream 127.0.0.1:8080 --log requests.jsonl [--socks]

It listens on 127.0.0.1 on free ports and prints one line once it does:

    ready http=PORT socks=PORT

- `http`: a plain HTTP relay to the upstream server (`waymark-pack serve`,
  wsgidav, moto...). Point a transport at http://127.0.0.1:PORT/.
- `socks` (with `--socks`): a SOCKS5 proxy (RFC 1928, no authentication).
  It accepts CONNECT to the host names given with `--map` (default
  `sync.waymark.invalid`) and relays them to the upstream, through the same
  recording; it refuses every other destination, and an IP address, as
  "host unreachable". A `.invalid` name never resolves (RFC 6761), so a
  transport that looked the name up itself, instead of handing it to the
  proxy, fails there; with `--map localhost` (a name that does resolve) a
  transport that looks names up hands the proxy an address, which the
  record shows (the JDK's does so, and falls back to the name only when
  its own lookup fails, after the query went out).

Every connection and every request is one JSON line in `--log`:

    {"event": "connection", "via": "direct"|"socks", "atyp": "domain"|"ipv4"|"ipv6"|null,
     "host": ..., "port": ..., "accepted": true|false}
    {"event": "request", "connection": N, "head": "GET /x HTTP/1.1\\r\\nHost: ...\\r\\n\\r\\n",
     "body_bytes": N, "chunked": false}

`head` is the request line and headers byte for byte (decoded as Latin-1,
so any byte survives). It stops on SIGTERM, SIGINT, or when its standard
input, when it is a pipe, closes (so a test that dies takes it along).

`check.py` holds the rules the log must satisfy.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import stat
import struct
import sys
import threading


class Log:
    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")
        self.connections = 0
        self.lock = threading.Lock()

    def write(self, record):
        with self.lock:
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()

    def connection(self, **fields):
        with self.lock:
            self.connections += 1
            n = self.connections
        self.write({"event": "connection", "id": n, **fields})
        return n


def half_close(writer):
    """Says "no more bytes" to the other side, if it can still hear it."""
    try:
        if writer.can_write_eof():
            writer.write_eof()
    except (OSError, RuntimeError):
        pass


async def pump(reader, writer):
    """Copies bytes one way until the end, then half-closes."""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        half_close(writer)


async def relay_requests(log, conn_id, reader, writer):
    """Client to upstream: parses each HTTP/1.1 request, records its head and
    forwards it with its body (Content-Length or chunked)."""
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as e:
                if e.partial:
                    log.write({"event": "garbage", "connection": conn_id,
                               "bytes": e.partial.decode("latin-1")})
                break
            except asyncio.LimitOverrunError:
                log.write({"event": "garbage", "connection": conn_id, "bytes": "head over 64 KiB"})
                break
            writer.write(head)
            length, chunked = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value.strip())
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            body = 0
            if chunked:
                while True:
                    size_line = await reader.readuntil(b"\r\n")
                    writer.write(size_line)
                    size = int(size_line.split(b";")[0].strip(), 16)
                    chunk = await reader.readexactly(size + 2)
                    writer.write(chunk)
                    body += size
                    if size == 0:
                        break
            else:
                remaining = length
                while remaining:
                    data = await reader.read(min(remaining, 65536))
                    if not data:
                        break
                    writer.write(data)
                    remaining -= len(data)
                    body += len(data)
            log.write({"event": "request", "connection": conn_id,
                       "head": head.decode("latin-1"), "body_bytes": body, "chunked": chunked})
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        half_close(writer)


async def relay(log, conn_id, upstream, client_reader, client_writer):
    try:
        up_reader, up_writer = await asyncio.open_connection(*upstream)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(
        relay_requests(log, conn_id, client_reader, up_writer),
        pump(up_reader, client_writer),
    )
    for w in (up_writer, client_writer):
        try:
            w.close()
        except OSError:
            pass


async def serve_http(log, upstream, reader, writer):
    peer = writer.get_extra_info("peername")
    conn_id = log.connection(via="direct", atyp=None, host=peer[0], port=peer[1], accepted=True)
    await relay(log, conn_id, upstream, reader, writer)


async def serve_socks(log, upstream, names, reader, writer):
    try:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        if version != 5 or 0 not in methods:
            writer.write(b"\x05\xff")
            await writer.drain()
            writer.close()
            return
        writer.write(b"\x05\x00")
        await writer.drain()
        _ver, command, _rsv, atyp = await reader.readexactly(4)
        if atyp == 1:
            host, kind = socket.inet_ntop(socket.AF_INET, await reader.readexactly(4)), "ipv4"
        elif atyp == 4:
            host, kind = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16)), "ipv6"
        elif atyp == 3:
            (n,) = await reader.readexactly(1)
            host, kind = (await reader.readexactly(n)).decode("latin-1"), "domain"
        else:
            writer.close()
            return
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        accepted = command == 1 and kind == "domain" and host.lower() in names
        conn_id = log.connection(via="socks", atyp=kind, host=host, port=port, accepted=accepted)
        if not accepted:
            # 0x04: host unreachable (0x07 for a command other than CONNECT).
            code = 4 if command == 1 else 7
            writer.write(bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0]))
            await writer.drain()
            writer.close()
            return
        writer.write(bytes([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]))
        await writer.drain()
        await relay(log, conn_id, upstream, reader, writer)
    except (ConnectionError, asyncio.IncompleteReadError):
        writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the real server")
    parser.add_argument("--log", required=True, help="the JSON Lines file to append to")
    parser.add_argument("--socks", action="store_true", help="also run a SOCKS5 proxy")
    parser.add_argument("--map", action="append", default=None,
                        help="a host name the proxy relays to the upstream (repeatable)")
    parser.add_argument("--port", type=int, default=0, help="the HTTP relay's port (default: any)")
    args = parser.parse_args()
    host, _, port = args.upstream.rpartition(":")
    upstream = (host, int(port))
    names = {n.lower() for n in (args.map or ["sync.waymark.invalid"])}
    log = Log(args.log)

    http = await asyncio.start_server(
        lambda r, w: serve_http(log, upstream, r, w), "127.0.0.1", args.port)
    ready = f"ready http={http.sockets[0].getsockname()[1]}"
    servers = [http]
    if args.socks:
        socks = await asyncio.start_server(
            lambda r, w: serve_socks(log, upstream, names, r, w), "127.0.0.1", 0)
        servers.append(socks)
        ready += f" socks={socks.sockets[0].getsockname()[1]}"
    print(ready, flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def watch_stdin():
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        loop.call_soon_threadsafe(stop.set)

    # Only a pipe: /dev/null (or a closed stdin) would end it at once.
    if stat.S_ISFIFO(os.fstat(0).st_mode):
        threading.Thread(target=watch_stdin, daemon=True).start()
    await stop.wait()
    for s in servers:
        s.close()
    # Connections still open would print tracebacks as they are cancelled:
    # the log is written line by line, so leave at once.
    log.file.flush()
    os._exit(0)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    sys.exit(0)
