#!/usr/bin/env python3
"""A stand-in Mesos master for Herald's interoperability tests, written with kazoo (not Herald).

Usage: mesos-master.py HOSTS BASE HOSTNAME IP PORT

It joins the election the way a Mesos master (>= 0.24) does: one EPHEMERAL|SEQUENTIAL node
BASE/json.info_ whose data is its MasterInfo as JSON, prints `node <name>` once created, and
keeps its session until SIGTERM, SIGINT or stdin EOF (stdin /dev/null: until a signal); it then closes the session, so ZooKeeper
deletes the node at once. SIGKILL leaves the node until the session expires.
"""

import json
import os
import signal
import sys
import threading
import uuid

from kazoo.client import KazooClient


def packed_ip(dotted):
    # MasterInfo.ip: in_addr.s_addr as Mesos stores it, the address bytes read as a
    # little-endian uint32 (127.0.0.1 == 16777343).
    return int.from_bytes(bytes(int(o) for o in dotted.split(".")), "little")


def main(argv):
    if len(argv) != 5:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    hosts, base, hostname, ip, port = argv[0], argv[1].rstrip("/"), argv[2], argv[3], int(argv[4])
    info = {
        "id": str(uuid.uuid4()),
        "ip": packed_ip(ip),
        "port": port,
        "pid": "master@%s:%d" % (ip, port),
        "hostname": hostname,
        "version": "1.11.0",
        "address": {"hostname": hostname, "ip": ip, "port": port},
    }
    zk = KazooClient(hosts=hosts, timeout=4.0)
    zk.start(timeout=15)
    path = zk.create(base + "/json.info_", json.dumps(info).encode(), ephemeral=True, sequence=True)
    print("node %s" % path.rsplit("/", 1)[1], flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())

    def watch_stdin():
        try:
            while os.read(sys.stdin.fileno(), 4096):
                pass
        except OSError:
            pass
        done.set()

    # /dev/null (as when a test starts it) reads as EOF at once: then only a signal stops it.
    if not os.path.samestat(os.fstat(0), os.stat(os.devnull)):
        threading.Thread(target=watch_stdin, daemon=True).start()
    while not done.wait(0.2):
        pass
    zk.stop()
    zk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
