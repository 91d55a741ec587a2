#!/usr/bin/env python3
"""Election benchmark orchestrator: Herald's ElectionGroup vs Curator LeaderLatch vs kazoo Election.

Run through `Benchmarks/election-bench` (which installs, builds, starts the ensemble and passes
the paths); this script only needs the Python standard library (+ matplotlib for the plot).

All three harnesses speak Benchmarks/election/PROTOCOL.md; every time below is the difference of
two CLOCK_MONOTONIC timestamps printed by the harness processes (or taken here, for the signals
this script sends), on one machine.

Per round and implementation (implementations interleaved, the order rotating every round), on a
fresh base path, 3 contender processes (1 contender each) + 2 observer processes (0 contenders):
  clean  x --clean-per-round: stdin `release LEADER`; t0 = its `releasing` line;
         -> successor's `elected`, -> successor's belief (`lead S 1`), -> last observer's
         `leader S`; then the released process is stopped and a new contender process re-added.
  crash: SIGKILL of the leader process (t0 taken just before kill) -> same three times; the
         killed process is replaced.
  pause: SIGSTOP of the leader for 1.5 x session timeout, then SIGCONT; overlap = time during
         which two contenders' `lead` beliefs are both 1, the paused process counted from SIGCONT
         (it cannot act while stopped) until it reports `lead L 0` (or the observation window
         ends: then the figure is a lower bound, marked in the CSV).
Scale (N = --scale list): one process with N contenders + 1 observer process (started once the N
contenders are registered); up to N-1 failovers per process by stdin `release LEADER`; per
failover: times as above, the summed mntr deltas of the 3 servers (zk_packets_received, watch
notifications fired = node created/deleted/changed/children watch counts), ZooKeeper servers'
CPU time, and the count of elected/demoted/leader lines the processes printed.
Resources: CPU time (utime+stime) and peak RSS (VmHWM) of every harness process, read just before
it is stopped (or killed).
"""

import argparse
import csv
import json
import math
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

IMPLS = ("herald", "curator", "kazoo")
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


def log(msg):
    print(f"election-bench: {msg}", file=sys.stderr, flush=True)


def now_ns():
    return time.monotonic_ns()


# ------------------------------------------------------------------ processes --
ALL_PROCS = []


class Harness:
    """One harness process and the lines it printed: [(ns, [words...])]."""

    def __init__(self, impl, cmd, label, errdir):
        self.impl, self.label = impl, label
        self.errpath = os.path.join(errdir, f"{label}.err")
        self.err = open(self.errpath, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, bufsize=0)
        ALL_PROCS.append(self)
        self.pid = self.proc.pid
        self.events = []
        self.cond = threading.Condition()
        self.eof = False
        self.killed = False
        self.stopped = False
        self.resources = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            parts = raw.decode(errors="replace").split()
            if len(parts) < 2 or not parts[0].isdigit():
                continue
            with self.cond:
                self.events.append((int(parts[0]), parts[1:]))
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_for(self, pred, timeout, what):
        """Wait until pred(events) returns a non-None value; return it."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                r = pred(self.events)
                if r is not None:
                    return r
                if self.eof:
                    raise BenchError(f"{self.impl} {self.label}: process ended while waiting for "
                                     f"{what} (exit {self.proc.poll()}; stderr: {self.errtail()})")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BenchError(f"{self.impl} {self.label}: no {what} within {timeout:.0f}s "
                                     f"(stderr: {self.errtail()})")
                self.cond.wait(min(left, 0.5))

    def first(self, kind, name=None, after=0):
        with self.cond:
            for ns, w in self.events:
                if ns > after and w[0] == kind and (name is None or (len(w) > 1 and w[1] == name)):
                    return ns, w
        return None

    def wait_event(self, kind, name=None, after=0, timeout=30, what=None):
        def pred(events):
            for ns, w in events:
                if ns > after and w[0] == kind and (name is None or (len(w) > 1 and w[1] == name)):
                    return ns, w
            return None
        return self.wait_for(pred, timeout, what or f"`{kind}{' ' + name if name else ''}`")

    def snapshot(self):
        with self.cond:
            return list(self.events)

    def send(self, line):
        try:
            self.proc.stdin.write((line + "\n").encode())
            self.proc.stdin.flush()
        except OSError as e:
            raise BenchError(f"{self.impl} {self.label}: cannot write to stdin: {e}")

    def errtail(self):
        try:
            with open(self.errpath, "rb") as f:
                data = f.read()[-400:].decode(errors="replace").strip()
            return data.replace("\n", " | ") or "empty"
        except OSError:
            return "unreadable"

    def read_resources(self):
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu_ms = (int(fields[11]) + int(fields[12])) * 1000.0 / CLK_TCK
            hwm = None
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        hwm = int(line.split()[1]) / 1024.0
            self.resources = (cpu_ms, hwm)
        except (OSError, IndexError, ValueError):
            self.resources = None
        return self.resources

    def kill(self):
        self.read_resources()
        self.killed = True
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout=15):
        if self.proc.poll() is not None:
            return
        self.read_resources()
        self.stopped = True
        try:
            os.kill(self.pid, signal.SIGCONT)
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"warning: {self.impl} {self.label} still running {timeout}s after SIGTERM; SIGKILL")
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait(10)


def kill_all():
    for h in ALL_PROCS:
        if h.proc.poll() is None:
            try:
                os.kill(h.pid, signal.SIGCONT)
                os.kill(h.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# -------------------------------------------------------------------- ensemble --
def four_letter(port, word=b"mntr", timeout=3.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(word)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks).decode(errors="replace")


WATCH_KEYS = ("zk_sum_node_created_watch_count", "zk_sum_node_deleted_watch_count",
              "zk_sum_node_changed_watch_count", "zk_sum_node_children_watch_count")


class Ensemble:
    def __init__(self, servers, zk_dir):
        self.ports = [int(s.rsplit(":", 1)[1]) for s in servers.split(",")]
        self.zk_dir = zk_dir
        self.calls = 0

    def mntr(self):
        """Summed counters over the servers. Every mntr connection counts as one packet received
        by its server: `packets` has those of this object's own queries subtracted."""
        self.calls += 1
        total = {"packets": -len(self.ports) * self.calls, "watch_events": 0, "watch_count": 0, "ephemerals": [], "zk_cpu_ms": 0.0}
        for port in self.ports:
            out = four_letter(port)
            kv = {}
            for line in out.splitlines():
                parts = line.split("\t")
                if len(parts) == 2:
                    kv[parts[0]] = parts[1]
            if "zk_packets_received" not in kv:
                raise BenchError(f"mntr of port {port} has no zk_packets_received: {out[:200]!r}")
            total["packets"] += int(kv["zk_packets_received"])
            total["watch_events"] += sum(int(float(kv.get(k, 0))) for k in WATCH_KEYS)
            total["watch_count"] += int(kv.get("zk_watch_count", 0))
            total["ephemerals"].append(int(kv.get("zk_ephemerals_count", 0)))
        total["zk_cpu_ms"] = self.zk_cpu_ms()
        return total

    def zk_cpu_ms(self):
        ms = 0.0
        for i in range(1, len(self.ports) + 1):
            try:
                with open(os.path.join(self.zk_dir, f"zk{i}", "zk.pid")) as f:
                    pid = int(f.read().strip())
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ms += (int(fields[11]) + int(fields[12])) * 1000.0 / CLK_TCK
            except (OSError, ValueError, IndexError):
                return float("nan")
        return ms

    def quiesce(self, max_s=5.0, window=0.25, slack=2):
        """Wait until the summed packet counter moves by at most `slack` over `window` seconds."""
        deadline = time.monotonic() + max_s
        last = self.mntr()
        while time.monotonic() < deadline:
            time.sleep(window)
            cur = self.mntr()
            if cur["packets"] - last["packets"] <= slack:
                return cur
            last = cur
        return last


# ----------------------------------------------------------------- benchmark --
class Bench:
    def __init__(self, a):
        self.a = a
        self.T = a.session_timeout_ms
        self.ens = Ensemble(a.servers, a.zk_dir)
        self.samples = []  # dicts: impl, measure, n, round, value, unit, note
        self.counter = 0
        os.makedirs(a.workdir, exist_ok=True)

    def record(self, impl, measure, value, unit="ms", n="", rnd="", note=""):
        self.samples.append({"impl": impl, "measure": measure, "n": n, "round": rnd,
                             "value": value, "unit": unit, "note": note})

    def cmd(self, impl, base, contenders, name, poll_ms, index):
        common = ["--servers", self.a.servers, "--base", base, "--required", "1",
                  "--contenders", str(contenders), "--session-timeout-ms", str(self.T),
                  "--name", name, "--poll-ms", str(poll_ms), "--index", str(index)]
        if impl == "herald":
            return [self.a.herald_bin] + common
        if impl == "curator":
            return [self.a.java, *self.a.java_opts.split(), "-cp", self.a.java_cp, "LatchHarness"] + common
        return [self.a.kazoo_python, self.a.kazoo_harness] + common

    def spawn(self, impl, base, contenders, name, poll_ms, tag):
        self.counter += 1
        label = f"{impl}-{tag}-{name}"
        h = Harness(impl, self.cmd(impl, base, contenders, name, poll_ms, self.counter % 250),
                    label, self.a.workdir)
        h.name = name
        return h

    def resources(self, impl, procs, kind, n=""):
        for h in procs:
            if h.resources:
                cpu, hwm = h.resources
                self.record(impl, f"resources: {kind} CPU time", cpu, "ms", n)
                if hwm is not None:
                    self.record(impl, f"resources: {kind} peak RSS", hwm, "MiB", n)

    # ---- failover helpers ----
    def wait_leader(self, impl, contenders, observers, after=0, exclude=(), timeout=60, what="a leader"):
        """Wait for some contender process's `elected` after `after` (not in exclude) and for every
        observer to report it. Returns (leader_harness, elected_ns, belief_ns, obs_ns)."""
        deadline = time.monotonic() + timeout
        leader = None
        while leader is None:
            best = None
            for h in contenders:
                if h in exclude or h.killed or h.stopped:
                    continue
                e = h.first("elected", after=after)
                if e and (best is None or e[0] < best[1][0]):
                    best = (h, e)
            if best:
                leader = best
                break
            if time.monotonic() > deadline:
                raise BenchError(f"{impl}: {what}: no contender elected within {timeout}s "
                                 f"(stderr of the contenders: " +
                                 "; ".join(f"{h.label}: {h.errtail()}" for h in contenders) + ")")
            time.sleep(0.005)
        h, (t_el, w) = leader
        name = w[1]
        left = max(1.0, deadline - time.monotonic())
        t_belief = h.wait_event("lead", name, after=after, timeout=left,
                                what=f"`lead {name} 1` ({what})")
        # (the first `lead NAME` after `after` must be 1 for a fresh leader)
        t_belief = t_belief[0] if t_belief[1][-1] == "1" else float("nan")
        obs_times = []
        for o in observers:
            def pred(events, name=name):
                for ns, ww in events:
                    if ns > after and ww[0] == "leader" and ww[1] == name:
                        return ns
                return None
            obs_times.append(o.wait_for(pred, max(1.0, deadline - time.monotonic()),
                                        f"observer `leader {name}` ({what})"))
        return h, name, t_el, t_belief, (max(obs_times) if obs_times else float("nan"))

    def start_round_set(self, impl, base, rnd):
        obs = [self.spawn(impl, base, 0, f"obs{i}", self.a.poll_ms, f"r{rnd}") for i in (1, 2)]
        for o in obs:
            o.wait_event("ready", timeout=60, what="`ready` (observer)")
        cons = [self.spawn(impl, base, 1, f"c{i}", self.a.poll_ms, f"r{rnd}") for i in (1, 2, 3)]
        for c in cons:
            c.wait_event("ready", timeout=60, what="`ready` (contender)")
        return obs, cons

    def one_round(self, impl, rnd):
        base = f"/herald-election-bench/{self.a.run_id}/{impl}/round-{rnd}"
        what = f"round {rnd}"
        obs, cons = self.start_round_set(impl, base, rnd)
        everyone = list(obs) + list(cons)
        next_c = 4
        try:
            leader, name, *_ = self.wait_leader(impl, cons, obs, what=f"{what}: first leader")
            time.sleep(self.a.settle)

            def readd():
                nonlocal next_c
                c = self.spawn(impl, base, 1, f"c{next_c}", self.a.poll_ms, f"r{rnd}")
                next_c += 1
                everyone.append(c)
                c.wait_event("ready", timeout=60, what=f"`ready` (re-added contender, {what})")
                cons.append(c)
                time.sleep(self.a.settle)

            # -- clean failovers
            for k in range(self.a.clean_per_round):
                leader.send(f"release {name}")
                t0, _ = leader.wait_event("releasing", name, timeout=30, what=f"`releasing {name}` ({what})")
                nl, nname, t_el, t_b, t_obs = self.wait_leader(
                    impl, cons, obs, after=t0, exclude=(leader,), timeout=30,
                    what=f"{what}: clean failover {k + 1}")
                tag = f"{rnd}.{k + 1}"
                self.record(impl, "clean: release -> successor elected", (t_el - t0) / 1e6, rnd=tag)
                self.record(impl, "clean: release -> successor believes", (t_b - t0) / 1e6, rnd=tag)
                self.record(impl, "clean: release -> every observer knows", (t_obs - t0) / 1e6, rnd=tag)
                leader.wait_event("released", name, timeout=30, what=f"`released {name}` ({what})")
                leader.stop()
                cons.remove(leader)
                self.resources(impl, [leader], "1-contender process")
                leader, name = nl, nname
                readd()

            # -- crash failover
            victim = leader
            t0 = now_ns()
            victim.kill()
            cons.remove(victim)
            self.resources(impl, [victim], "1-contender process")
            nl, nname, t_el, t_b, t_obs = self.wait_leader(
                impl, cons, obs, after=t0, timeout=self.T / 1000 * 3 + 30, what=f"{what}: crash failover")
            self.record(impl, "crash: SIGKILL -> successor elected", (t_el - t0) / 1e6, rnd=rnd)
            self.record(impl, "crash: SIGKILL -> successor believes", (t_b - t0) / 1e6, rnd=rnd)
            self.record(impl, "crash: SIGKILL -> every observer knows", (t_obs - t0) / 1e6, rnd=rnd)
            self.record(impl, "crash: successor elected / session timeout", (t_el - t0) / 1e6 / self.T,
                        unit="x", rnd=rnd)
            leader, name = nl, nname
            readd()

            # -- pause
            if rnd <= self.a.pause_rounds:
                self.pause(impl, rnd, leader, name, cons, obs)
        finally:
            for h in everyone:
                if h.proc.poll() is None:
                    h.stop()
            self.resources(impl, [h for h in cons if h.stopped], "1-contender process")
            self.resources(impl, [h for h in obs if h.stopped], "observer process")

    def pause(self, impl, rnd, leader, name, cons, obs):
        what = f"round {rnd}: pause"
        # the leader's belief must be 1 before we stop it
        leader.wait_event("lead", name, timeout=10, what=f"`lead {name} 1` before the pause ({what})")
        t_stop = now_ns()
        os.kill(leader.pid, signal.SIGSTOP)
        time.sleep(self.T * 1.5 / 1000)
        t_cont = now_ns()
        os.kill(leader.pid, signal.SIGCONT)
        others = [c for c in cons if c is not leader]
        # a successor should have been elected during the pause (session expiry)
        try:
            nl, nname, t_el, t_b, t_obs = self.wait_leader(
                impl, others, [], after=t_stop, timeout=self.T / 1000 * 2 + 10, what=what)
            self.record(impl, "pause: SIGSTOP -> successor elected", (t_el - t_stop) / 1e6, rnd=rnd)
        except BenchError as e:
            log(f"{impl} {what}: no successor ({e}); overlap is measured over the window anyway")
        # observation window after SIGCONT: until the paused process reports `lead NAME 0`
        window = max(self.a.pause_window, 0.5)
        def cleared(events):
            for ns, w in events:
                if ns > t_cont - 1 and w[:3] == ["lead", name, "0"]:
                    return ns, w
            return None
        try:
            leader.wait_for(cleared, window, f"`lead {name} 0` after SIGCONT ({what})")
        except BenchError:
            pass
        time.sleep(0.05)
        t_end = now_ns()
        overlap, censored = self.overlap(cons, leader, name, t_stop, t_cont, t_end)
        note = "lower bound: the paused process still believed it led at the end of the window" if censored else ""
        self.record(impl, "pause: two processes believe they lead (overlap)", overlap / 1e6, rnd=rnd, note=note)
        stale_end = cleared(leader.snapshot())
        if stale_end:
            self.record(impl, "pause: SIGCONT -> paused leader's belief cleared",
                        (stale_end[0] - t_cont) / 1e6, rnd=rnd)
        else:
            self.record(impl, "pause: SIGCONT -> paused leader's belief cleared",
                        (t_end - t_cont) / 1e6, rnd=rnd, note="lower bound: not cleared within the window")

    @staticmethod
    def overlap(cons, paused, pname, t_stop, t_cont, t_end):
        """Total time in [t_stop, t_end] during which >= 2 contenders believe they lead. The paused
        process counts only from t_cont (it cannot act while stopped)."""
        changes = []  # (ns, key, value)
        initial = {}
        for h in cons:
            for ns, w in h.snapshot():
                if w[0] != "lead" or len(w) < 3:
                    continue
                key = (h.label, w[1])
                if ns <= t_stop:
                    initial[key] = w[2] == "1"
                elif ns <= t_end:
                    changes.append((ns, key, w[2] == "1"))
        pkey = (paused.label, pname)
        # the paused process: believes its last value from t_cont on; nothing while stopped
        pvalue = initial.get(pkey, False)
        pchanges = sorted(c for c in changes if c[1] == pkey)
        changes = [c for c in changes if c[1] != pkey]
        state = {k: v for k, v in initial.items() if k != pkey}
        for ns, k, v in pchanges:
            if ns <= t_cont:
                pvalue = v
        # From SIGCONT on, the paused process believes what its first poll after resuming says
        # (every harness prints that poll: PROTOCOL.md); until it polls it acts on nothing.
        after = [c for c in pchanges if c[0] > t_cont]
        if after:
            pvalue = after[0][2]
        changes.append((t_cont, pkey, pvalue))
        changes += after
        changes.sort(key=lambda c: c[0])
        total, t = 0, t_stop
        for ns, k, v in changes:
            if sum(state.values()) >= 2:
                total += ns - t
            t = ns
            state[k] = v
        if sum(state.values()) >= 2:
            total += t_end - t
        censored = bool(state.get(pkey)) and sum(state.values()) >= 2
        return total, censored

    # ---- scale ----
    def wait_registered(self, base, n, what, harness):
        """Every contender registered: `base` has n children. Counted on the run's own path with a
        short-lived client of its own (closed before anything is measured): the ensemble-wide
        ephemeral count also moves while an earlier run's sessions are still expiring."""
        from kazoo.client import KazooClient
        from kazoo.exceptions import NoNodeError

        zk = KazooClient(hosts=self.a.servers)
        zk.start(timeout=30)
        try:
            deadline = time.monotonic() + self.a.scale_setup_timeout
            while True:
                try:
                    got = len(zk.get_children(base))
                except NoNodeError:
                    got = 0
                if got >= n:
                    return
                if time.monotonic() > deadline:
                    raise BenchError(f"{what}: only {got} of {n} contenders registered within "
                                     f"{self.a.scale_setup_timeout}s (stderr: {harness.errtail()})")
                time.sleep(0.2)
        finally:
            zk.stop()
            zk.close()

    def scale_run(self, impl, n, run, failovers):
        base = f"/herald-election-bench/{self.a.run_id}/{impl}/scale-{n}-{run}"
        what = f"scale N={n} run {run}"
        t_start = time.monotonic()
        c = self.spawn(impl, base, n, "s", self.a.scale_poll_ms, f"n{n}-{run}")
        procs = [c]
        try:
            c.wait_event("ready", timeout=60, what=f"`ready` ({what})")
            self.wait_registered(base, n, f"{impl} {what}", c)
            setup_s = time.monotonic() - t_start
            self.record(impl, "scale: start -> all contenders registered", setup_s * 1000, n=n, rnd=run)
            o = self.spawn(impl, base, 0, "obs", self.a.poll_ms, f"n{n}-{run}")
            procs.append(o)
            o.wait_event("ready", timeout=60, what=f"`ready` (observer, {what})")
            leader, name, *_ = self.wait_leader(impl, [c], [o], timeout=120, what=f"{what}: first leader")
            time.sleep(self.a.settle)
            idle = self.ens.quiesce()
            self.record(impl, "scale: ZooKeeper watches registered (all servers)", idle["watch_count"], "watches",
                        n=n, rnd=run)
            for k in range(failovers):
                m0 = self.ens.quiesce()
                c_lines0 = len(c.snapshot())
                o_lines0 = len(o.snapshot())
                c.send(f"release {name}")
                t0, _ = c.wait_event("releasing", name, timeout=30, what=f"`releasing {name}` ({what})")

                def pred(events, t0=t0, name=name):
                    for ns, w in events:
                        if ns > t0 and w[0] == "elected" and w[1] != name:
                            return ns, w[1]
                    return None
                t_el, nname = c.wait_for(pred, 60, f"a successor's `elected` ({what}, failover {k + 1})")
                t_b = c.wait_event("lead", nname, after=t0, timeout=30, what=f"`lead {nname} 1` ({what})")[0]
                t_obs = o.wait_event("leader", nname, after=t0, timeout=60,
                                     what=f"observer `leader {nname}` ({what})")[0]
                c.wait_event("released", name, timeout=30, what=f"`released {name}` ({what})")
                m1 = self.ens.quiesce()
                tag = f"{run}.{k + 1}"
                self.record(impl, "scale: release -> successor elected", (t_el - t0) / 1e6, n=n, rnd=tag)
                self.record(impl, "scale: release -> successor believes", (t_b - t0) / 1e6, n=n, rnd=tag)
                self.record(impl, "scale: release -> observer knows", (t_obs - t0) / 1e6, n=n, rnd=tag)
                self.record(impl, "scale: ZooKeeper packets received per failover (3 servers)",
                            m1["packets"] - m0["packets"], "packets", n=n, rnd=tag)
                self.record(impl, "scale: watch notifications fired per failover (3 servers)",
                            m1["watch_events"] - m0["watch_events"], "events", n=n, rnd=tag)
                self.record(impl, "scale: ZooKeeper servers' CPU time per failover",
                            m1["zk_cpu_ms"] - m0["zk_cpu_ms"], "ms", n=n, rnd=tag)
                lines = [w for _, w in c.snapshot()[c_lines0:]] + [w for _, w in o.snapshot()[o_lines0:]]
                self.record(impl, "scale: elected/demoted/leader lines per failover",
                            sum(1 for w in lines if w[0] in ("elected", "demoted", "leader")), "lines", n=n, rnd=tag)
                name = nname
        finally:
            for h in procs:
                h.stop(timeout=60)
        self.resources(impl, [c], f"{n}-contender process", n=n)

    # ---- driver ----
    def run(self):
        impls = list(self.a.impls)
        log(f"rounds: {self.a.rounds} (clean failovers per round {self.a.clean_per_round}, 1 crash, "
            f"pause in the first {self.a.pause_rounds}); scale N = {self.a.scale}; session timeout {self.T} ms")
        for rnd in range(1, self.a.rounds + 1):
            order = impls[(rnd - 1) % len(impls):] + impls[:(rnd - 1) % len(impls)]
            for impl in order:
                t = time.monotonic()
                self.one_round(impl, rnd)
                log(f"round {rnd}/{self.a.rounds} {impl}: {time.monotonic() - t:.1f}s")
        for n in self.a.scale:
            per_run = min(self.a.scale_failovers, n - 1)
            runs = math.ceil(self.a.scale_failovers / per_run)
            for run in range(1, runs + 1):
                order = impls[(run - 1) % len(impls):] + impls[:(run - 1) % len(impls)]
                for impl in order:
                    t = time.monotonic()
                    left = self.a.scale_failovers - (run - 1) * per_run
                    self.scale_run(impl, n, run, min(per_run, left))
                    log(f"scale N={n} run {run}/{runs} {impl}: {time.monotonic() - t:.1f}s")


# -------------------------------------------------------------------- report --
def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, math.ceil(p / 100 * len(v)) - 1)  # nearest rank
    return v[k]


def fmt(x, unit):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if unit in ("packets", "events", "lines", "watches"):
        return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.1f}"
    if unit == "x":
        return f"{x:.2f}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def summarize(samples):
    groups = {}
    order = []
    for s in samples:
        key = (s["measure"], str(s["n"]))
        if key not in groups:
            groups[key] = {}
            order.append(key)
        groups[key].setdefault(s["impl"], []).append(s)
    return order, groups


def write_report(a, bench, header):
    samples = bench.samples
    with open(a.out_csv, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["measure", "contenders", "impl", "round", "value", "unit", "note"])
        for s in samples:
            w.writerow([s["measure"], s["n"], s["impl"], s["round"],
                        f"{s['value']:.3f}" if isinstance(s["value"], float) else s["value"], s["unit"], s["note"]])
    order, groups = summarize(samples)
    md = ["# Election benchmark: Herald vs Curator LeaderLatch vs kazoo Election", ""]
    md += [f"- {line}" for line in header]
    md += ["", "Every figure below was measured in this one run, on the same ensemble, with the "
           "implementations interleaved round by round. Read the **ratio** columns (peer median / "
           "Herald median; > 1: the peer takes longer or uses more); the absolute numbers describe "
           "this machine and this run, not a property of any implementation.", ""]
    md += ["| measure | N | impl | median | p99 | min | max | runs | ratio to Herald |",
           "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key in order:
        measure, n = key
        by_impl = groups[key]
        hv = [s["value"] for s in by_impl.get("herald", [])]
        hmed = statistics.median(hv) if hv else None
        for impl in IMPLS:
            ss = by_impl.get(impl)
            if not ss:
                continue
            vals = [s["value"] for s in ss]
            unit = ss[0]["unit"]
            med = statistics.median(vals)
            lower = any(s["note"] for s in ss)
            if impl == "herald":
                ratio = "1"
            elif hmed is None:
                ratio = "–"
            elif hmed == 0:
                ratio = "∞ (Herald 0)" if med > 0 else "– (both 0)"
            else:
                ratio = f"{med / hmed:.2f}"
            mark = " ≥" if lower else ""
            md.append(f"| {measure} ({unit}) | {n or '–'} | {impl} |{mark} {fmt(med, unit)} | {fmt(pct(vals, 99), unit)} "
                      f"| {fmt(min(vals), unit)} | {fmt(max(vals), unit)} | {len(vals)} | {ratio} |")
    md += ["", "≥: at least one run was cut off by the observation window (the paused leader still "
           "believed it led), so the figure is a lower bound.", ""]
    md += a.notes_md.split("\n") if a.notes_md else []
    md += ["", f"Raw samples: `{os.path.basename(a.out_csv)}`; plot: `{os.path.basename(a.out_plot)}`.", ""]
    with open(a.out_md, "w") as f:
        f.write("\n".join(md) + "\n")
    plot(a, bench, header)


def plot(a, bench, header):
    s = bench.samples
    panels = [("clean: release -> successor elected", ""), ("crash: SIGKILL -> successor elected", "")]
    panels += [("scale: release -> successor elected", str(n)) for n in a.scale]
    panels += [("scale: release -> observer knows", str(n)) for n in a.scale]
    data = []
    for measure, n in panels:
        row = {}
        for impl in IMPLS:
            vals = [x["value"] for x in s if x["measure"] == measure and str(x["n"]) == n and x["impl"] == impl]
            if vals:
                row[impl] = vals
        label = measure.split(":")[0] + ("" if not n else f" N={n}") + "\n" + measure.split(":")[1].strip()
        data.append((label, row))
    colors = {"herald": "#1b7837", "curator": "#2166ac", "kazoo": "#b2182b"}
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return svg_fallback(a, data, header, colors)
    fig, ax = plt.subplots(figsize=(13, 6.5))
    width = 0.26
    for i, impl in enumerate(IMPLS):
        xs, meds, lo, hi = [], [], [], []
        for j, (_, row) in enumerate(data):
            if impl in row:
                v = row[impl]
                m = statistics.median(v)
                xs.append(j + (i - 1) * width)
                meds.append(m)
                lo.append(m - min(v))
                hi.append(max(v) - m)
        ax.bar(xs, meds, width, yerr=[lo, hi], capsize=3, label=impl, color=colors[impl])
    ax.set_yscale("log")
    ax.set_ylabel("failover latency, ms (median; bars: min–max; log scale)")
    ax.set_xticks(range(len(data)))
    ax.set_xticklabels([d[0] for d in data], fontsize=7)
    ax.legend()
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.suptitle("Election failover latency per implementation and contender count\n" +
                 "\n".join(header[:4]), fontsize=8)
    fig.tight_layout()
    fig.savefig(a.out_plot)


def svg_fallback(a, data, header, colors):
    W, H, left, bottom, top = 1100, 520, 70, 90, 90
    vmax = max((max(v) for _, row in data for v in row.values()), default=1)
    vmin = max(min((min(v) for _, row in data for v in row.values()), default=0.1), 0.01)
    lo, hi = math.log10(vmin) - 0.2, math.log10(vmax) + 0.2

    def y(v):
        return top + (H - top - bottom) * (1 - (math.log10(max(v, vmin)) - lo) / (hi - lo))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="10">']
    for i, line in enumerate(["Election failover latency (median, ms, log scale; whiskers min–max)"] + header[:4]):
        out.append(f'<text x="10" y="{16 + 13 * i}">{line.replace("&", "&amp;").replace("<", "&lt;")}</text>')
    slot = (W - left - 20) / max(len(data), 1)
    for j, (label, row) in enumerate(data):
        for i, impl in enumerate(IMPLS):
            if impl not in row:
                continue
            v = row[impl]
            m = statistics.median(v)
            x = left + j * slot + (i + 0.5) * slot / 4
            out.append(f'<rect x="{x:.1f}" y="{y(m):.1f}" width="{slot / 4 - 2:.1f}" height="{H - bottom - y(m):.1f}" fill="{colors[impl]}"/>')
            cx = x + slot / 8
            out.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(min(v)):.1f}" y2="{y(max(v)):.1f}" stroke="black"/>')
        for k, part in enumerate(label.split("\n")):
            out.append(f'<text x="{left + j * slot:.1f}" y="{H - bottom + 15 + 12 * k}">{part}</text>')
    for e in range(math.floor(lo), math.ceil(hi) + 1):
        if lo <= e <= hi:
            out.append(f'<text x="5" y="{y(10 ** e):.1f}">{10 ** e:g} ms</text>')
    for i, impl in enumerate(IMPLS):
        out.append(f'<rect x="{W - 120}" y="{top + 15 * i}" width="10" height="10" fill="{colors[impl]}"/>'
                   f'<text x="{W - 105}" y="{top + 9 + 15 * i}">{impl}</text>')
    out.append("</svg>")
    with open(a.out_plot, "w") as f:
        f.write("\n".join(out) + "\n")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--servers", required=True)
    p.add_argument("--zk-dir", required=True)
    p.add_argument("--herald-bin", required=True)
    p.add_argument("--java", default="java")
    p.add_argument("--java-opts", default="")
    p.add_argument("--java-cp", required=True)
    p.add_argument("--kazoo-python", required=True)
    p.add_argument("--kazoo-harness", required=True)
    p.add_argument("--session-timeout-ms", type=int, default=4000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--clean-per-round", type=int, default=3)
    p.add_argument("--pause-rounds", type=int, default=3)
    p.add_argument("--pause-window", type=float, default=3.0, help="seconds after SIGCONT")
    p.add_argument("--scale", default="3,50,500")
    p.add_argument("--scale-failovers", type=int, default=4)
    p.add_argument("--scale-setup-timeout", type=float, default=180)
    p.add_argument("--poll-ms", type=int, default=1)
    p.add_argument("--scale-poll-ms", type=int, default=10)
    p.add_argument("--settle", type=float, default=0.5)
    p.add_argument("--impls", default=",".join(IMPLS))
    p.add_argument("--workdir", required=True)
    p.add_argument("--run-id", default=str(int(time.time())))
    p.add_argument("--out-md", required=True)
    p.add_argument("--out-csv", required=True)
    p.add_argument("--out-plot", required=True)
    p.add_argument("--header-json", default="[]", help="JSON list of header lines")
    p.add_argument("--notes-md", default="", help="Markdown appended after the table")
    a = p.parse_args(argv)
    a.scale = [int(x) for x in a.scale.split(",") if x]
    a.impls = [x for x in a.impls.split(",") if x]
    header = json.loads(a.header_json)
    bench = Bench(a)
    rc = 0
    try:
        bench.run()
    except BenchError as e:
        log(f"FAILED: {e}")
        rc = 1
    except KeyboardInterrupt:
        log("interrupted")
        rc = 130
    finally:
        kill_all()
    if rc == 0:
        write_report(a, bench, header)
    else:
        with open(os.path.join(a.workdir, "partial.json"), "w") as f:
            json.dump(bench.samples, f)
    return rc


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    sys.exit(main(sys.argv[1:]))
