package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Pool is a persistent set of worker goroutines. A pool of Workers() == w runs
// w-1 helper goroutines; the goroutine calling ParallelFor is the w-th worker.
//
// Work is shared, never handed over: the caller publishes a task, takes chunks
// of it itself, and idle helpers that see the task take chunks too. The caller
// only ever waits for chunks that some goroutine is already running, so calls
// from several goroutines at once and calls nested inside fn cannot deadlock:
// a nested call whose helpers are all busy simply runs all its chunks inline
// on the calling goroutine.
type Pool struct {
	workers int
	wake    chan taskRef

	mu        sync.Mutex
	free      []*task
	closeOnce sync.Once
}

// taskRef names one use (generation) of a recycled task.
type taskRef struct {
	t   *task
	gen uint32
}

// task is one ParallelFor call. state packs the generation (high 32 bits) and
// the next chunk to take (low 32 bits), so that a helper holding a stale
// reference to a recycled task can never take a chunk of a later call.
type task struct {
	state   atomic.Uint64
	done    atomic.Int32
	nchunks atomic.Int32 // atomic: a stale helper may read it during reuse
	n       int
	fn      func(start, end int)
	finish  chan struct{} // receives one value when all chunks are done
}

// NewPool creates a pool of workers goroutines (the caller of ParallelFor
// counts as one of them). workers <= 0 means runtime.GOMAXPROCS(0). The
// helper goroutines poll for work for helperSpin after each task, then block
// on a channel; they live as long as the process: create pools once, not per
// operation.
func NewPool(workers int) *Pool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &Pool{workers: workers, wake: make(chan taskRef, 4*workers)}
	for i := 1; i < workers; i++ {
		go p.helper()
	}
	return p
}

// Workers returns the number of goroutines, the caller included, that run a
// ParallelFor.
func (p *Pool) Workers() int { return p.workers }

var (
	defaultPoolOnce sync.Once
	defaultPool     *Pool
)

// DefaultPool returns the process-wide pool, created at first use with
// runtime.GOMAXPROCS(0) workers.
func DefaultPool() *Pool {
	defaultPoolOnce.Do(func() { defaultPool = NewPool(0) })
	return defaultPool
}

// shutdown stops the helper goroutines (used by tests and benchmarks that
// create short-lived pools). The pool must not be used afterwards.
func (p *Pool) shutdown() { p.closeOnce.Do(func() { close(p.wake) }) }

// helperSpin is how long an idle helper keeps polling for work before it
// blocks. A blocked goroutine's thread can take a long time to run again on
// a loaded machine (100 µs and more were measured on 2 shared cores), longer
// than the phases of a mid-size GEMM, which would then run on the caller
// alone; polling through the short gaps between phases and between
// consecutive products avoids that at the cost of a little CPU time.
const helperSpin = 200 * time.Microsecond

func (p *Pool) helper() {
	for {
		ref, ok := p.next()
		if !ok {
			return
		}
		ref.t.work(ref.gen)
	}
}

// next returns the next published task, polling for helperSpin before
// blocking; ok is false once the pool is shut down.
func (p *Pool) next() (ref taskRef, ok bool) {
	start := time.Now()
	for i := 0; ; i++ {
		select {
		case ref, ok = <-p.wake:
			return ref, ok
		default:
		}
		if i%16 == 15 && time.Since(start) > helperSpin {
			break
		}
		runtime.Gosched()
	}
	ref, ok = <-p.wake
	return ref, ok
}

// work takes and runs chunks of generation gen until none is left.
func (t *task) work(gen uint32) {
	for {
		s := t.state.Load()
		nchunks := int(t.nchunks.Load())
		if uint32(s>>32) != gen || int(uint32(s)) >= nchunks {
			return
		}
		if !t.state.CompareAndSwap(s, s+1) {
			continue
		}
		// Having taken a chunk, the task cannot finish (and be recycled)
		// before this chunk is reported done: its fields are stable.
		c := int(uint32(s))
		start, end := chunkBounds(t.n, nchunks, c)
		t.fn(start, end)
		if t.done.Add(1) == int32(nchunks) {
			t.finish <- struct{}{}
		}
	}
}

// chunkBounds splits [0,n) into nchunks nearly equal contiguous ranges.
func chunkBounds(n, nchunks, c int) (int, int) {
	q, r := n/nchunks, n%nchunks
	start := c*q + min(c, r)
	end := start + q
	if c < r {
		end++
	}
	return start, end
}

// ParallelFor runs fn(start, end) over [0,n) split into about Workers()
// chunks of at least minChunk items (minChunk <= 0 counts as 1), on the pool's
// goroutines and the caller, and returns when all chunks are done. It may be
// called concurrently from several goroutines and from inside fn.
func (p *Pool) ParallelFor(n, minChunk int, fn func(start, end int)) {
	if n <= 0 {
		return
	}
	if minChunk < 1 {
		minChunk = 1
	}
	nchunks := min(p.workers, n/minChunk)
	p.forChunks(n, nchunks, fn)
}

// ParallelChunks runs fn(start, end) over [0,n) split into nchunks chunks
// (at most n, at least 1), which the pool's goroutines and the caller take
// one at a time: with more chunks than workers, a worker slowed down (by
// another process on its core, say) takes fewer of them.
func (p *Pool) ParallelChunks(n, nchunks int, fn func(start, end int)) { p.forChunks(n, nchunks, fn) }

// forChunks runs fn over [0,n) split into exactly max(1,min(nchunks,n))
// chunks, scheduled dynamically (more chunks than workers balances load).
func (p *Pool) forChunks(n, nchunks int, fn func(start, end int)) {
	if n <= 0 {
		return
	}
	nchunks = max(1, min(nchunks, n))
	if nchunks == 1 || p == nil || p.workers == 1 {
		fn(0, n)
		return
	}
	t := p.getTask()
	gen := uint32(t.state.Load()>>32) + 1
	// Close the task under its new generation before touching its fields, so
	// a helper still holding the previous generation fails its CAS.
	t.state.Store(uint64(gen)<<32 | 0xFFFFFFFF)
	t.n, t.fn = n, fn
	t.nchunks.Store(int32(nchunks))
	t.done.Store(0)
	t.state.Store(uint64(gen) << 32) // publishes the fields above
	for i := 0; i < min(p.workers-1, nchunks-1); i++ {
		select {
		case p.wake <- taskRef{t, gen}:
		default: // every helper already has something queued
		}
	}
	t.work(gen)
	<-t.finish
	t.fn = nil
	p.putTask(t)
}

func (p *Pool) getTask() *task {
	p.mu.Lock()
	if k := len(p.free); k > 0 {
		t := p.free[k-1]
		p.free = p.free[:k-1]
		p.mu.Unlock()
		return t
	}
	p.mu.Unlock()
	return &task{finish: make(chan struct{}, 1)}
}

func (p *Pool) putTask(t *task) {
	p.mu.Lock()
	p.free = append(p.free, t)
	p.mu.Unlock()
}
