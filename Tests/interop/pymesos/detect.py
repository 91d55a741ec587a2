#!/usr/bin/env python3
"""Interoperability harness for Herald: what pymesos (0.3.15) decides.

Usage: detect.py [--once] [--verbose] zk://host:port[,host:port]/path

pymesos.detector.MasterDetector watches the base path and feeds its
scheduler driver: pymesos.scheduler.MesosSchedulerDriver's
onNewMasterDetectedMessage(data) / onNoMasterDetectedMessage(). The driver
turns the leader's data into "ip:port" (from MasterInfo.address) and calls
its change_master(). This harness builds a real driver around a dummy
scheduler, never starts it, and observes change_master.

One line on stdout per decision, flushed at once (same format as the
mesos-go harness; pymesos only knows ip:port):

    leader hostname=- ip=<ip> packed_ip=- port=<port> id=-
    none

When the detector picks a node whose data the driver cannot use, the driver
logs the failure and does not call change_master (it keeps its previous
master); this harness then says so on stderr and prints, on stdout:

    unusable node=<the child the detector picked>

Without --once it runs until SIGINT/SIGTERM or stdin EOF (stdin /dev/null: until a signal). With --once it
exits after the first line, or after 10 s with exit code 3.
Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 --once timed out.
"""

import logging
import os
import queue
import signal
import sys
import threading
import time
import types

ONCE_TIMEOUT = 10.0
USAGE = "usage: detect.py [--once] [--verbose] zk://host:port[,host:port]/path"

# pymesos.process does `from http_parser.http import HttpParser` at import
# time. The PyPI http-parser package does not build on Python 3.11, and
# master detection never parses HTTP, so pymesos is installed with --no-deps
# and this stub module stands in for http_parser.http. Any use of
# HttpParser would fail loudly.
_http_parser = types.ModuleType("http_parser")
_http_parser_http = types.ModuleType("http_parser.http")


class _NoHttpParser(object):
    def __init__(self, *args, **kwargs):
        raise RuntimeError("http_parser is stubbed out in the detector harness")


_http_parser_http.HttpParser = _NoHttpParser
_http_parser.http = _http_parser_http
sys.modules.setdefault("http_parser", _http_parser)
sys.modules.setdefault("http_parser.http", _http_parser_http)

from pymesos import MesosSchedulerDriver, Scheduler  # noqa: E402
from pymesos.detector import MasterDetector  # noqa: E402


class OneLineFormatter(logging.Formatter):
    """Log records as single lines; tracebacks shrink to `Type: message`."""

    def format(self, record):
        msg = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            msg = "%s (%s: %s)" % (msg, type(exc).__name__, exc)
        msg = " ".join(msg.split())
        return "%s: %s: %s" % (record.levelname.lower(), record.name, msg)


def field(value):
    if value is None or value == "":
        return "-"
    value = str(value)
    if any(c in value for c in " \t\r\n\"="):
        return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')
    return value


def format_master(master):
    """master is what the driver decided: None or "ip:port"."""
    if master is None:
        return "none"
    ip, sep, port = master.rpartition(":")
    if not sep:
        ip, port = master, ""
    return "leader hostname=- ip=%s packed_ip=- port=%s id=-" % (
        field(ip), field(port))


def to_kazoo_hosts(spec):
    """zk://h1:p1,h2:p2/path -> h1:p1,h2:p2/path (kazoo's chroot form)."""
    rest = spec[len("zk://"):] if spec.startswith("zk://") else spec
    hosts, slash, path = rest.partition("/")
    if "@" in hosts:
        raise ValueError("credentials in the URL are not supported by pymesos' detector")
    if not hosts or not slash or not path.strip("/"):
        raise ValueError("expected zk://host:port[,host:port]/path, got %r" % spec)
    return "%s/%s" % (hosts, path.rstrip("/"))


def stdin_is_null():
    """stdin is /dev/null (as when a test starts the harness): only a signal stops it then."""
    try:
        return os.path.samestat(os.fstat(0), os.stat(os.devnull))
    except OSError:
        return False


class DummyScheduler(Scheduler):
    """Never called: the driver is not started."""


def main(argv):
    args = list(argv)
    once = verbose = False
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--once":
            once = True
        elif opt == "--verbose":
            verbose = True
        else:
            print(USAGE, file=sys.stderr)
            return 2
    if len(args) != 1:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        hosts = to_kazoo_hosts(args[0])
    except ValueError as e:
        print("detect.py: %s" % e, file=sys.stderr)
        return 2

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter())
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        handlers=[handler])
    logging.captureWarnings(True)  # kazoo's chroot warning, as one line
    # pymesos installs its own multi-line stderr handler at INFO on import;
    # drop it so its records go through the one-line root handler only.
    pymesos_log = logging.getLogger("pymesos")
    for h in list(pymesos_log.handlers):
        pymesos_log.removeHandler(h)
    pymesos_log.setLevel(logging.NOTSET)

    events = queue.Queue()

    driver = MesosSchedulerDriver(DummyScheduler(), {"user": "", "name": "herald-interop"},
                                  "zk://" + hosts)

    # The real change_master first asks the new master for /version over
    # HTTP and then wakes the (unstarted) I/O loop. Record the decision
    # instead, so that the harness never opens a connection to a master.
    decisions = [0]

    def observe_change_master(master):
        decisions[0] += 1
        events.put(("line", format_master(master)))

    driver.change_master = observe_change_master

    detector = MasterDetector(hosts, driver)

    # Note which node the detector handed to the driver, so a node whose data
    # the driver rejects can be named on stderr.
    driver_on_new = driver.onNewMasterDetectedMessage

    def on_new_master(data):
        before = decisions[0]
        driver_on_new(data)
        if decisions[0] == before:
            events.put(("ignored", detector.masterSeq))

    driver.onNewMasterDetectedMessage = on_new_master

    def stop(*_):
        events.put(("stop", None))

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if not once and not stdin_is_null():
        def watch_stdin():
            try:
                while os.read(sys.stdin.fileno(), 65536):
                    pass
            except OSError:
                pass
            stop()
        threading.Thread(target=watch_stdin, daemon=True).start()

    # MasterDetector.start() blocks until kazoo connects (up to kazoo's own
    # 15 s start timeout), so it runs on a thread: --once keeps its 10 s
    # limit and signals stay responsive while ZooKeeper is unreachable.
    def start_detector():
        try:
            detector.start()
        except Exception as e:  # kazoo raises its own timeout type
            events.put(("error", "cannot start detector: %s: %s" % (type(e).__name__, e)))

    threading.Thread(target=start_detector, daemon=True).start()

    code = 0
    deadline = None
    if once:
        deadline = time.monotonic() + ONCE_TIMEOUT
    try:
        while True:
            timeout = 0.2
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    print("detect.py: nothing detected within %gs" % ONCE_TIMEOUT,
                          file=sys.stderr)
                    code = 3
                    break
                timeout = min(timeout, left)
            try:
                kind, value = events.get(timeout=timeout)
            except queue.Empty:
                continue
            if kind == "stop":
                break
            if kind == "error":
                print("detect.py: %s" % value, file=sys.stderr, flush=True)
                code = 1
                break
            if kind == "ignored":
                print("detect.py: detector picked node %r but the driver did not use "
                      "its data (no change_master)" % value, file=sys.stderr, flush=True)
                value = "unusable node=%s" % field(value)
            sys.stdout.write(value + "\n")
            sys.stdout.flush()
            if once:
                break
    finally:
        detector.stop()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
