package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// options are run's flags.
type options struct {
	rooms      int           // rooms of A and C
	rateA      float64       // sends per second in A
	rateC      float64       // sends per second in C
	senders    int           // closed-loop senders of B
	duration   time.Duration // how long A, B and C send
	conns      int           // websockets of idle and storm
	inFlight   int           // websocket handshakes at a time
	settle     time.Duration // longest wait for the server's memory to settle
	closedWait time.Duration // when to read the server's memory after the storm's websockets closed
	pid        int           // the server's process, for its RSS; 0: not measured
	pprof      string        // base URL of the server's /debug/pprof/; "": no profiles
	profiles   string        // where profiles go
	drainAfter time.Duration // longest wait for deliveries after the last send
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doorstep-load run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "", "the server's `URL`")
	statePath := fs.String("state", "", "the state file setup wrote (Doorstep)")
	isRaw := fs.Bool("raw", false, "the server is rawfanout, the raw gorilla/websocket floor")
	rawSize := fs.Int("size", 10, "receivers per group room (-raw; Doorstep's come from the state)")
	scenarios := fs.String("scenario", "A", "comma-separated: A, B, C, idle, storm")
	var o options
	fs.IntVar(&o.rooms, "rooms", 100, "rooms of A and C")
	fs.Float64Var(&o.rateA, "rate-a", 200, "sends per second in A")
	fs.Float64Var(&o.rateC, "rate-c", 100, "sends per second in C")
	fs.IntVar(&o.senders, "senders", 100, "closed-loop senders in B")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long A, B and C send")
	fs.IntVar(&o.conns, "conns", 10_000, "websockets held in idle and storm")
	fs.IntVar(&o.inFlight, "in-flight", 256, "websocket handshakes at a time")
	fs.DurationVar(&o.settle, "settle", 10*time.Second, "longest wait for the server's memory to settle")
	fs.DurationVar(&o.closedWait, "closed-wait", 10*time.Second, "when to read the server's memory after the storm's websockets have closed")
	fs.DurationVar(&o.drainAfter, "drain", 15*time.Second, "longest wait for deliveries after the last send")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id, to read its memory (RSS) from /proc")
	fs.StringVar(&o.pprof, "pprof", "", "the server's profiles, e.g. http://127.0.0.1:9090/debug/pprof (saves heap and goroutine profiles at 1k and all websockets in idle and storm, a CPU profile in C)")
	fs.StringVar(&o.profiles, "profiles", ".", "`dir`ectory for the profiles")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" {
		return errors.New("run needs -url")
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: transport(max(o.senders, 64))}
	var t target
	if *isRaw {
		t = &raw{base: strings.TrimRight(*base, "/"), groups: *rawSize, hc: hc}
	} else {
		if *statePath == "" {
			return errors.New("run needs -state (or -raw)")
		}
		st, err := readState(*statePath)
		if err != nil {
			return err
		}
		if t, err = newDoorstep(*base, st, hc); err != nil {
			return err
		}
	}
	for _, sc := range strings.Split(*scenarios, ",") {
		var results []result
		var err error
		switch sc = strings.TrimSpace(sc); sc {
		case "A":
			results, err = scenarioA(ctx, t, o, stderr)
		case "B":
			results, err = scenarioB(ctx, t, o, stderr)
		case "C":
			results, err = scenarioC(ctx, t, o, stderr)
		case "idle":
			results, err = scenarioIdle(ctx, t, o, false, stderr)
		case "storm":
			results, err = scenarioIdle(ctx, t, o, true, stderr)
		default:
			return fmt.Errorf("unknown scenario %q (A, B, C, idle, storm)", sc)
		}
		if err != nil {
			return fmt.Errorf("scenario %s against %s: %w", sc, t.name(), err)
		}
		for _, r := range results {
			fmt.Fprintln(stdout, r.line())
		}
	}
	return nil
}

// runPrefix tells this run's messages from any other's.
func runPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "load-" + hex.EncodeToString(b)
}

// deliveries times each message from the start of its send to each of its
// arrivals.
type deliveries struct {
	base   time.Time
	sentAt []atomic.Int64 // time after base of the send's start, plus 1 (0: not sent)
	mu     sync.Mutex
	lat    []time.Duration
	// first and last arrival of each message, after base: the spread
	// between them is what fanning one message out to its receivers took.
	first, last []time.Duration
	stray       atomic.Int64 // arrivals of messages never sent
}

func newDeliveries(n int) *deliveries {
	return &deliveries{base: time.Now(), sentAt: make([]atomic.Int64, n), lat: make([]time.Duration, 0, n),
		first: make([]time.Duration, n), last: make([]time.Duration, n)}
}

func (d *deliveries) sent(seq int) { d.sentAt[seq].Store(int64(time.Since(d.base)) + 1) }

func (d *deliveries) arrived(seq int) {
	if seq < 0 || seq >= len(d.sentAt) || d.sentAt[seq].Load() == 0 {
		d.stray.Add(1)
		return
	}
	now := time.Since(d.base)
	d.mu.Lock()
	d.lat = append(d.lat, now-time.Duration(d.sentAt[seq].Load()-1))
	if d.first[seq] == 0 {
		d.first[seq] = now
	}
	d.last[seq] = now
	d.mu.Unlock()
}

// spreads are, for each message that reached anyone, the time from its
// first arrival to its last.
func (d *deliveries) spreads() []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	var s []time.Duration
	for i := range d.first {
		if d.first[i] != 0 {
			s = append(s, d.last[i]-d.first[i])
		}
	}
	return s
}

func (d *deliveries) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.lat)
}

func (d *deliveries) latencies() []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Duration(nil), d.lat...)
}

// openLoop sends at rate for d, each send on its own goroutine whatever the
// server's pace, round the rooms; it returns once every send has been
// answered, with the acknowledgement times and how many failed.
func openLoop(ctx context.Context, t target, rooms []room, rate float64, d time.Duration, del *deliveries, fl *fleet) (acks []time.Duration, failed int, err error) {
	n := int(rate * d.Seconds())
	if n > len(del.sentAt) {
		return nil, 0, errors.New("more sends than the deliveries can time")
	}
	interval := time.Duration(float64(time.Second) / rate)
	var wg sync.WaitGroup
	var mu sync.Mutex
	acks = make([]time.Duration, 0, n)
	var failures atomic.Int64
	var firstErr error
	start := time.Now()
	for seq := range n {
		if wait := time.Until(start.Add(time.Duration(seq) * interval)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, 0, ctx.Err()
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			del.sent(seq)
			err := t.send(ctx, rooms[seq%len(rooms)], false, fmt.Sprintf("%s-%d", fl.prefix, seq), fl.text(seq))
			took := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures.Add(1)
				firstErr = cmpErr(firstErr, err)
				return
			}
			acks = append(acks, took)
		}()
	}
	wg.Wait()
	if failures.Load() > 0 {
		fmt.Fprintln(os.Stderr, "doorstep-load: a send failed:", firstErr)
	}
	return acks, int(failures.Load()), nil
}

// waitFor polls cond until it holds or d has passed.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// fanOut is A and C: receivers per room on websockets, sends into the
// rooms at a rate, each delivery timed.
func fanOut(ctx context.Context, t target, o options, name string, group bool, rate float64, stderr io.Writer) ([]result, error) {
	per := 1
	if group {
		per = t.size()
	}
	var rooms []room
	var rcs []receiver
	for n := range o.rooms {
		r := room{group: group, n: n}
		rooms = append(rooms, r)
		for m := range per {
			rcs = append(rcs, receiver{room: r, member: m})
		}
	}
	del := newDeliveries(int(rate*o.duration.Seconds()) + 1)
	fl := &fleet{t: t, prefix: runPrefix(), onMessage: func(_ *stream, seq int) { del.arrived(seq) }}
	streams, err := fl.openAll(ctx, rcs, func(int) int64 { return -1 }, o.inFlight, time.Minute)
	if err != nil {
		return nil, err
	}
	defer closeAll(streams)
	fmt.Fprintf(stderr, "%s/%s: %d receivers ready; sending %.0f/s for %s\n", name, t.name(), len(rcs), rate, o.duration)
	stopCPU := o.startCPUProfile(ctx, name, t)
	start := time.Now()
	acks, failed, err := openLoop(ctx, t, rooms, rate, o.duration, del, fl)
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	rss := o.rssMB()
	stopCPU()
	want := len(acks) * per
	waitFor(ctx, o.drainAfter, func() bool { return del.count() >= want })
	lat := del.latencies()
	r := result{scenario: name, target: t.name(), ops: len(acks) + failed, elapsed: elapsed}
	r.add(percentileMS(lat, 50), "delivery-p50-ms")
	r.add(percentileMS(lat, 99), "delivery-p99-ms")
	r.add(percentileMS(lat, 100), "delivery-max-ms")
	if per > 1 {
		r.add(percentileMS(del.spreads(), 99), "spread-p99-ms")
	}
	r.add(percentileMS(acks, 50), "ack-p50-ms")
	r.add(percentileMS(acks, 99), "ack-p99-ms")
	r.add(float64(failed), "errors")
	r.add(float64(max(want-len(lat), 0)), "missed")
	r.add(float64(fl.dropped.Load()), "dropped")
	r.add(float64(len(rcs)), "receivers")
	if rss > 0 {
		r.add(rss, "rss-MB")
	}
	return []result{r}, nil
}

func scenarioA(ctx context.Context, t target, o options, stderr io.Writer) ([]result, error) {
	return fanOut(ctx, t, o, "A", false, o.rateA, stderr)
}

func scenarioC(ctx context.Context, t target, o options, stderr io.Writer) ([]result, error) {
	return fanOut(ctx, t, o, "C", true, o.rateC, stderr)
}

// scenarioB: senders each send into their own room as soon as their last
// send was acknowledged (for Doorstep: once it is durable), for o.duration.
func scenarioB(ctx context.Context, t target, o options, stderr io.Writer) ([]result, error) {
	prefix := runPrefix()
	lat := make([][]time.Duration, o.senders)
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(o.duration)
	for i := range o.senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				t0 := time.Now()
				err := t.send(ctx, room{n: i}, true, fmt.Sprintf("%s-%d-%d", prefix, i, n), "Is the plumber coming today?")
				if err != nil {
					failed.Add(1)
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	fmt.Fprintf(stderr, "B/%s: %d sends by %d senders in %s\n", t.name(), len(all), o.senders, elapsed.Round(time.Millisecond))
	r := result{scenario: "B", target: t.name(), ops: len(all) + int(failed.Load()), elapsed: elapsed}
	r.add(float64(len(all))/elapsed.Seconds(), "sends/s")
	r.add(percentileMS(all, 50), "ack-p50-ms")
	r.add(percentileMS(all, 99), "ack-p99-ms")
	r.add(float64(failed.Load()), "errors")
	return []result{r}, nil
}

// scenarioIdle holds o.conns websockets open and reads the server's memory
// before and with them; with storm it then drops them all at once and
// reopens them with since while a message is sent into each group room,
// and reads the memory again once they have all closed.
func scenarioIdle(ctx context.Context, t target, o options, storm bool, stderr io.Writer) ([]result, error) {
	size := t.size()
	rcs := make([]receiver, o.conns)
	for i := range rcs {
		rcs[i] = receiver{room: room{group: true, n: i / size}, member: i % size}
	}
	got := make([]atomic.Int32, o.conns) // storm messages each receiver read
	var wrong atomic.Int64
	fl := &fleet{t: t, prefix: runPrefix(), onMessage: func(s *stream, seq int) {
		if seq != s.rc.room.n {
			wrong.Add(1)
			return
		}
		got[s.rc.room.n*size+s.rc.member].Add(1)
	}}
	empty := o.rssMB()
	start := time.Now()
	var streams []*stream
	// In steps, with profiles at 1,000 websockets and at all of them.
	for _, upTo := range []int{min(1000, o.conns), o.conns} {
		if upTo <= len(streams) {
			continue
		}
		lo := len(streams)
		more, err := fl.openAll(ctx, rcs[lo:upTo], func(int) int64 { return -1 }, o.inFlight, 5*time.Minute)
		if err != nil {
			closeAll(streams)
			return nil, err
		}
		streams = append(streams, more...)
		if o.pprof != "" {
			o.settleRSS(ctx)
			o.saveProfiles(ctx, t, upTo)
		}
	}
	opened := time.Since(start)
	held := o.settleRSS(ctx)
	fmt.Fprintf(stderr, "idle/%s: %d websockets open in %s; server RSS %.0f MB (%.0f MB before)\n", t.name(), len(streams), opened.Round(time.Millisecond), held, empty)
	idle := result{scenario: "idle", target: t.name(), ops: len(streams), elapsed: opened}
	if held > 0 {
		idle.add(held, "rss-MB")
		idle.add(empty, "rss-empty-MB")
		idle.add((held-empty)/float64(len(streams)), "rss-per-ws-MB")
	}
	idle.add(float64(fl.dropped.Load()), "dropped")
	if !storm {
		closeAll(streams)
		return []result{idle}, nil
	}

	// The storm: every websocket drops; a message goes into each group
	// room meanwhile; every websocket comes back with since.
	rooms := min(o.rooms, (o.conns+size-1)/size)
	begin := time.Now()
	closeAll(streams)
	var sends sync.WaitGroup
	var sendFailed atomic.Int64
	sem := make(chan struct{}, 8)
	for g := range rooms {
		sends.Add(1)
		sem <- struct{}{}
		go func() {
			defer sends.Done()
			defer func() { <-sem }()
			if err := t.send(ctx, room{group: true, n: g}, false, fmt.Sprintf("%s-%d", fl.prefix, g), fl.text(g)); err != nil {
				sendFailed.Add(1)
			}
		}()
	}
	back, err := fl.openAll(ctx, rcs, func(i int) int64 { return streams[i].last.Load() }, o.inFlight, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	allReady := time.Since(begin)
	sends.Wait()
	expected := func(i int) int32 {
		if i/size < rooms {
			return 1
		}
		return 0
	}
	complete := func() bool {
		for i := range got {
			if got[i].Load() < expected(i) {
				return false
			}
		}
		return true
	}
	waitFor(ctx, o.drainAfter, complete)
	var missed, dups int
	for i := range got {
		n := got[i].Load()
		missed += int(max(expected(i)-n, 0))
		dups += int(max(n-expected(i), 0))
	}
	during := o.rssMB()
	closeAll(back)
	closed := time.Now()
	select {
	case <-time.After(o.closedWait):
	case <-ctx.Done():
	}
	after := o.rssMB()
	fmt.Fprintf(stderr, "storm/%s: %d websockets back in %s, %d missed, %d duplicates; RSS %.0f MB, %.0f MB once closed (%s later)\n",
		t.name(), len(back), allReady.Round(time.Millisecond), missed, dups, during, after, time.Since(closed).Round(100*time.Millisecond))
	r := result{scenario: "storm", target: t.name(), ops: len(back), elapsed: allReady}
	r.add(float64(allReady.Milliseconds()), "all-ready-ms")
	r.add(float64(missed), "missed")
	r.add(float64(dups), "duplicates")
	r.add(float64(wrong.Load()), "misrouted")
	r.add(float64(sendFailed.Load()), "errors")
	if during > 0 {
		r.add(during, "rss-MB")
		r.add(after, "rss-closed-MB")
		r.add(empty, "rss-empty-MB")
	}
	return []result{idle, r}, nil
}

// rssMB is the server's resident memory now (0 without -pid).
func (o options) rssMB() float64 {
	if o.pid == 0 {
		return 0
	}
	kb, err := readRSS(o.pid)
	if err != nil {
		fmt.Fprintln(os.Stderr, "doorstep-load:", err)
		return 0
	}
	return float64(kb) / 1024
}

// settleRSS waits until the server's memory stops moving (two readings a
// second apart within 1%), at most o.settle, and returns it.
func (o options) settleRSS(ctx context.Context) float64 {
	if o.pid == 0 {
		return 0
	}
	last := o.rssMB()
	deadline := time.Now().Add(o.settle)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Second)
		now := o.rssMB()
		if d := now - last; d < last/100 && d > -last/100 {
			return now
		}
		last = now
	}
	return last
}

func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			_, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb)
			return kb, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// saveProfiles keeps the server's heap and goroutine profiles with n
// websockets open.
func (o options) saveProfiles(ctx context.Context, t target, n int) {
	label := fmt.Sprint(n)
	if n%1000 == 0 {
		label = fmt.Sprintf("%dk", n/1000)
	}
	o.fetch(ctx, "heap?gc=1", fmt.Sprintf("%s-heap-%s.pb.gz", t.name(), label))
	o.fetch(ctx, "goroutine", fmt.Sprintf("%s-goroutine-%s.pb.gz", t.name(), label))
	o.fetch(ctx, "goroutine?debug=1", fmt.Sprintf("%s-goroutine-%s.txt", t.name(), label))
	// The runtime's own counts (heap, stacks, goroutines) beside them.
	if err := fetchTo(ctx, strings.TrimSuffix(strings.TrimRight(o.pprof, "/"), "/debug/pprof")+"/metrics",
		filepath.Join(o.profiles, fmt.Sprintf("%s-metrics-%s.txt", t.name(), label))); err != nil {
		fmt.Fprintln(os.Stderr, "doorstep-load: metrics:", err)
	}
}

// startCPUProfile records the server's CPU while a scenario sends (half
// of o.duration); the returned func waits for it.
func (o options) startCPUProfile(ctx context.Context, scenario string, t target) (wait func()) {
	if o.pprof == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := max(1, int(o.duration.Seconds()/2))
		o.fetch(ctx, fmt.Sprintf("profile?seconds=%d", secs), fmt.Sprintf("%s-cpu-%s.pb.gz", t.name(), scenario))
	}()
	return func() { <-done }
}

func (o options) fetch(ctx context.Context, what, file string) {
	if err := fetchTo(ctx, strings.TrimRight(o.pprof, "/")+"/"+what, filepath.Join(o.profiles, file)); err != nil {
		fmt.Fprintln(os.Stderr, "doorstep-load: profile:", err)
	}
}

func fetchTo(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// percentileMS is the p-th percentile of d in milliseconds (0 for none).
func percentileMS(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[min(len(s)-1, len(s)*p/100)].Microseconds()) / 1000
}
