// gotarget - the Go benchmark target (bench/gobench.py).  Usage:
// gotarget READYFILE N: N goroutines, half left behind by a handler on a
// channel (main.logsContainer -> main.writeLogStream, chan receive), half
// waiting on a sync.Cond (main.condWaiter, sync.Cond.Wait); and one busy
// goroutine on its own OS thread that measures the longest gap in which
// it did not run: its stall.  SIGUSR2 resets the stall; SIGUSR1 writes it,
// in microseconds, to READYFILE.stall.  READYFILE gets "PID" when ready.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	mu   sync.Mutex
	cond = sync.NewCond(&mu)
	gap  int64 // the longest, in ns
)

//go:noinline
func writeLogStream(lines chan string) {
	for range lines {
	}
}

//go:noinline
func logsContainer() {
	writeLogStream(make(chan string))
}

//go:noinline
func condWaiter() {
	mu.Lock()
	for {
		cond.Wait()
	}
}

func busy() {
	runtime.LockOSThread()
	last := time.Now()
	for {
		now := time.Now()
		if d := int64(now.Sub(last)); d > atomic.LoadInt64(&gap) {
			atomic.StoreInt64(&gap, d)
		}
		last = now
	}
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: gotarget READYFILE N")
		os.Exit(2)
	}
	n, _ := strconv.Atoi(os.Args[2])
	for i := 0; i < n/2; i++ {
		go logsContainer()
	}
	for i := n / 2; i < n; i++ {
		go condWaiter()
	}
	for runtime.NumGoroutine() < n+1 {
		time.Sleep(10 * time.Millisecond)
	}
	go busy()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2)
	time.Sleep(300 * time.Millisecond)
	os.WriteFile(os.Args[1]+".tmp", []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644)
	os.Rename(os.Args[1]+".tmp", os.Args[1])
	for s := range sigs {
		if s == syscall.SIGUSR2 {
			atomic.StoreInt64(&gap, 0)
			continue
		}
		us := atomic.LoadInt64(&gap) / 1000
		os.WriteFile(os.Args[1]+".stall.tmp", []byte(fmt.Sprintf("%d\n", us)), 0o644)
		os.Rename(os.Args[1]+".stall.tmp", os.Args[1]+".stall")
	}
}
