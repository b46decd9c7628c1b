package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
)

// Runtime settings for a serving node, applied only where the operator has
// not set GOMAXPROCS or GOGC (which always win), and processors only where no
// CPU quota applies.
const (
	// minProcs is the fewest Go processors a node runs with. With one per
	// core, a processor whose thread the kernel has set aside (another
	// process holds the core until the next scheduler tick, 4 ms on a 250 Hz
	// kernel) keeps its queued requests waiting even when the other core is
	// idle. Spare processors let another thread take them. On two cores
	// shared with a load tool this alone took the 99th-percentile check
	// latency from 8 ms to about 5.5 ms (BENCHMARKS.md); machines with eight
	// or more cores are left as they are.
	minProcs = 8
	// gcPercent lets the heap grow to three times what is live before a
	// collection. Most of a node's heap is the index, which lives as long as
	// the process; at Go's default of 100, request garbage equal to the
	// index's size triggers a collection that marks the whole index again.
	gcPercent = 200
)

// tuneRuntime applies minProcs and gcPercent and logs what the node runs with.
func tuneRuntime(log *slog.Logger) {
	// Under a CPU quota (a container limit), Go already sets fewer processors
	// than the machine's CPUs, and spare ones would spend the quota sooner and
	// be throttled for the rest of each period: leave those as they are.
	if procs := runtime.GOMAXPROCS(0); os.Getenv("GOMAXPROCS") == "" && procs == runtime.NumCPU() && procs < minProcs {
		runtime.GOMAXPROCS(minProcs)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	log.Debug("runtime", "gomaxprocs", runtime.GOMAXPROCS(0), "cpus", runtime.NumCPU())
}
