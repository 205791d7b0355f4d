package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// layout describes how a rows×cols operand is laid out in memory.
type layout int

const (
	rowMajor   layout = iota // RowStride = cols, ColStride = 1
	transposed               // stored column-major: RowStride = 1, ColStride = rows
	strided                  // offset, padded rows, ColStride 2
	reversed                 // rows in reverse order: negative RowStride
)

func (l layout) String() string { return [...]string{"N", "T", "S", "R"}[l] }

// operand is a matrix in float64 with its float32 copy and layout.
type operand struct {
	rows, cols int
	m64        MatF64
	m32        MatF32
}

func newOperand(r *rand.Rand, rows, cols int, l layout) operand {
	var off, rs, cs, size int
	switch l {
	case rowMajor:
		rs, cs, size = cols, 1, rows*cols
	case transposed:
		rs, cs, size = 1, rows, rows*cols
	case strided:
		off, cs = 3, 2
		rs = 2*cols + 5
		size = off + rows*rs
	case reversed:
		off, rs, cs, size = (rows-1)*cols, -cols, 1, rows*cols
	}
	d64 := make([]float64, size)
	d32 := make([]float32, size)
	for i := range d64 {
		v := float64(float32(2*r.Float64() - 1))
		d64[i], d32[i] = v, float32(v)
	}
	return operand{rows, cols, MatF64{Data: d64, Offset: off, RowStride: rs, ColStride: cs}, MatF32{Data: d32, Offset: off, RowStride: rs, ColStride: cs}}
}

// at returns element (i,j), through the offset tables when there are any.
func (o *operand) at(i, j int) float64 {
	m := &o.m64
	r, c := i*m.RowStride, j*m.ColStride
	if m.RowOffsets != nil {
		r = int(m.RowOffsets[i])
	}
	if m.ColOffsets != nil {
		c = int(m.ColOffsets[j])
	}
	return m.Data[m.Offset+r+c]
}

// reference returns A·B and Σ|a||b| per element, both in float64.
func reference(m, n, k int, a, b *operand) (want, scale []float64) {
	want, scale = make([]float64, m*n), make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, t float64
			for p := range k {
				x, y := a.at(i, p), b.at(p, j)
				s += x * y
				t += math.Abs(x * y)
			}
			want[i*n+j], scale[i*n+j] = s, t
		}
	}
	return
}

type shape struct{ m, n, k int }

var testShapes = []shape{
	{1, 1, 1}, {7, 13, 5}, {6, 16, 1}, {6, 16, 300}, {5, 17, 3}, {17, 33, 65},
	{1, 200, 300}, {200, 1, 300}, {1, 1, 1000}, {3, 5, 0}, {64, 64, 64},
	{13, 7, 1}, {37, 41, 259}, {30, 40, 50}, {2, 70, 300}, {5, 16, 17}, {12, 9, 8}, {9, 20, 40}, {15, 7, 33}, {11, 15, 23}, {8, 14, 9}, {145, 50, 513}, {7, 4100, 3},
	{100, 120, 400}, // dense layer, batch 100
	{784, 6, 25},    // LeNet conv1 forward (im2col), scaled down
	{100, 16, 150},  // LeNet conv2 forward, scaled down
	{25, 6, 7840},   // LeNet conv1 weight gradient, scaled down: split-K
	{150, 16, 3000}, // LeNet conv2 weight gradient, scaled down
	{120, 400, 100}, // dense weight gradient
	{300, 290, 530}, // several blocks in every dimension
}

// kernelsUnderTest returns the kernel selections to test on this CPU.
func kernelsUnderTest() []bool {
	if bestF32 != genericF32 || bestF64 != genericF64 {
		return []bool{false, true} // best, then generic
	}
	return []bool{true}
}

func withKernel(t testing.TB, generic bool, fn func()) {
	useGeneric(generic)
	defer useGeneric(false)
	fn()
}

func TestGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pools := []*Pool{NewPool(1), NewPool(3)}
	defer pools[0].shutdown()
	defer pools[1].shutdown()
	for si, s := range testShapes {
		combos := [][2]layout{}
		for _, la := range []layout{rowMajor, transposed, strided} {
			for _, lb := range []layout{rowMajor, transposed, strided} {
				combos = append(combos, [2]layout{la, lb})
			}
		}
		combos = append(combos, [2]layout{reversed, rowMajor}, [2]layout{strided, reversed})
		if testing.Short() && s.m*s.n*s.k > 1e6 {
			combos = [][2]layout{{rowMajor, rowMajor}, {transposed, strided}, {strided, transposed}}
		}
		if raceEnabled && s.m*s.n*s.k > 1e7 {
			continue
		}
		if raceEnabled && s.m*s.n*s.k > 2e4 {
			combos = [][2]layout{combos[si%len(combos)]}
		}
		for ci, lo := range combos {
			a := newOperand(r, s.m, s.k, lo[0])
			b := newOperand(r, s.k, s.n, lo[1])
			want, scale := reference(s.m, s.n, s.k, &a, &b)
			// C with an offset and padded rows, prefilled for accumulate.
			ldc, coff := s.n+3, 2
			c0 := make([]float64, coff+s.m*ldc)
			for i := range c0 {
				c0[i] = 2*r.Float64() - 1
			}
			for _, generic := range kernelsUnderTest() {
				for v := range 6 {
					acc := v%2 == 1
					noDirect := v == 2 || v == 3 // send tiny shapes through the kernels too
					if noDirect && s.m*s.n*s.k > directMax {
						continue
					}
					perKBlock := v >= 4 // pack B per K block, not for all of K
					if perKBlock && (s.k <= 256 || ci > 1) {
						continue
					}
					p := pools[(si+ci+v/2)%2]
					name := fmt.Sprintf("%dx%dx%d/A%v/B%v/generic=%v/acc=%v/noDirect=%v/perKBlock=%v/workers=%d", s.m, s.k, s.n, lo[0], lo[1], generic, acc, noDirect, perKBlock, p.Workers())
					withKernel(t, generic, func() {
						if noDirect {
							defer func(d int) { directMax = d }(directMax)
							directMax = 0
						}
						if perKBlock {
							defer func(w int) { wholeKMaxPack = w }(wholeKMaxPack)
							wholeKMaxPack = 0
						}
						gemmBoth(t, name, p, s, &a, &b, c0, coff, ldc, acc, want, scale)
					})
				}
			}
		}
	}
}

// gemmBoth computes the product s of a and b into copies of c0 (at coff,
// row stride ldc) in float32 and float64 on p, and checks both against want.
func gemmBoth(t *testing.T, name string, p *Pool, s shape, a, b *operand, c0 []float64, coff, ldc int, acc bool, want, scale []float64) {
	t.Helper()
	c32 := make([]float32, len(c0))
	c64 := make([]float64, len(c0))
	for i, v := range c0 {
		c32[i], c64[i] = float32(v), v
	}
	GemmF32(p, s.m, s.n, s.k, a.m32, b.m32, MatF32{Data: c32, Offset: coff, RowStride: ldc, ColStride: 1}, acc)
	GemmF64(p, s.m, s.n, s.k, a.m64, b.m64, MatF64{Data: c64, Offset: coff, RowStride: ldc, ColStride: 1}, acc)
	checkC(t, name+"/f32", s, want, scale, c0, coff, ldc, acc, 1e-5, func(i int) float64 { return float64(c32[i]) })
	checkC(t, name+"/f64", s, want, scale, c0, coff, ldc, acc, 1e-12, func(i int) float64 { return c64[i] })
}

func checkC(t *testing.T, name string, s shape, want, scale, c0 []float64, coff, ldc int, acc bool, tol float64, got func(int) float64) {
	t.Helper()
	for idx := range c0 {
		i, j := (idx-coff)/ldc, (idx-coff)%ldc
		inside := idx >= coff && j < s.n
		exp, sc := c0[idx], 0.0
		if inside {
			if acc {
				exp += want[i*s.n+j]
			} else {
				exp = want[i*s.n+j]
			}
			sc = scale[i*s.n+j] + math.Abs(c0[idx])
			if tol > 1e-6 {
				exp = float64(float32(exp)) // what a perfect float32 result would hold
				sc += math.Abs(exp)
			}
		} else if tol > 1e-6 {
			exp = float64(float32(exp))
		}
		if d := math.Abs(got(idx) - exp); !(d <= tol*sc+1e-300) { // NaN fails too
			if !inside {
				t.Fatalf("%s: element %d outside C changed: %g -> %g", name, idx, exp, got(idx))
			}
			t.Fatalf("%s: C[%d,%d] = %.10g, want %.10g (|diff| %.3g > %.3g * %.3g)", name, i, j, got(idx), exp, d, tol, sc)
		}
	}
}

func TestGemmZeroSizes(t *testing.T) {
	c := []float32{1, 2, 3, 4}
	// m or n zero: no-op, even with empty operands.
	GemmF32(nil, 0, 2, 3, MatF32{}, MatF32{}, MatF32{Data: c, ColStride: 1, RowStride: 2}, false)
	GemmF32(nil, 2, 0, 3, MatF32{}, MatF32{}, MatF32{Data: c, ColStride: 1, RowStride: 2}, false)
	if c[0] != 1 || c[3] != 4 {
		t.Fatal("m or n zero changed C")
	}
	// k zero: zeros, or C unchanged when accumulating.
	GemmF32(nil, 2, 2, 0, MatF32{}, MatF32{}, MatF32{Data: c, ColStride: 1, RowStride: 2}, true)
	if c[0] != 1 || c[3] != 4 {
		t.Fatal("k zero with accumulate changed C")
	}
	GemmF32(nil, 2, 2, 0, MatF32{}, MatF32{}, MatF32{Data: c, ColStride: 1, RowStride: 2}, false)
	for _, v := range c {
		if v != 0 {
			t.Fatal("k zero did not zero C")
		}
	}
}

func TestGemmBoundsPanics(t *testing.T) {
	a := make([]float32, 6)
	b := make([]float32, 6)
	c := make([]float32, 4)
	for _, tc := range []struct {
		name    string
		a, b, c MatF32
	}{
		{"A", MatF32{Data: a, Offset: 1, RowStride: 3, ColStride: 1}, MatF32{Data: b, RowStride: 2, ColStride: 1}, MatF32{Data: c, RowStride: 2, ColStride: 1}},
		{"B", MatF32{Data: a, RowStride: 3, ColStride: 1}, MatF32{Data: b, RowStride: 3, ColStride: 1}, MatF32{Data: c, RowStride: 2, ColStride: 1}},
		{"C", MatF32{Data: a, RowStride: 3, ColStride: 1}, MatF32{Data: b, RowStride: 2, ColStride: 1}, MatF32{Data: c, Offset: 1, RowStride: 2, ColStride: 1}},
		{"ColStride", MatF32{Data: a, RowStride: 3, ColStride: 1}, MatF32{Data: b, RowStride: 2, ColStride: 1}, MatF32{Data: c, RowStride: 1, ColStride: 2}},
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if msg == "" {
					t.Errorf("%s: no panic", tc.name)
				} else {
					t.Logf("%s: %s", tc.name, msg)
				}
			}()
			GemmF32(nil, 2, 2, 3, tc.a, tc.b, tc.c, false)
		}()
	}
}

// TestGemmConcurrent checks that GEMMs run from several goroutines on one
// pool give bit-identical results to the same GEMMs run alone.
func TestGemmConcurrent(t *testing.T) {
	p := NewPool(3)
	defer p.shutdown()
	r := rand.New(rand.NewPCG(3, 4))
	shapes := []shape{{150, 16, 3000}, {25, 6, 7840}, {100, 120, 400}, {300, 290, 53}, {784, 6, 25}}
	type job struct {
		s    shape
		a, b operand
		want []float32
	}
	for _, generic := range kernelsUnderTest() {
		withKernel(t, generic, func() {
			var jobs []job
			for _, s := range shapes {
				j := job{s: s, a: newOperand(r, s.m, s.k, rowMajor), b: newOperand(r, s.k, s.n, transposed)}
				j.want = make([]float32, s.m*s.n)
				GemmF32(p, s.m, s.n, s.k, j.a.m32, j.b.m32, MatF32{Data: j.want, RowStride: s.n, ColStride: 1}, false)
				jobs = append(jobs, j)
			}
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for it := range 6 {
						j := &jobs[(g+it)%len(jobs)]
						got := make([]float32, len(j.want))
						GemmF32(p, j.s.m, j.s.n, j.s.k, j.a.m32, j.b.m32, MatF32{Data: got, RowStride: j.s.n, ColStride: 1}, false)
						for i := range got {
							if got[i] != j.want[i] {
								t.Errorf("generic=%v %v: concurrent result differs at %d: %g vs %g", generic, j.s, i, got[i], j.want[i])
								return
							}
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

func TestGemmNoAllocs(t *testing.T) {
	p := NewPool(2)
	defer p.shutdown()
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range []shape{{200, 200, 200}, {25, 6, 7840}, {10, 10, 10}} {
		a := newOperand(r, s.m, s.k, rowMajor)
		b := newOperand(r, s.k, s.n, transposed)
		c32 := make([]float32, s.m*s.n)
		c64 := make([]float64, s.m*s.n)
		for _, generic := range kernelsUnderTest() {
			withKernel(t, generic, func() {
				f := func() {
					GemmF32(p, s.m, s.n, s.k, a.m32, b.m32, MatF32{Data: c32, RowStride: s.n, ColStride: 1}, false)
					GemmF64(p, s.m, s.n, s.k, a.m64, b.m64, MatF64{Data: c64, RowStride: s.n, ColStride: 1}, true)
				}
				for range 3 {
					f()
				}
				if allocs := testing.AllocsPerRun(20, f); allocs > 0.1 {
					t.Errorf("%v generic=%v: %.2f allocations per call", s, generic, allocs)
				}
			})
		}
	}
}

func TestKernelName(t *testing.T) {
	withKernel(t, true, func() {
		if Kernel() != "generic" {
			t.Errorf("Kernel() = %q with the generic kernel forced", Kernel())
		}
	})
	t.Logf("best float32 kernel: %s, float64: %s", Kernel(), KernelF64())
	if hasAVX2FMAForTest() && Kernel() != "avx2" {
		t.Errorf("CPU has AVX2+FMA but Kernel() = %q", Kernel())
	}
}

// TestEnvForcesGeneric runs this test binary again with JUANJI_GEMM=generic
// and checks that the child sees the generic kernels.
func TestEnvForcesGeneric(t *testing.T) {
	if os.Getenv("JUANJI_GEMM") == "generic" && os.Getenv("KERNELS_ENV_CHILD") == "1" {
		if Kernel() != "generic" || KernelF64() != "generic" {
			t.Fatalf("JUANJI_GEMM=generic: Kernel() = %q, KernelF64() = %q", Kernel(), KernelF64())
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEnvForcesGeneric$")
	cmd.Env = append(os.Environ(), "JUANJI_GEMM=generic", "KERNELS_ENV_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child with JUANJI_GEMM=generic failed: %v\n%s", err, out)
	}
}
