package gocpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// TestPlane2DMatchesWindowTables: the direct 2D pooling loops give what the
// general window tables give, on edge shapes (padding, windows larger and
// smaller than strides, odd sizes, 1×1).
func TestPlane2DMatchesWindowTables(t *testing.T) {
	cases := []struct{ h, w, k, s, p int }{
		{28, 28, 2, 2, 0}, {32, 32, 3, 1, 1}, {7, 5, 3, 2, 1}, {9, 9, 1, 1, 0}, {5, 6, 2, 3, 0}, {4, 4, 4, 1, 2}, {1, 1, 1, 1, 0},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		for _, red := range []backends.ReduceOpType{backends.ReduceOpMax, backends.ReduceOpSum, backends.ReduceOpMin} {
			t.Run(fmt.Sprintf("%dx%d/k%d/s%d/p%d/%s", c.h, c.w, c.k, c.s, c.p, red), func(t *testing.T) {
				in := []int{2, 3, c.h, c.w}
				oh, ow := (c.h+2*c.p-c.k)/c.s+1, (c.w+2*c.p-c.k)/c.s+1
				out := []int{2, 3, oh, ow}
				w := windowSpec{reduction: red, dims: []int{1, 1, c.k, c.k}, strides: []int{1, 1, c.s, c.s},
					paddings: [][2]int{{0, 0}, {0, 0}, {c.p, c.p}, {c.p, c.p}}}
				p, ok := plane2DFor(in, out, w)
				if !ok {
					t.Fatal("not a 2D walk")
				}
				x := make([]float64, 2*3*c.h*c.w)
				for i := range x {
					x[i] = float64(r.IntN(7)) // ties on purpose
				}
				tbl := makeWindowTable(in, out, w)
				got, want := make([]float64, 2*3*oh*ow), make([]float64, 2*3*oh*ow)
				reduce2D(nil, p, red, x, got)
				for item := 0; item < tbl.outer; item++ {
					reduceWindowItem(red, tbl, x[item*tbl.inStep:(item+1)*tbl.inStep], want[item*tbl.outStep:(item+1)*tbl.outStep])
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("reduce: element %d: %v, want %v", i, got[i], want[i])
					}
				}
				if red == backends.ReduceOpSum {
					return
				}
				src := make([]float64, len(got))
				for i := range src {
					src[i] = r.Float64()
				}
				gs, ws := make([]float64, len(x)), make([]float64, len(x))
				selectScatter2D(kernels.NewPool(2), p, red == backends.ReduceOpMax, x, src, gs)
				for item := 0; item < tbl.outer; item++ {
					selectScatterItem(x[item*tbl.inStep:(item+1)*tbl.inStep], src[item*tbl.outStep:(item+1)*tbl.outStep],
						ws[item*tbl.inStep:(item+1)*tbl.inStep], tbl.table, tbl.win, red == backends.ReduceOpMax)
				}
				for i := range gs {
					if gs[i] != ws[i] {
						t.Fatalf("select and scatter: element %d: %v, want %v", i, gs[i], ws[i])
					}
				}
				// The paired form: pooling records where, the scatter reuses it.
				pooled, arg, as := make([]float64, len(got)), make([]int32, len(got)), make([]float64, len(x))
				reduceArg2D(kernels.NewPool(2), p, red == backends.ReduceOpMax, x, pooled, arg)
				scatterArg2D(kernels.NewPool(2), p, src, as, arg)
				for i := range pooled {
					if pooled[i] != want[i] {
						t.Fatalf("pooling with arguments: element %d: %v, want %v", i, pooled[i], want[i])
					}
				}
				for i := range as {
					if as[i] != ws[i] {
						t.Fatalf("scatter by arguments: element %d: %v, want %v", i, as[i], ws[i])
					}
				}
			})
		}
	}
}

// TestPoolingKeysMatchComparisons: float32 pooling with arguments, which
// compares integer order keys, picks the same value and the same position
// as the float64 loops that compare floats, on ties, signed zeros, NaNs and
// infinities, and on windows that read only padding.
func TestPoolingKeysMatchComparisons(t *testing.T) {
	cases := []struct{ h, w, k, s, p int }{
		{32, 32, 3, 1, 1}, {7, 5, 3, 2, 1}, {28, 28, 2, 2, 0}, {4, 4, 4, 1, 2}, {3, 3, 1, 1, 1}, {1, 1, 1, 1, 0}, {6, 9, 3, 2, 0},
	}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	special := []float32{0, negZero, nan, inf, -inf, 1, -1, 2}
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range cases {
		for _, isMax := range []bool{true, false} {
			t.Run(fmt.Sprintf("%dx%d/k%d/s%d/p%d/max=%v", c.h, c.w, c.k, c.s, c.p, isMax), func(t *testing.T) {
				in := []int{2, 3, c.h, c.w}
				oh, ow := (c.h+2*c.p-c.k)/c.s+1, (c.w+2*c.p-c.k)/c.s+1
				out := []int{2, 3, oh, ow}
				w := windowSpec{reduction: backends.ReduceOpMax, dims: []int{1, 1, c.k, c.k}, strides: []int{1, 1, c.s, c.s},
					paddings: [][2]int{{0, 0}, {0, 0}, {c.p, c.p}, {c.p, c.p}}}
				p, ok := plane2DFor(in, out, w)
				if !ok {
					t.Fatal("not a 2D walk")
				}
				x32 := make([]float32, 2*3*c.h*c.w)
				x64 := make([]float64, len(x32))
				for i := range x32 {
					if r.IntN(4) == 0 {
						x32[i] = special[r.IntN(len(special))]
					} else {
						x32[i] = float32(r.IntN(3)) // ties
					}
					x64[i] = float64(x32[i])
				}
				z32, a32 := make([]float32, 2*3*oh*ow), make([]int32, 2*3*oh*ow)
				z64, a64 := make([]float64, len(z32)), make([]int32, len(z32))
				reduceArg2D(kernels.NewPool(2), p, isMax, x32, z32, a32)
				reduceArg2D(nil, p, isMax, x64, z64, a64)
				for i := range z32 {
					same := math.Float64bits(float64(z32[i])) == math.Float64bits(z64[i]) || (z32[i] != z32[i] && z64[i] != z64[i])
					if a32[i] != a64[i] || !same {
						t.Fatalf("output %d: float32 keys took %v at %d, float64 comparisons %v at %d", i, z32[i], a32[i], z64[i], a64[i])
					}
				}
			})
		}
	}
}
