#!/usr/bin/env python3
"""Quote through mm-batch from Python: standard library only.

Start mm in paper mode with a quote socket, then run this client:

    mm run --quotes /tmp/mm-quotes.sock          # paper mode, quotes are yours
    python3 examples/quote_client.py --socket /tmp/mm-quotes.sock --seconds 30

The protocol is newline-delimited JSON (see the README, "Bring your own
quotes"). This client reads each tick's books, puts a two-level ladder
around each mid (prices rounded outwards onto the tick grid, with the
decimal module: never a float), and prints what mm says back.
"""

import argparse
import json
import socket
import sys
import time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

SPREAD_BPS = Decimal(10)  # best bid to best ask
STEP_BPS = Decimal(5)  # between levels
LEVELS = 2


def on_grid(price, tick, rounding):
    return (price / tick).to_integral_value(rounding=rounding) * tick


def ladder(inst, bid, ask):
    """The set for one book: LEVELS a side, sizes growing by level."""
    tick = Decimal(inst["tick_size"])
    min_qty = Decimal(inst["min_qty"])
    mid = (Decimal(bid) + Decimal(ask)) / 2
    bids, asks = [], []
    for i in range(LEVELS):
        off = mid * (SPREAD_BPS / 2 + STEP_BPS * i) / Decimal(10000)
        qty = str(min_qty * (i + 1))
        # Never through the book: mm's orders are post-only.
        b = min(on_grid(mid - off, tick, ROUND_FLOOR), Decimal(bid) - tick * i)
        a = max(on_grid(mid + off, tick, ROUND_CEILING), Decimal(ask) + tick * i)
        bids.append({"price": str(b.normalize()), "qty": qty})
        asks.append({"price": str(a.normalize()), "qty": qty})
    return {"symbol": inst["symbol"], "bids": bids, "asks": asks}


def connect(args):
    if args.tcp:
        host, port = args.tcp.rsplit(":", 1)
        return socket.create_connection((host, int(port)))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(args.socket)
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", help="mm's Unix quote socket (mm run --quotes PATH)")
    where.add_argument("--tcp", help="mm's loopback TCP quote address, HOST:PORT")
    p.add_argument("--seconds", type=float, default=30.0, help="how long to quote")
    p.add_argument("--symbols", help="comma-separated; default: every symbol mm quotes")
    args = p.parse_args()

    sock = connect(args)
    sock.settimeout(1.0)
    out = sock.makefile("w", encoding="utf-8", newline="\n")
    buf = b""
    instruments = {}
    wanted = set(args.symbols.split(",")) if args.symbols else None
    counts = {"accepted": 0, "refused": 0, "conflated": 0, "error": 0}
    live = 0
    next_id = 1
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            print("quote_client: mm closed the connection", file=sys.stderr)
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            event = json.loads(line)
            kind = event["event"]
            if kind == "hello":
                instruments = {i["symbol"]: i for i in event["instruments"]}
                print(f"quote_client: quoting {', '.join(sorted(instruments))}")
            elif kind == "books":
                for book in event["books"]:
                    inst = instruments.get(book["symbol"])
                    if inst is None or (wanted and book["symbol"] not in wanted):
                        continue
                    quote = ladder(inst, book["bid"], book["ask"])
                    quote["id"] = next_id
                    next_id += 1
                    out.write(json.dumps(quote) + "\n")
                out.flush()
            elif kind in counts:
                counts[kind] += 1
                if kind in ("refused", "error"):
                    print(f"quote_client: {kind}: {event.get('reason')}", file=sys.stderr)
            elif kind == "tick":
                live = sum(1 for o in event["orders"] if o["state"] == "Live")
            elif kind == "stopped":
                end = 0
    sock.close()
    print(
        "quote_client: sets accepted {accepted}, refused {refused}, conflated {conflated}, "
        "errors {error}; {live} orders live at the last tick".format(live=live, **counts)
    )
    return 0 if counts["accepted"] > 0 and counts["refused"] + counts["error"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
