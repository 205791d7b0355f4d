package kernels

import (
	"os"
	"testing"
	"time"
)

func TestZZScale(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	m, n, k := 25600, 64, 576
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	c := make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%7) * 0.1
	}
	for i := range b {
		b[i] = float32(i%5) * 0.1
	}
	p1, p2 := NewPool(1), NewPool(2)
	for r := 0; r < 5; r++ {
		for _, p := range []*Pool{p1, p2} {
			GemmF32(p, m, n, k, MatF32{a, 0, k, 1}, MatF32{b, 0, n, 1}, MatF32{c, 0, n, 1}, false)
			t0 := time.Now()
			const it = 10
			for range it {
				GemmF32(p, m, n, k, MatF32{a, 0, k, 1}, MatF32{b, 0, n, 1}, MatF32{c, 0, n, 1}, false)
			}
			d := time.Since(t0)
			t.Logf("workers=%d %.1f GFLOP/s", p.Workers(), 2*float64(m*n*k)*it/d.Seconds()/1e9)
		}
	}
}

func spin(d time.Duration) {
	t0 := time.Now()
	for time.Since(t0) < d {
	}
}

func TestZZPool(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	p := NewPool(2)
	for r := 0; r < 5; r++ {
		t0 := time.Now()
		var st [8]time.Duration
		p.forChunks(8, 8, func(s, e int) {
			for i := s; i < e; i++ {
				st[i] = time.Since(t0)
				spin(3 * time.Millisecond)
			}
		})
		t.Logf("total %v starts %v", time.Since(t0), st)
	}
}
