#!/usr/bin/env python3
"""Sequential ZooKeeper round-trip benchmark with kazoo (the reference for zk-roundtrip).

Mirrors the Swift `zk-roundtrip` executable: one session, N sequential operations
(each one awaited before the next), after 200 warm-up operations of the same kind.

    roundtrip.py --servers HOST:PORT,... --kind get|create-delete --ops N

  get            zk.get("/herald-bench/node") (created first with 64 bytes if missing)
  create-delete  zk.create("/herald-bench/cd", 64 bytes) then zk.delete() of it;
                 one create+delete pair counts as one op

Prints exactly one JSON line on stdout:
  {"impl":"kazoo","kind":"get","ops":N,"seconds":S,"rate":R}
Diagnostics go to stderr; exit status is non-zero on any failure.
"""

import argparse
import json
import logging
import sys
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError, NoNodeError

WARMUP_OPS = 200
CONNECT_TIMEOUT = 20.0
ROOT = "/herald-bench"
GET_PATH = ROOT + "/node"
CD_PATH = ROOT + "/cd"
DATA = b"h" * 64


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {value}")
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--servers", required=True, help="HOST:PORT,HOST:PORT,...")
    parser.add_argument("--kind", required=True, choices=["get", "create-delete"])
    parser.add_argument("--ops", required=True, type=positive_int, help="timed operations")
    return parser.parse_args(argv)


def prepare(zk, kind):
    zk.ensure_path(ROOT)
    if kind == "get":
        try:
            zk.create(GET_PATH, DATA)
        except NodeExistsError:
            pass
    else:
        # leftover of an interrupted run
        try:
            zk.delete(CD_PATH)
        except NoNodeError:
            pass


def get_loop(zk, n):
    get = zk.get
    for _ in range(n):
        get(GET_PATH)


def create_delete_loop(zk, n):
    create, delete = zk.create, zk.delete
    for _ in range(n):
        create(CD_PATH, DATA)
        delete(CD_PATH)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("kazoo").setLevel(logging.WARNING)

    loop = get_loop if args.kind == "get" else create_delete_loop
    zk = KazooClient(hosts=args.servers)
    try:
        zk.start(timeout=CONNECT_TIMEOUT)
    except Exception as exc:  # kazoo raises a timeout_exception subclass
        print(f"roundtrip.py: cannot connect to {args.servers}: {exc!r}", file=sys.stderr)
        zk.close()
        return 1
    try:
        prepare(zk, args.kind)
        loop(zk, WARMUP_OPS)
        start = time.perf_counter()
        loop(zk, args.ops)
        seconds = time.perf_counter() - start
    except Exception as exc:
        print(f"roundtrip.py: {args.kind} failed: {exc!r}", file=sys.stderr)
        return 1
    finally:
        zk.stop()
        zk.close()

    result = {
        "impl": "kazoo",
        "kind": args.kind,
        "ops": args.ops,
        "seconds": round(seconds, 6),
        "rate": round(args.ops / seconds, 3),
    }
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
