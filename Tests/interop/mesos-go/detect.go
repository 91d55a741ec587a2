// Command detect is an interoperability harness for Herald: it runs the
// ZooKeeper master detector of mesos-go (api/v0/detector with its zoo
// plugin, as packaged by Debian in golang-github-mesos-mesos-go-dev) against
// a Mesos-style base path and prints what that detector decides.
//
// Usage: detect [--once] [--verbose] zk://host:port[,host:port]/path
//
// One line on stdout per detection, written unbuffered:
//
//	leader hostname=<h|-> ip=<address.ip|-> packed_ip=<dotted quad|-> port=<n|-> id=<id|->
//	none
//
// `none` means the detector handed a nil MasterInfo to its listener. mesos-go
// does that both when there is no candidate and when the leading node's data
// could not be decoded; in the second case the detector's own error is logged
// on stderr just before.
//
// Without --once the program runs until SIGINT/SIGTERM or until stdin
// reaches EOF (stdin /dev/null: until a signal). With --once it exits after the first line, or after 10 s with
// exit code 3 if nothing was detected (stdin is not watched then).
//
// Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 --once timed out.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mesos/mesos-go/api/v0/detector"
	_ "github.com/mesos/mesos-go/api/v0/detector/zoo" // registers the zk:// plugin
	mesos "github.com/mesos/mesos-go/api/v0/mesosproto"
	"github.com/samuel/go-zookeeper/zk"
)

const onceTimeout = 10 * time.Second

// zkLogger filters the ZooKeeper client's chatter: connection failures are
// always shown (one line each, prefixed), the rest only with --verbose.
type zkLogger struct{ verbose bool }

func (l zkLogger) Printf(format string, args ...interface{}) {
	msg := strings.TrimSpace(fmt.Sprintf(format, args...))
	if !l.verbose && !strings.Contains(strings.ToLower(msg), "fail") {
		return
	}
	fmt.Fprintln(os.Stderr, "zk: "+strings.ReplaceAll(msg, "\n", " "))
}

func fail(code int, format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintln(os.Stderr, "detect: "+strings.ReplaceAll(msg, "\n", " "))
	os.Exit(code)
}

// field renders one value of the output line: "-" when absent, quoted when it
// would otherwise break the space-separated format.
func field(s string) string {
	if s == "" {
		return "-"
	}
	if strings.ContainsAny(s, " \t\r\n\"=") {
		return strconv.Quote(s)
	}
	return s
}

// packedIP decodes MasterInfo.ip the way Mesos means it: the four bytes of
// the IPv4 address in network order, stored in a uint32 that Mesos writes
// from in_addr.s_addr on a little-endian host. So the least significant
// byte of the integer is the first octet (127.0.0.1 == 16777343).
func packedIP(v uint32) string {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, v)
	return net.IP(b).String()
}

func format(mi *mesos.MasterInfo) string {
	if mi == nil {
		return "none"
	}
	hostname := mi.GetHostname()
	addrIP := ""
	if a := mi.GetAddress(); a != nil {
		addrIP = a.GetIp()
	}
	packed := ""
	if mi.Ip != nil {
		packed = packedIP(*mi.Ip)
	}
	port := ""
	if mi.Port != nil {
		port = strconv.FormatUint(uint64(*mi.Port), 10)
	} else if a := mi.GetAddress(); a != nil && a.Port != nil {
		port = strconv.FormatInt(int64(*a.Port), 10)
	}
	return fmt.Sprintf("leader hostname=%s ip=%s packed_ip=%s port=%s id=%s",
		field(hostname), field(addrIP), field(packed), field(port), field(mi.GetId()))
}

// stdinIsNull tells whether stdin is /dev/null (as when a test starts the harness): then only a
// signal stops it, since /dev/null reads as EOF at once.
func stdinIsNull() bool {
	in, err := os.Stdin.Stat()
	if err != nil {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err == nil && os.SameFile(in, null)
}

// checkURL rejects what the zoo plugin would otherwise turn into a fatal
// log (and a goroutine dump) or a watch on an empty path.
func checkURL(spec string) error {
	if !strings.HasPrefix(spec, "zk://") {
		return fmt.Errorf("master URL must start with zk://, got %q", spec)
	}
	u, err := url.Parse(spec)
	if err != nil {
		return fmt.Errorf("cannot parse %q: %v", spec, err)
	}
	if u.Host == "" {
		return fmt.Errorf("no ZooKeeper hosts in %q", spec)
	}
	if u.Path == "" || u.Path == "/" {
		return fmt.Errorf("no base path in %q (zk://host:port/path)", spec)
	}
	return nil
}

func main() {
	once := flag.Bool("once", false, "exit after the first detection (exit 3 after 10s without one)")
	verbose := flag.Bool("verbose", false, "show the detector's and ZooKeeper client's debug logging")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: detect [--once] [--verbose] zk://host:port[,host:port]/path")
	}
	flag.Parse() // also marks glog's flags as parsed
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	spec := flag.Arg(0)
	if err := checkURL(spec); err != nil {
		fail(2, "%v", err)
	}

	// glog: no log files under /tmp; warnings and errors of the detector
	// (undecodable leader data, odd node names) go to stderr.
	_ = flag.Set("logtostderr", "true")
	if *verbose {
		_ = flag.Set("v", "3")
	}
	zk.DefaultLogger = zkLogger{verbose: *verbose}

	md, err := detector.New(spec)
	if err != nil {
		fail(1, "creating detector: %v", err)
	}

	lines := make(chan string, 64)
	err = md.Detect(detector.OnMasterChanged(func(mi *mesos.MasterInfo) {
		lines <- format(mi)
	}))
	if err != nil {
		fail(1, "starting detection: %v", err)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)

	stdinEOF := make(chan struct{})
	if !*once && !stdinIsNull() {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			close(stdinEOF)
		}()
	}

	var timeout <-chan time.Time
	if *once {
		timeout = time.After(onceTimeout)
	}

	code := 0
loop:
	for {
		select {
		case line := <-lines:
			if _, err := fmt.Fprintln(os.Stdout, line); err != nil {
				code = 1
				break loop
			}
			if *once {
				break loop
			}
		case <-sigs:
			break loop
		case <-stdinEOF:
			break loop
		case <-timeout:
			fmt.Fprintf(os.Stderr, "detect: nothing detected within %s\n", onceTimeout)
			code = 3
			break loop
		case <-md.Done():
			fmt.Fprintln(os.Stderr, "detect: detector stopped (ZooKeeper connection closed)")
			code = 1
			break loop
		}
	}

	md.Cancel()
	select {
	case <-md.Done():
	case <-time.After(time.Second):
	}
	os.Exit(code)
}
