// Curator LeaderLatch harness for the election benchmark (Benchmarks/election/PROTOCOL.md).
//
//   java -cp CLASSES:JARS LatchHarness --servers H:P,... --base /path --contenders N
//        [--session-timeout-ms 4000] [--name NAME] [--poll-ms 1] [--required 1 (ignored)]
//
// N contenders = N LeaderLatch instances on ONE CuratorFramework (one ZooKeeper session), each with
// participant id NAME (N = 1) or NAME-i. Library signal: LeaderLatchListener.isLeader/notLeader ->
// `elected`/`demoted`. Belief: latch.hasLeadership(), polled every --poll-ms. Release (stdin
// `release NAME`, or SIGTERM for all): latch.close() (CloseMode.SILENT, Curator's default).
// N = 0: observer only: a watch on the latch path's children; the leader is the participant id
// (node data) of the lowest-sequence `latch-` node, which is what LeaderLatch.getLeader() returns.
// Timestamps: System.nanoTime(), CLOCK_MONOTONIC on Linux.
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;

public final class LatchHarness {
    private static final FileOutputStream OUT = new FileOutputStream(FileDescriptor.out);

    static synchronized void emit(String line) {
        byte[] bytes = (System.nanoTime() + " " + line + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            OUT.write(bytes); // one write(2) per line, unbuffered
        } catch (java.io.IOException e) {
            Runtime.getRuntime().halt(1);
        }
    }

    static String servers;
    static String base;
    static int contenders = 1;
    static int sessionTimeoutMs = 4000;
    static String name;
    static int pollMs = 1;

    static final Map<String, LeaderLatch> latches = new LinkedHashMap<>();
    static final Map<String, Boolean> released = new LinkedHashMap<>();
    static CuratorFramework client;
    static volatile String seenLeader = null;

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--servers": servers = v; i++; break;
                case "--base": base = v; i++; break;
                case "--contenders": contenders = Integer.parseInt(v); i++; break;
                case "--session-timeout-ms": sessionTimeoutMs = Integer.parseInt(v); i++; break;
                case "--name": name = v; i++; break;
                case "--poll-ms": pollMs = Integer.parseInt(v); i++; break;
                case "--required": i++; break; // LeaderLatch has no quorum of candidates
                case "--index": i++; break;
                default:
                    System.err.println("LatchHarness: unknown argument " + a);
                    System.exit(2);
            }
        }
        if (servers == null || base == null) {
            System.err.println("LatchHarness: --servers and --base are required");
            System.exit(2);
        }
        if (name == null) name = "contender-0";

        client = CuratorFrameworkFactory.builder()
                .connectString(servers)
                .sessionTimeoutMs(sessionTimeoutMs)
                .connectionTimeoutMs(Math.max(sessionTimeoutMs, 1000))
                .retryPolicy(new ExponentialBackoffRetry(100, 10))
                .build();
        client.start();

        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), sig -> releaseAllAndExit());
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> releaseAllAndExit());

        List<String> names = new ArrayList<>();
        for (int i = 0; i < contenders; i++) names.add(contenders == 1 ? name : name + "-" + i);
        for (String n : names) {
            LeaderLatch latch = new LeaderLatch(client, base, n);
            latch.addListener(new LeaderLatchListener() {
                @Override public void isLeader() { emit("elected " + n); }
                @Override public void notLeader() { emit("demoted " + n); }
            });
            synchronized (latches) {
                latches.put(n, latch);
                released.put(n, false);
            }
        }
        emit("ready");
        synchronized (latches) {
            for (LeaderLatch latch : latches.values()) latch.start();
        }
        if (contenders == 0) startObserver();
        if (pollMs > 0 && contenders > 0) {
            Thread poller = new Thread(LatchHarness::pollBeliefs, "poll");
            poller.setDaemon(true);
            poller.start();
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split(" ");
            if (w.length != 2 || !w[0].equals("release")) continue;
            release(w[1]);
        }
        // stdin closed: keep running until SIGTERM
        Thread.sleep(Long.MAX_VALUE);
    }

    static void release(String n) {
        LeaderLatch latch;
        synchronized (latches) {
            latch = latches.get(n);
            if (latch == null || released.get(n)) return;
            released.put(n, true);
        }
        emit("releasing " + n);
        try {
            latch.close();
        } catch (Exception e) {
            System.err.println("LatchHarness: close " + n + ": " + e);
        }
        emit("released " + n);
    }

    static void releaseAllAndExit() {
        List<String> names;
        synchronized (latches) { names = new ArrayList<>(latches.keySet()); }
        for (String n : names) release(n);
        Runtime.getRuntime().halt(0);
    }

    static void pollBeliefs() {
        Map<String, Boolean> believed = new LinkedHashMap<>();
        List<Map.Entry<String, LeaderLatch>> entries;
        synchronized (latches) { entries = new ArrayList<>(latches.entrySet()); }
        long last = System.nanoTime();
        while (true) {
            // After a gap (the process was stopped), say what the first poll believes.
            boolean resumed = System.nanoTime() - last > 5L * pollMs * 1_000_000L;
            for (Map.Entry<String, LeaderLatch> e : entries) {
                boolean now = e.getValue().hasLeadership();
                if (believed.getOrDefault(e.getKey(), false) != now || (resumed && now)) {
                    believed.put(e.getKey(), now);
                    emit("lead " + e.getKey() + " " + (now ? 1 : 0));
                }
            }
            last = System.nanoTime();
            try { Thread.sleep(pollMs); } catch (InterruptedException ie) { return; }
        }
    }

    // ---- observer: children watch on the latch path, leader = data of the lowest latch- node ----
    static void startObserver() throws Exception {
        try {
            client.create().creatingParentContainersIfNeeded().forPath(base);
        } catch (KeeperException.NodeExistsException ignored) {
        }
        readLeader();
    }

    static final CuratorWatcher WATCHER = (WatchedEvent event) -> {
        if (event.getType() != Watcher.Event.EventType.None) readLeader();
    };

    static synchronized void readLeader() {
        try {
            List<String> children = client.getChildren().usingWatcher(WATCHER).forPath(base);
            List<String> latchNodes = new ArrayList<>();
            for (String c : children) if (c.contains("latch-")) latchNodes.add(c);
            latchNodes.sort(Comparator.comparing(LatchHarness::sequence));
            String leader = "-";
            for (String c : latchNodes) {
                try {
                    byte[] data = client.getData().forPath(base + "/" + c);
                    leader = new String(data, StandardCharsets.UTF_8);
                    break;
                } catch (KeeperException.NoNodeException gone) {
                    // deleted meanwhile: the next one
                }
            }
            if (!leader.equals(seenLeader)) {
                seenLeader = leader;
                emit("leader " + leader);
            }
        } catch (Exception e) {
            System.err.println("LatchHarness: observer read: " + e);
            // the watch may be lost with the error; retry shortly
            new Thread(() -> {
                try { Thread.sleep(100); } catch (InterruptedException ignored) {}
                readLeader();
            }).start();
        }
    }

    static String sequence(String node) {
        int i = node.lastIndexOf("latch-");
        return i < 0 ? node : node.substring(i + "latch-".length());
    }
}
