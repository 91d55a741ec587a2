#!/usr/bin/env python3
"""kazoo Election harness for the election benchmark (Benchmarks/election/PROTOCOL.md).

    election_harness.py --servers H:P,... --base /path --contenders N
                        [--session-timeout-ms 4000] [--name NAME] [--poll-ms 1] [--required 1]

N contenders = N `client.Election(base, identifier=name)` objects on ONE KazooClient (one
ZooKeeper session), each running `election.run(func)` in a thread of its own, as the kazoo
documentation shows. `func` is the leader's work: it prints `elected NAME`, sets the contender's
belief flag, blocks until the contender is released, clears the flag and prints `demoted NAME`.
The belief (`lead NAME 0|1`, polled every --poll-ms) is that flag: Election offers no other
"am I the leader" check, and nothing in the recipe stops `func` when the session is suspended or
lost; an application that wants that has to add its own connection listener (not done here, on
purpose: this measures the recipe as it is used).

Release (stdin `release NAME`, SIGTERM: all): wake `func` (it returns, `run` leaves the lock,
deleting the node), or `election.cancel()` if the contender is still waiting.
N = 0: observer only: a ChildrenWatch on the base path; the leader is `election.contenders()[0]`.
Timestamps: time.monotonic_ns() (CLOCK_MONOTONIC).
"""

import argparse
import logging
import os
import signal
import sys
import threading
import time

from kazoo.client import KazooClient

_out_lock = threading.Lock()


def emit(line):
    data = f"{time.monotonic_ns()} {line}\n".encode()
    with _out_lock:
        os.write(1, data)  # one write(2) per line, unbuffered


class Contender:
    def __init__(self, client, base, name):
        self.name = name
        self.election = client.Election(base, identifier=name)
        self.release_event = threading.Event()
        self.leading = False
        self.released = False
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _lead(self):
        emit(f"elected {self.name}")
        self.leading = True
        self.release_event.wait()
        self.leading = False
        emit(f"demoted {self.name}")

    def _run(self):
        try:
            self.election.run(self._lead)
        except Exception as e:  # noqa: BLE001 - report and end this contender
            print(f"election_harness: {self.name}: {e!r}", file=sys.stderr)
        finally:
            self.done.set()

    def release(self):
        emit(f"releasing {self.name}")
        self.release_event.set()
        if not self.leading:
            self.election.cancel()
        self.done.wait(30)
        emit(f"released {self.name}")


def main(argv):
    p = argparse.ArgumentParser(description="kazoo Election harness")
    p.add_argument("--servers", required=True)
    p.add_argument("--base", required=True)
    p.add_argument("--contenders", type=int, default=1)
    p.add_argument("--session-timeout-ms", type=int, default=4000)
    p.add_argument("--name", default="contender-0")
    p.add_argument("--poll-ms", type=int, default=1)
    p.add_argument("--required", type=int, default=1)  # Election has no quorum of candidates
    p.add_argument("--index", type=int, default=0)
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)

    client = KazooClient(hosts=a.servers, timeout=a.session_timeout_ms / 1000.0)
    client.start(timeout=30)

    names = [a.name] if a.contenders == 1 else [f"{a.name}-{i}" for i in range(a.contenders)]
    contenders = {n: Contender(client, a.base, n) for n in names}
    state_lock = threading.Lock()

    def release(name):
        with state_lock:
            c = contenders.get(name)
            if c is None or c.released:
                return
            c.released = True
        c.release()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    emit("ready")
    for c in contenders.values():
        c.thread.start()

    if a.contenders == 0:
        election = client.Election(a.base)
        client.ensure_path(a.base)
        seen = [None]
        seen_lock = threading.Lock()

        def on_children(_children):
            try:
                order = election.contenders()
            except Exception as e:  # noqa: BLE001
                print(f"election_harness: observer: {e!r}", file=sys.stderr)
                return
            leader = order[0] if order else "-"
            with seen_lock:
                if leader != seen[0]:
                    seen[0] = leader
                    emit(f"leader {leader}")

        client.ChildrenWatch(a.base, on_children)

    if a.poll_ms > 0 and contenders:
        def poll():
            believed = {}
            items = list(contenders.values())
            interval = a.poll_ms / 1000.0
            last = time.monotonic()
            while True:
                # After a gap (the process was stopped), say what the first poll believes.
                resumed = time.monotonic() - last > 5 * interval
                for c in items:
                    now = c.leading
                    if believed.get(c.name, False) != now or (resumed and now):
                        believed[c.name] = now
                        emit(f"lead {c.name} {1 if now else 0}")
                last = time.monotonic()
                time.sleep(interval)

        threading.Thread(target=poll, name="poll", daemon=True).start()

    def read_stdin():
        for line in sys.stdin:
            words = line.split()
            if len(words) == 2 and words[0] == "release":
                threading.Thread(target=release, args=(words[1],), daemon=True).start()

    threading.Thread(target=read_stdin, name="stdin", daemon=True).start()

    while not stop.wait(0.1):
        pass
    for n in names:
        release(n)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
