#!/usr/bin/env python3
"""systemd Type=notify, as systemd sees it: a real AF_UNIX datagram socket named by
NOTIFY_SOCKET, a real `herald serve`, the exact messages in their order.

Usage: notify_test.py HERALD_BINARY ZK_CONNECT_STRING WORKDIR
Checks, each printed as `ok: ...` or the script exits 1 with `FAIL: ...`:
  1. the first datagram is READY=1 with a STATUS line naming the state and the leader, and at the
     moment it arrives the local socket already answers `get` with a snapshot read from ZooKeeper
     (not `disconnected`); a STATUS line names this host elected (at once, or once its node is in);
  2. WATCHDOG=1 pings follow, about every WATCHDOG_USEC/2 and never WATCHDOG_USEC apart;
  3. SIGTERM gives STOPPING=1, nothing but STATUS after it, exit status 0;
  4. without ZooKeeper, READY=1 waits one session timeout and says so in STATUS (this run's
     NOTIFY_SOCKET is an abstract `@name`).
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

herald, zk, work = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(work, exist_ok=True)


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def get_snapshot(path):
    """One `get` on the local socket, or None when it does not answer."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(path)
            s.sendall(b'{"op":"get"}\n')
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    return None
                data += chunk
            return json.loads(data)
    except OSError:
        return None


def start(name, zk_hosts, session_ms, watchdog_usec, abstract=False):
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        # NOTIFY_SOCKET=@name: Linux's abstract namespace, as systemd hands it to some services.
        notify_path = f"@herald-notify-{os.getpid()}-{name}"
        receiver.bind("\0" + notify_path[1:])
    else:
        notify_path = os.path.join(work, f"{name}.notify")
        if os.path.exists(notify_path):
            os.unlink(notify_path)
        receiver.bind(notify_path)
    sock = os.path.join(work, f"{name}.sock")
    config = os.path.join(work, f"{name}.yaml")
    chroot = f"herald-test-notify/{os.getpid()}-{name}"
    with open(config, "w") as f:
        f.write(
            f"mesos_mode: leader\nmesos_zk_hosts: {zk_hosts}\nmesos_zk_chroot: {chroot}\n"
            f"mesos_leaders: [{name}]\nherald_hostname: {name}\nherald_advertise_ip: 127.0.0.1\n"
            f"herald_socket: {sock}\nherald_metrics_listen: \"\"\n"
            f"herald_session_timeout_ms: {session_ms}\nmesos_logging_level: INFO\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env["NOTIFY_SOCKET"] = notify_path
    if watchdog_usec:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    log = open(os.path.join(work, f"{name}.log"), "w")
    process = subprocess.Popen([herald, "serve", "--config", config], env=env, stdout=log, stderr=log)
    return process, receiver, sock


def receive(receiver, timeout):
    receiver.settimeout(timeout)
    try:
        return receiver.recv(4096).decode()
    except socket.timeout:
        return None


def stop(process, receiver):
    """SIGTERM, then every datagram until 15 s without one; returns them and the exit status."""
    process.send_signal(signal.SIGTERM)
    messages = []
    while True:
        message = receive(receiver, 15)
        if message is None:
            break
        messages.append(message)
    return messages, process.wait(timeout=30)


# 1-3: with ZooKeeper.
started = time.monotonic()
process, receiver, sock = start("notify1", zk, 4000, 2_000_000)
first = receive(receiver, 30)
answer = get_snapshot(sock)
if first is None:
    process.kill()
    fail("no datagram within 30 s")
lines = first.split("\n")
if lines[0] != "READY=1" or len(lines) != 2 or not lines[1].startswith("STATUS=") or "disconnected" in lines[1]:
    process.kill()
    fail(f"first datagram {first!r}")
if answer is None or answer.get("state") == "disconnected":
    process.kill()
    fail(f"at READY=1 the socket answered {answer!r}")
print(f"ok: first datagram {first!r} after {time.monotonic() - started:.2f} s; the socket answered "
      f"state {answer['state']}, revision {answer['revision']}")

pings = []
statuses = []
until = time.monotonic() + 4.2
while time.monotonic() < until:
    message = receive(receiver, max(0.01, until - time.monotonic()))
    if message is None:
        break
    if message == "WATCHDOG=1":
        pings.append(time.monotonic())
    elif message.startswith("STATUS="):
        statuses.append(message)
    else:
        process.kill()
        fail(f"unexpected datagram while running: {message!r}")
gaps = [b - a for a, b in zip(pings, pings[1:])]
# WATCHDOG_USEC 2 s: one ping a second; systemd would act on a gap of 2 s.
if len(pings) < 3 or any(gap >= 2.0 for gap in gaps):
    process.kill()
    fail(f"watchdog pings at gaps {gaps} (WATCHDOG_USEC 2 s: one a second expected, never 2 s apart)")
elected = "STATUS=elected; leader notify1 127.0.0.1:5050"
if not lines[1].startswith(elected) and not any(status.startswith(elected) for status in statuses):
    process.kill()
    fail(f"no STATUS line names notify1 elected: {lines[1]!r}, then {statuses!r}")
print(f"ok: {len(pings)} WATCHDOG=1 in 4.2 s (WATCHDOG_USEC 2 s), largest gap {max(gaps):.2f} s; "
      f"other STATUS lines: {statuses}")

after, status = stop(process, receiver)
if not after or after[0] != "STOPPING=1" or any(m != "STOPPING=1" and not m.startswith("STATUS=") for m in after):
    fail(f"after SIGTERM: {after!r}")
if after.count("STOPPING=1") != 1 or status != 0:
    fail(f"after SIGTERM: {after!r}, exit {status}")
print(f"ok: after SIGTERM {after!r}, exit {status}")
receiver.close()

# 4: no ZooKeeper at all (a port nothing listens on): READY=1 after one session timeout.
started = time.monotonic()
process, receiver, sock = start("notify2", "127.0.0.1:9", 2000, 0, abstract=True)
first = receive(receiver, 30)
took = time.monotonic() - started
answer = get_snapshot(sock)
rest, status = stop(process, receiver)
if first is None or not first.startswith("READY=1\nSTATUS=disconnected; no leader") or "without ZooKeeper" not in first:
    fail(f"without ZooKeeper, first datagram {first!r}")
if took < 2.0 or answer is None:
    fail(f"without ZooKeeper, READY=1 after {took:.2f} s (session timeout 2 s), socket answered {answer!r}")
if "WATCHDOG=1" in rest or rest[:1] != ["STOPPING=1"] or status != 0:
    fail(f"without ZooKeeper and without WATCHDOG_USEC: {rest!r}, exit {status}")
print(f"ok: without ZooKeeper (NOTIFY_SOCKET in the abstract namespace) {first!r} after {took:.2f} s; then {rest!r}, exit {status}")
