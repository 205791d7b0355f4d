//go:build linux

package kernels

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time used by the calling OS thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestCPUTime measures the benchmark shapes on one thread in GFLOP per
// second of the thread's CPU time, which, unlike wall time, stays meaningful
// on a shared, oversubscribed machine. Run with
//
//	KERNELS_CPUTIME=1 go test -run CPUTime -v ./pkg/gocpu/kernels
func TestCPUTime(t *testing.T) {
	if os.Getenv("KERNELS_CPUTIME") == "" {
		t.Skip("set KERNELS_CPUTIME=1 to measure")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := NewPool(1)
	for _, s := range benchShapes {
		a := make([]float32, s.m*s.k)
		b := make([]float32, s.k*s.n)
		c := make([]float32, s.m*s.n)
		for i := range a {
			a[i] = float32(i%7) * 0.1
		}
		for i := range b {
			b[i] = float32(i%5) * 0.1
		}
		am := MatF32{Data: a, RowStride: s.k, ColStride: 1}
		if s.m == 25 {
			am = MatF32{Data: a, RowStride: 1, ColStride: s.m}
		}
		bm := MatF32{Data: b, RowStride: s.n, ColStride: 1}
		cm := MatF32{Data: c, RowStride: s.n, ColStride: 1}
		GemmF32(p, s.m, s.n, s.k, am, bm, cm, false)
		flop := 2 * float64(s.m*s.n*s.k)
		iters := int(max(3, 2e9/flop))
		t0, w0 := threadCPU(), time.Now()
		for range iters {
			GemmF32(p, s.m, s.n, s.k, am, bm, cm, false)
		}
		cpu, wall := threadCPU()-t0, time.Since(w0)
		t.Logf("%-32s %6.1f GFLOP/cpu-s  (%5.1f wall)", s.name, flop*float64(iters)/cpu.Seconds()/1e9, flop*float64(iters)/wall.Seconds()/1e9)
	}
}
