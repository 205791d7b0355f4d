package kernels

import "sync"

// bufList is a free list of reusable buffers. Unlike sync.Pool it is never
// emptied by the garbage collector, so a steady stream of GEMM calls of
// bounded size stops allocating after warm-up; it holds at most as many
// buffers as were ever in use at the same time.
type bufList[T float] struct {
	mu   sync.Mutex
	free []*[]T
}

// get returns a buffer of length n (contents unspecified).
func (l *bufList[T]) get(n int) *[]T {
	l.mu.Lock()
	var b *[]T
	if k := len(l.free); k > 0 {
		// Prefer the most recently returned buffer that is big enough.
		for i := k - 1; i >= 0; i-- {
			if cap(*l.free[i]) >= n {
				b = l.free[i]
				l.free[i] = l.free[k-1]
				break
			}
		}
		if b == nil {
			b = l.free[k-1]
		}
		l.free = l.free[:k-1]
	}
	l.mu.Unlock()
	if b == nil {
		b = new([]T)
	}
	if cap(*b) < n {
		*b = make([]T, n)
	}
	*b = (*b)[:n]
	return b
}

func (l *bufList[T]) put(b *[]T) {
	l.mu.Lock()
	l.free = append(l.free, b)
	l.mu.Unlock()
}

var (
	bufsF32 bufList[float32]
	bufsF64 bufList[float64]
)

// bufs returns the buffer list for T.
func bufs[T float]() *bufList[T] {
	var z T
	switch any(z).(type) {
	case float32:
		return any(&bufsF32).(*bufList[T])
	default:
		return any(&bufsF64).(*bufList[T])
	}
}
