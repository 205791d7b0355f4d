package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
)

// checkCover runs ParallelFor(n, minChunk) and checks every index is visited
// exactly once and chunks respect minChunk.
func checkCover(t *testing.T, p *Pool, n, minChunk int) {
	t.Helper()
	seen := make([]atomic.Int32, n)
	var chunks atomic.Int32
	p.ParallelFor(n, minChunk, func(start, end int) {
		chunks.Add(1)
		if end-start < max(1, minChunk) && !(start == 0 && end == n) {
			t.Errorf("n=%d minChunk=%d: chunk [%d,%d) smaller than minChunk", n, minChunk, start, end)
		}
		for i := start; i < end; i++ {
			seen[i].Add(1)
		}
	})
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			t.Fatalf("n=%d minChunk=%d: index %d visited %d times", n, minChunk, i, c)
		}
	}
	if n > 0 && int(chunks.Load()) > p.Workers() {
		t.Errorf("n=%d: %d chunks for %d workers", n, chunks.Load(), p.Workers())
	}
}

func TestParallelForCoverage(t *testing.T) {
	for _, w := range []int{1, 2, 3, 8} {
		p := NewPool(w)
		if p.Workers() != w {
			t.Fatalf("Workers() = %d, want %d", p.Workers(), w)
		}
		for _, n := range []int{0, 1, 2, 3, 7, 8, 100, 1001} {
			for _, mc := range []int{0, 1, 5, 1000} {
				checkCover(t, p, n, mc)
			}
		}
		p.shutdown()
	}
	if DefaultPool() != DefaultPool() || DefaultPool().Workers() < 1 {
		t.Fatal("DefaultPool is not a stable pool")
	}
	if NewPool(0).Workers() < 1 {
		t.Fatal("NewPool(0) has no workers")
	}
}

func TestParallelForConcurrentAndNested(t *testing.T) {
	p := NewPool(4)
	defer p.shutdown()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range 50 {
				n := 1 + (g*37+it*11)%300
				checkCover(t, p, n, 1)
				// Nested: every outer chunk runs an inner ParallelFor.
				var total atomic.Int64
				p.ParallelFor(8, 1, func(s, e int) {
					for i := s; i < e; i++ {
						p.ParallelFor(n, 1, func(s2, e2 int) {
							for j := s2; j < e2; j++ {
								total.Add(int64(j))
							}
						})
					}
				})
				if want := int64(8 * n * (n - 1) / 2); total.Load() != want {
					t.Errorf("nested sum = %d, want %d", total.Load(), want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestParallelChunksCoverage: every index is visited once, in the number of
// chunks asked for (bounded by n and at least 1).
func TestParallelChunksCoverage(t *testing.T) {
	p := NewPool(2)
	defer p.shutdown()
	for _, n := range []int{0, 1, 3, 8, 100} {
		for _, nchunks := range []int{0, 1, 2, 8, 200} {
			seen := make([]atomic.Int32, n)
			var chunks atomic.Int32
			p.ParallelChunks(n, nchunks, func(start, end int) {
				chunks.Add(1)
				for i := start; i < end; i++ {
					seen[i].Add(1)
				}
			})
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Fatalf("n=%d nchunks=%d: index %d visited %d times", n, nchunks, i, c)
				}
			}
			if want := max(1, min(nchunks, n)); n > 0 && int(chunks.Load()) != want {
				t.Errorf("n=%d nchunks=%d: %d chunks, want %d", n, nchunks, chunks.Load(), want)
			}
		}
	}
}
