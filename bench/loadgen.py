"""A small HTTP load generator for the benchmarks: N concurrent clients for a fixed time.

    .venv/bin/python bench/loadgen.py http://127.0.0.1:8000/healthz --clients 32 --seconds 10

Each client is an asyncio task that sends one request, reads the whole response, and sends the
next: a closed loop, like a person clicking as soon as the page arrives. Connections are kept
alive when the server allows it (gunicorn's sync workers close each one, so every request then
pays for a new TCP connection, as behind nginx without upstream keep-alive). Benchmarks call
`run_in_process` so the clients run in their own interpreter and never share a GIL with the
code that drives the run; the standard library is all it needs.

A scenario is plain data (JSON-able), so it crosses the process boundary as it is:

    {"host": "127.0.0.1", "port": 8000, "clients": 32, "seconds": 30, "seed": 1,
     "entries": [{"kind": "dashboard", "weight": 1, "method": "GET",
                  "headers": {"Cookie": "sessionid=..."}, "expect": [200],
                  "variants": [{"path": "/dashboard/campaigns/1/", "body": ""}]}]}

Each request picks an entry by weight, then one of its variants at random. A response whose
status is not in `expect` counts as an error, as does a connection that fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

USER_AGENT = "songmay-bench/1"


@dataclass
class Stats:
    """What happened to one kind of request."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful or not
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    bytes_read: int = 0
    first_error: str = ""
    late: int = 0  # finished after the time was up: in the latencies, not in the rate

    def as_json(self) -> dict[str, Any]:
        return {
            "latencies": self.latencies,
            "errors": self.errors,
            "statuses": self.statuses,
            "bytes_read": self.bytes_read,
            "first_error": self.first_error,
            "late": self.late,
        }


def _encode(entry: dict[str, Any], variant: dict[str, Any], host: str) -> bytes:
    body = variant.get("body", "").encode()
    lines = [
        f"{entry.get('method', 'GET')} {variant['path']} HTTP/1.1",
        f"Host: {host}",
        f"User-Agent: {USER_AGENT}",
        "Accept-Encoding: identity",
    ]
    lines += [f"{name}: {value}" for name, value in entry.get("headers", {}).items()]
    if body or entry.get("method", "GET") not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """(status, body bytes, whether the server keeps the connection open)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed before the response")
    status = int(status_line.split(b" ", 2)[1])
    length: int | None = None
    chunked = False
    keep_alive = status_line.startswith(b"HTTP/1.1")
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value:
            chunked = True
        elif name == b"connection":
            keep_alive = value == b"keep-alive" or (keep_alive and value != b"close")
    size = 0
    if chunked:
        while True:
            chunk = int((await reader.readline()).split(b";")[0], 16)
            if chunk == 0:
                await reader.readline()
                break
            size += len(await reader.readexactly(chunk + 2)) - 2
    elif length is not None:
        size = len(await reader.readexactly(length))
    else:
        size = len(await reader.read())
        keep_alive = False
    return status, size, keep_alive


async def _client(  # noqa: PLR0917 - private, called once
    spec: dict[str, Any],
    prepared: list[tuple[dict[str, Any], list[bytes]]],
    weights: list[float],
    deadline: float,
    rng: random.Random,
    stats: dict[str, Stats],
) -> None:
    host, port = spec["host"], spec["port"]
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < deadline:
        entry, payloads = rng.choices(prepared, weights)[0]
        payload = rng.choice(payloads)
        kind = stats[entry["kind"]]
        started = time.perf_counter()
        try:
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(payload)
            await writer.drain()
            status, size, keep_alive = await _read_response(reader)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as error:
            kind.latencies.append(time.perf_counter() - started)
            kind.errors += 1
            kind.statuses["failed"] = kind.statuses.get("failed", 0) + 1
            kind.first_error = kind.first_error or repr(error)
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        finished = time.perf_counter()
        kind.latencies.append(finished - started)
        kind.late += finished > deadline
        kind.bytes_read += size
        kind.statuses[str(status)] = kind.statuses.get(str(status), 0) + 1
        if status not in entry.get("expect", [200]):
            kind.errors += 1
            kind.first_error = kind.first_error or f"HTTP {status} for {entry['kind']}"
        if not keep_alive and writer is not None:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _run(spec: dict[str, Any]) -> dict[str, Any]:
    host_header = spec.get("host_header") or f"{spec['host']}:{spec['port']}"
    entries = spec["entries"]
    prepared = [
        (entry, [_encode(entry, variant, host_header) for variant in entry["variants"]])
        for entry in entries
    ]
    weights = [float(entry.get("weight", 1)) for entry in entries]
    stats = {entry["kind"]: Stats() for entry in entries}
    seed = spec.get("seed", 1)
    started = time.perf_counter()
    deadline = started + float(spec["seconds"])
    await asyncio.gather(
        *(
            _client(spec, prepared, weights, deadline, random.Random(seed * 1000 + n), stats)
            for n in range(int(spec["clients"]))
        )
    )
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": float(spec["seconds"]),
        "drained_seconds": elapsed,
        "client_cpu_seconds": usage.ru_utime + usage.ru_stime,
        "kinds": {name: s.as_json() for name, s in stats.items()},
    }


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the scenario in this process (the command line, or a test of this module)."""
    return asyncio.run(_run(spec))


def run_in_process(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the scenario in a fresh interpreter, so the clients have a GIL of their own."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, __file__, "--spec", "-"],
        input=json.dumps(spec).encode(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# ---- Figures ----


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..100) of values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share / 100 * len(ordered))))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    kind: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_kib: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def summarise(result: dict[str, Any]) -> list[Summary]:
    """One summary per kind, then "all" when there is more than one kind. The rate counts the
    requests finished within the time; the percentiles also count those finished after it."""
    seconds = result["seconds"]
    kinds = result["kinds"]

    def one(name: str, latencies: list[float], errors: int, size: int, late: int) -> Summary:
        n = len(latencies)
        return Summary(
            kind=name,
            requests=n,
            errors=errors,
            rps=(n - late) / seconds if seconds else 0.0,
            p50_ms=1000 * percentile(latencies, 50),
            p95_ms=1000 * percentile(latencies, 95),
            p99_ms=1000 * percentile(latencies, 99),
            max_ms=1000 * max(latencies, default=0.0),
            mean_kib=size / n / 1024 if n else 0.0,
        )

    rows = [
        one(name, data["latencies"], data["errors"], data["bytes_read"], data["late"])
        for name, data in kinds.items()
    ]
    if len(rows) > 1:
        rows.append(
            one(
                "all",
                [x for data in kinds.values() for x in data["latencies"]],
                sum(data["errors"] for data in kinds.values()),
                sum(data["bytes_read"] for data in kinds.values()),
                sum(data["late"] for data in kinds.values()),
            )
        )
    return rows


def table(rows: Sequence[Summary]) -> str:
    width = max([len(row.kind) for row in rows] + [4])
    lines = [
        f"  {'kind':<{width}} {'requests':>8} {'req/s':>8} {'errors':>7} {'err %':>6}"
        f" {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'KiB':>6}"
    ]
    lines += [
        f"  {row.kind:<{width}} {row.requests:>8,} {row.rps:>8.1f} {row.errors:>7,}"
        f" {100 * row.error_rate:>6.2f} {row.p50_ms:>8.1f} {row.p95_ms:>8.1f}"
        f" {row.p99_ms:>8.1f} {row.max_ms:>8.1f} {row.mean_kib:>6.1f}"
        for row in rows
    ]
    return "\n".join(lines)


def first_errors(result: dict[str, Any]) -> list[str]:
    return [
        f"  {name}: {data['first_error']} (statuses {data['statuses']})"
        for name, data in result["kinds"].items()
        if data["errors"]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="one URL to load (GET)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--spec", help="a scenario as JSON, '-' for stdin; prints JSON results")
    options = parser.parse_args()
    if options.spec:
        text = sys.stdin.read() if options.spec == "-" else open(options.spec).read()  # noqa: SIM115
        json.dump(run(json.loads(text)), sys.stdout)
        return
    if not options.url:
        parser.error("give a URL or --spec")
    parts = urlsplit(options.url)
    headers = dict(h.split(":", 1) for h in options.header)
    spec = {
        "host": parts.hostname,
        "port": parts.port or 80,
        "clients": options.clients,
        "seconds": options.seconds,
        "entries": [
            {
                "kind": parts.path,
                "headers": {k.strip(): v.strip() for k, v in headers.items()},
                "variants": [{"path": parts.path + (f"?{parts.query}" if parts.query else "")}],
            }
        ],
    }
    result = run(spec)
    print(table(summarise(result)))
    print("\n".join(first_errors(result)))


if __name__ == "__main__":
    main()
