package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// convOffsets returns n offsets laid out like the rows of a forward
// convolution's B, row q = (channel q/9, tap q%9 of a 3×3 kernel) on planes
// of 17 values with rows of 5, in a random order and with the last equal to
// the first: offsets repeat, are not sorted, and the runs they start
// overlap.
func convOffsets(r *rand.Rand, n int) []int32 {
	t := make([]int32, n)
	for i, q := range r.Perm(n) {
		t[i] = int32(q/9*17 + q%9/3*5 + q%3)
	}
	if n > 1 {
		t[n-1] = t[0]
	}
	return t
}

// runOffsets returns n offsets in runs of run consecutive values, the runs
// run+gap apart and in reverse order, as the columns of several images
// sharing one product (item*planeSize + q).
func runOffsets(n, run, gap int) []int32 {
	t := make([]int32, n)
	items := ceilDiv(n, run)
	for j := range t {
		t[j] = int32((items-1-j/run)*(run+gap) + j%run)
	}
	return t
}

// randomOffsets returns n offsets drawn from [0, 50).
func randomOffsets(r *rand.Rand, n int) []int32 {
	t := make([]int32, n)
	for i := range t {
		t[i] = int32(r.IntN(50))
	}
	return t
}

// tableLayout is a way of addressing a B operand through offset tables.
type tableLayout struct {
	name string
	// tables returns the strides and tables of a rows×cols operand.
	tables func(r *rand.Rand, rows, cols int) (rs, cs int, ro, co []int32)
}

var tableLayouts = []tableLayout{
	// Forward convolution: contiguous rows, copied per row when packed.
	{"R", func(r *rand.Rand, rows, cols int) (int, int, []int32, []int32) {
		return 0, 1, convOffsets(r, rows), nil
	}},
	// Rows through a table, strided columns: gathered.
	{"R/cs3", func(r *rand.Rand, rows, cols int) (int, int, []int32, []int32) {
		return 0, 3, convOffsets(r, rows), nil
	}},
	// Several images in one forward product: columns in runs of 10, so some
	// panels are contiguous and others straddle two images.
	{"R/Cruns", func(r *rand.Rand, rows, cols int) (int, int, []int32, []int32) {
		return 0, 0, convOffsets(r, rows), runOffsets(cols, 10, 3)
	}},
	// Columns in runs of 40 through a table, rows through a stride: copied
	// per row where a panel lies inside a run.
	{"Cruns/rs7", func(r *rand.Rand, rows, cols int) (int, int, []int32, []int32) {
		return 7, 0, nil, runOffsets(cols, 40, 3)
	}},
	// Kernel gradient: contiguous columns, read per column and scattered.
	{"C", func(r *rand.Rand, rows, cols int) (int, int, []int32, []int32) {
		return 1, 0, nil, convOffsets(r, cols)
	}},
	// Columns through a table, rows with a negative stride: gathered.
	{"C/rs-2", func(r *rand.Rand, rows, cols int) (int, int, []int32, []int32) {
		return -2, 0, nil, convOffsets(r, cols)
	}},
	// Kernel gradient over several images: rows in runs of 200, so some K
	// blocks are contiguous and others straddle two images.
	{"Rruns/C", func(r *rand.Rand, rows, cols int) (int, int, []int32, []int32) {
		return 0, 0, runOffsets(rows, 200, 7), convOffsets(r, cols)
	}},
	// Both tables random.
	{"Rrand/Crand", func(r *rand.Rand, rows, cols int) (int, int, []int32, []int32) {
		return 0, 0, randomOffsets(r, rows), randomOffsets(r, cols)
	}},
}

// newTableOperand returns a rows×cols operand addressed as l says, with an
// Offset and Data just large enough for it.
func newTableOperand(r *rand.Rand, rows, cols int, l tableLayout) operand {
	rs, cs, ro, co := l.tables(r, rows, cols)
	rlo, rhi := axisSpan(rows, rs, ro)
	clo, chi := axisSpan(cols, cs, co)
	off := 3 - rlo - clo
	size := off + rhi + chi + 1
	d64 := make([]float64, size)
	d32 := make([]float32, size)
	for i := range d64 {
		v := float64(float32(2*r.Float64() - 1))
		d64[i], d32[i] = v, float32(v)
	}
	return operand{rows, cols,
		MatF64{Data: d64, Offset: off, RowStride: rs, ColStride: cs, RowOffsets: ro, ColOffsets: co},
		MatF32{Data: d32, Offset: off, RowStride: rs, ColStride: cs, RowOffsets: ro, ColOffsets: co}}
}

var tableShapes = []shape{
	{1, 1, 1}, {1, 16, 1}, {6, 16, 1}, {6, 8, 4}, {1, 1, 40}, {7, 17, 5}, {4, 4, 4},
	{6, 16, 300},  // several K blocks (per-K-block packing)
	{5, 33, 300},  // m <= 36: a row-major B would be read in place
	{2, 3, 1000},  // four K blocks, too small for two workers
	{30, 4, 1000}, // split-K with two workers
	{7, 3, 6000},  // split-K with two workers
	{36, 41, 600},
	{37, 41, 259},
	{100, 50, 30},
	{145, 20, 513},
	{64, 288, 576}, // 3×3 convolution 64→64 on a 16×16 image (padded to 18×18)
}

// TestGemmTables checks B operands addressed through offset tables against
// the triple loop, with both kernels, every path of the driver (direct
// triple loop, packing for all of K or per K block, split-K, A read in
// place), float32 and float64, and pools of one and two workers.
func TestGemmTables(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	pools := []*Pool{NewPool(1), NewPool(2)}
	defer pools[0].shutdown()
	defer pools[1].shutdown()
	for si, s := range tableShapes {
		if raceEnabled && s.m*s.n*s.k > 1e6 {
			continue
		}
		for li, l := range tableLayouts {
			a := newOperand(r, s.m, s.k, []layout{rowMajor, transposed, strided}[(si+li)%3])
			b := newTableOperand(r, s.k, s.n, l)
			want, scale := reference(s.m, s.n, s.k, &a, &b)
			ldc, coff := s.n+3, 2
			c0 := make([]float64, coff+s.m*ldc)
			for i := range c0 {
				c0[i] = 2*r.Float64() - 1
			}
			for _, generic := range kernelsUnderTest() {
				for v := range 6 {
					acc := v%2 == 1
					noDirect := v == 2 || v == 3
					if noDirect && s.m*s.n*s.k > directMax {
						continue
					}
					perKBlock := v >= 4
					if perKBlock && s.k <= 256 {
						continue
					}
					for _, p := range pools {
						name := fmt.Sprintf("%dx%dx%d/B%s/generic=%v/acc=%v/noDirect=%v/perKBlock=%v/workers=%d",
							s.m, s.k, s.n, l.name, generic, acc, noDirect, perKBlock, p.Workers())
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
}

// TestGemmTableMatchesDense checks that a forward convolution through a row
// table gives bit for bit the product of the materialised (im2col) B, since
// the tables only change where B is read (packed, or in place by the AVX2
// table kernel, which makes the same operations in the same order) and not
// what is computed (m > 36, so the dense B is packed).
func TestGemmTableMatchesDense(t *testing.T) {
	const m, n, k = 64, 288, 576
	r := rand.New(rand.NewPCG(13, 14))
	p := NewPool(2)
	defer p.shutdown()
	a := newOperand(r, m, k, rowMajor)
	b := newTableOperand(r, k, n, tableLayouts[0])
	dense := make([]float32, k*n)
	for i := range k {
		for j := range n {
			dense[i*n+j] = float32(b.at(i, j))
		}
	}
	for _, generic := range kernelsUnderTest() {
		withKernel(t, generic, func() {
			got := make([]float32, m*n)
			want := make([]float32, m*n)
			GemmF32(p, m, n, k, a.m32, b.m32, MatF32{Data: got, RowStride: n, ColStride: 1}, false)
			GemmF32(p, m, n, k, a.m32, MatF32{Data: dense, RowStride: n, ColStride: 1}, MatF32{Data: want, RowStride: n, ColStride: 1}, false)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("generic=%v: C[%d] = %g through the row table, %g through the dense B", generic, i, got[i], want[i])
				}
			}
		})
	}
}

func TestGemmTableBoundsPanics(t *testing.T) {
	a := make([]float32, 6)
	b := make([]float32, 6)
	c := make([]float32, 4)
	am := MatF32{Data: a, RowStride: 3, ColStride: 1}
	cm := MatF32{Data: c, RowStride: 2, ColStride: 1}
	for _, tc := range []struct {
		name    string
		a, b, c MatF32
		want    []string // substrings of the message
	}{
		{"row table past Data", am, MatF32{Data: b, ColStride: 1, RowOffsets: []int32{0, 2, 5}}, cm,
			[]string{"operand B", "RowOffsets in [0, 5]", "spans elements [0, 6]"}},
		{"column table before Data", am, MatF32{Data: b, Offset: 1, RowStride: 2, ColOffsets: []int32{0, -2}}, cm,
			[]string{"operand B", "ColOffsets in [-2, 0]", "spans elements [-1, 5]"}},
		{"both tables past Data", am, MatF32{Data: b, RowOffsets: []int32{0, 1, 2}, ColOffsets: []int32{3, 4}}, cm,
			[]string{"operand B", "spans elements [3, 6]"}},
		{"short row table", am, MatF32{Data: b, ColStride: 1, RowOffsets: []int32{0, 2}}, cm,
			[]string{"operand B", "2 RowOffsets for its 3 rows"}},
		{"short column table", am, MatF32{Data: b, RowStride: 2, ColOffsets: []int32{0}}, cm,
			[]string{"operand B", "1 ColOffsets for its 2 columns"}},
		{"column table on A", MatF32{Data: a, RowStride: 3, ColOffsets: []int32{0, 1, 2}}, MatF32{Data: b, RowStride: 2, ColStride: 1}, cm,
			[]string{"operand A", "ColOffsets"}},
		{"A row table past Data", MatF32{Data: a, ColStride: 1, RowOffsets: []int32{0, 4}}, MatF32{Data: b, RowStride: 2, ColStride: 1}, cm,
			[]string{"operand A", "RowOffsets in [0, 4]", "spans elements [0, 6]"}},
		{"A row table before Data", MatF32{Data: a, Offset: 1, ColStride: 1, RowOffsets: []int32{-2, 0}}, MatF32{Data: b, RowStride: 2, ColStride: 1}, cm,
			[]string{"operand A", "RowOffsets in [-2, 0]", "spans elements [-1, 3]"}},
		{"short A row table", MatF32{Data: a, ColStride: 1, RowOffsets: []int32{0}}, MatF32{Data: b, RowStride: 2, ColStride: 1}, cm,
			[]string{"operand A", "1 RowOffsets for its 2 rows"}},
		{"table on C", am, MatF32{Data: b, RowStride: 2, ColStride: 1}, MatF32{Data: c, RowStride: 2, ColStride: 1, ColOffsets: []int32{0, 1}},
			[]string{"operand C"}},
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if msg == "" {
					t.Errorf("%s: no panic", tc.name)
					return
				}
				for _, w := range tc.want {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: message %q does not contain %q", tc.name, msg, w)
					}
				}
				t.Logf("%s: %s", tc.name, msg)
			}()
			GemmF32(nil, 2, 2, 3, tc.a, tc.b, tc.c, false)
		}()
	}
}

func TestGemmTableNoAllocs(t *testing.T) {
	p := NewPool(2)
	defer p.shutdown()
	r := rand.New(rand.NewPCG(15, 16))
	for _, tc := range []struct {
		s shape
		l tableLayout
	}{
		{shape{64, 288, 576}, tableLayouts[0]}, // forward convolution
		{shape{64, 17, 576}, tableLayouts[0]},  // the same, a last panel packed
		{shape{25, 6, 7840}, tableLayouts[4]},  // kernel gradient, split-K
		{shape{10, 10, 10}, tableLayouts[7]},   // triple loop
	} {
		s := tc.s
		a := newOperand(r, s.m, s.k, rowMajor)
		b := newTableOperand(r, s.k, s.n, tc.l)
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
					t.Errorf("%v B%s generic=%v: %.2f allocations per call", s, tc.l.name, generic, allocs)
				}
			})
		}
	}
}

// withoutTableKernel returns kd without its table kernel (kd itself when it
// has none): the test hook that makes a product pack a B addressed through
// RowOffsets, as it does with the generic kernels.
func withoutTableKernel[T float](kd *kernelDesc[T]) *kernelDesc[T] {
	if kd.table == nil {
		return kd
	}
	c := *kd
	c.table = nil
	return &c
}

// tableVariant returns b (a forward-convolution B, RowOffsets with ColStride
// 1) with its Data, as mode says: "exact", as newTableOperand makes it, just
// large enough for B, so that the table kernel can read only the panels
// with nr columns; "slack", with 16 NaNs after it, enough for every panel
// (the NaNs are read for partial panels but must not reach C); "negative",
// with slack too but its RowOffsets shifted to start at -2 (and Offset by as
// much), which the table kernel does not take.
func tableVariant(b operand, mode string) operand {
	if mode == "exact" {
		return b
	}
	nan64 := slices.Repeat([]float64{math.NaN()}, 16)
	nan32 := slices.Repeat([]float32{float32(math.NaN())}, 16)
	b.m64.Data = slices.Concat(b.m64.Data, nan64)
	b.m32.Data = slices.Concat(b.m32.Data, nan32)
	if mode == "negative" {
		b = negativeRows(b)
	}
	return b
}

// negativeRows returns o (an operand with RowOffsets) with its offsets
// shifted to start at -2 and its Offset by as much: the same elements,
// which the table kernels do not take.
func negativeRows(o operand) operand {
	ro := o.m32.RowOffsets
	lo, _ := axisSpan(len(ro), 0, ro)
	shifted := make([]int32, len(ro))
	for i, v := range ro {
		shifted[i] = v - int32(lo) - 2
	}
	o.m64.RowOffsets, o.m32.RowOffsets = shifted, shifted
	o.m64.Offset += lo + 2
	o.m32.Offset += lo + 2
	return o
}

// TestGemmTableKernel checks the products whose B is read in place through
// its row table by a table kernel (the AVX2 sgemm6x16t and dgemm6x8t)
// against the triple loop: every tile shape (partial rows, partial and
// narrow columns), K from 1 to several K blocks, accumulation, one and two
// workers (split-K for n = 1), B packed for all of K or per K block where
// some panels are packed, and that the table kernel reads exactly the panels
// it may: all of them when Data has slack, those with nr columns when B
// ends Data, none with negative offsets or with the generic kernel.
func TestGemmTableKernel(t *testing.T) {
	defer func(d int) { directMax = d }(directMax)
	directMax = 0 // tiny shapes through the kernels too
	var calls, tablePanels, packedPanels atomic.Int64
	testHookPanels = func(table, packed int) {
		calls.Add(1)
		tablePanels.Add(int64(table))
		packedPanels.Add(int64(packed))
	}
	defer func() { testHookPanels = nil }()
	// checkPanels checks the panels reported since the last call (n is
	// less than NC: one column block per serial product).
	checkPanels := func(name string, hasTable bool, nr, n int, mode string) {
		t.Helper()
		wantTable := 0
		for j := 0; j < n && hasTable && mode != "negative"; j += nr {
			if j+nr <= n || mode == "slack" {
				wantTable++
			}
		}
		panels := ceilDiv(n, nr)
		c, tp, pp := calls.Swap(0), tablePanels.Swap(0), packedPanels.Swap(0)
		ok := c > 0 && tp+pp == c*int64(panels) && tp == c*int64(wantTable)
		if c > 1 && hasTable {
			// Split-K: a K range whose least or greatest offset is not B's
			// may read more panels through the table.
			ok = tp+pp == c*int64(panels) && tp >= c*int64(wantTable)
		}
		if !ok {
			t.Fatalf("%s: %d column blocks with %d panels read through the table and %d packed, want %d and %d per block",
				name, c, tp, pp, wantTable, panels-wantTable)
		}
	}
	r := rand.New(rand.NewPCG(17, 18))
	pools := []*Pool{NewPool(1), NewPool(2)}
	defer pools[0].shutdown()
	defer pools[1].shutdown()
	si := 0
	for _, m := range []int{1, 5, 6, 7, 13, 64} {
		for _, n := range []int{1, 15, 16, 17, 288} {
			for _, k := range []int{1, 9, 300, 600} {
				si++
				s := shape{m, n, k}
				if raceEnabled && m*n*k > 1e5 {
					continue
				}
				a := newOperand(r, m, k, []layout{rowMajor, transposed, strided}[si%3])
				b := newTableOperand(r, k, n, tableLayouts[0])
				want, scale := reference(m, n, k, &a, &b)
				ldc, coff := n+3, 2
				c0 := make([]float64, coff+m*ldc)
				for i := range c0 {
					c0[i] = 2*r.Float64() - 1
				}
				for _, mode := range []string{"exact", "slack", "negative"} {
					bv := tableVariant(b, mode)
					for _, generic := range kernelsUnderTest() {
						for v := range 4 {
							acc := v%2 == 1
							perKBlock := v >= 2
							if perKBlock && k <= 256 {
								continue
							}
							for _, p := range pools {
								name := fmt.Sprintf("%dx%dx%d/A%v/%s/generic=%v/acc=%v/perKBlock=%v/workers=%d",
									m, k, n, a.m32.RowStride == 1, mode, generic, acc, perKBlock, p.Workers())
								withKernel(t, generic, func() {
									if perKBlock {
										defer func(w int) { wholeKMaxPack = w }(wholeKMaxPack)
										wholeKMaxPack = 0
									}
									c32 := make([]float32, len(c0))
									c64 := make([]float64, len(c0))
									for i, v := range c0 {
										c32[i], c64[i] = float32(v), v
									}
									kd32, kd64 := curF32.Load(), curF64.Load()
									GemmF32(p, m, n, k, a.m32, bv.m32, MatF32{Data: c32, Offset: coff, RowStride: ldc, ColStride: 1}, acc)
									checkPanels(name+"/f32", kd32.table != nil, kd32.nr, n, mode)
									GemmF64(p, m, n, k, a.m64, bv.m64, MatF64{Data: c64, Offset: coff, RowStride: ldc, ColStride: 1}, acc)
									checkPanels(name+"/f64", kd64.table != nil, kd64.nr, n, mode)
									checkC(t, name+"/f32", s, want, scale, c0, coff, ldc, acc, 1e-5, func(i int) float64 { return float64(c32[i]) })
									checkC(t, name+"/f64", s, want, scale, c0, coff, ldc, acc, 1e-12, func(i int) float64 { return c64[i] })
								})
							}
						}
					}
				}
			}
		}
	}
}

// TestTableKernelBounds checks that the table kernels refuse a row table
// that would read outside B, and read up to its last element.
func TestTableKernelBounds(t *testing.T) {
	if bestF32.table == nil || bestF64.table == nil {
		t.Skip("no table kernel on this CPU")
	}
	a32, b32, c32 := make([]float32, 6*2), make([]float32, 40), make([]float32, 6*16)
	a64, b64, c64 := make([]float64, 6*2), make([]float64, 32), make([]float64, 6*8)
	for _, tc := range []struct {
		name string
		kc   int
		rows []int32
	}{
		{"entry past b", 2, []int32{0, 25}}, // f32: 25+16 > 40; f64: 25+8 > 32
		{"negative entry", 2, []int32{-1, 0}},
		{"short table", 2, []int32{0}},
		{"kc = 0", 0, []int32{0}},
	} {
		for _, f64 := range []bool{false, true} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s, float64=%v: no panic", tc.name, f64)
					}
				}()
				if f64 {
					bestF64.table(tc.kc, a64, 1, 6, b64, newRowTable(tc.rows), c64, 8, 0, 6, 8, false, false)
				} else {
					bestF32.table(tc.kc, a32, 1, 6, b32, newRowTable(tc.rows), c32, 16, 0, 6, 16, false, false)
				}
			}()
		}
	}
	bestF32.table(2, a32, 1, 6, b32, newRowTable([]int32{0, 24}), c32, 16, 0, 6, 16, false, false)
	bestF64.table(2, a64, 1, 6, b64, newRowTable([]int32{0, 24}), c64, 8, 0, 6, 8, false, false)
}

// TestGemmATable checks products whose A has RowOffsets (overlapping,
// repeated and unsorted rows, as a convolution's kernel gradient reads its
// input) against the triple loop: read in place by the A-table kernel
// (sgemm6x16a, with B packed or read in place), packed through the table
// (negative offsets, float64, the generic kernels), every tile shape,
// K from 1 to several K blocks, accumulation, the triple loop for tiny
// shapes, one and two workers (split-K for m <= 144 and n <= 16 when
// K = 600), with B dense or addressed through its own RowOffsets.
func TestGemmATable(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	pools := []*Pool{NewPool(1), NewPool(2)}
	defer pools[0].shutdown()
	defer pools[1].shutdown()
	si := 0
	for _, m := range []int{1, 5, 6, 7, 13, 64, 576} {
		for _, n := range []int{1, 15, 16, 17, 64} {
			for _, k := range []int{1, 9, 288, 600} {
				si++
				s := shape{m, n, k}
				if raceEnabled && m*n*k > 1e5 {
					continue
				}
				// A: contiguous rows (ColStride 1) or strided ones.
				a := newTableOperand(r, m, k, tableLayouts[si%2])
				bs := []struct {
					name string
					b    operand
				}{
					{"dense", newOperand(r, k, n, rowMajor)},
					{"R", newTableOperand(r, k, n, tableLayouts[0])},
				}
				for _, bv := range bs {
					b := bv.b
					want, scale := reference(m, n, k, &a, &b)
					ldc, coff := n+3, 2
					c0 := make([]float64, coff+m*ldc)
					for i := range c0 {
						c0[i] = 2*r.Float64() - 1
					}
					for _, av := range []string{"A", "Aneg"} {
						a := a
						if av == "Aneg" {
							a = negativeRows(a) // packed through its table, not read in place
						}
						for _, generic := range kernelsUnderTest() {
							for v := range 4 {
								acc := v%2 == 1
								triple := v >= 2 // the default directMax: the triple loop for tiny shapes
								if triple && m*n*k > directMax {
									continue
								}
								for _, p := range pools {
									name := fmt.Sprintf("%dx%dx%d/%s,cs=%d/B%s/generic=%v/acc=%v/triple=%v/workers=%d",
										m, k, n, av, a.m32.ColStride, bv.name, generic, acc, triple, p.Workers())
									withKernel(t, generic, func() {
										if !triple {
											defer func(d int) { directMax = d }(directMax)
											directMax = 0
										}
										gemmBoth(t, name, p, s, &a, &b, c0, coff, ldc, acc, want, scale)
									})
								}
							}
						}
					}
				}
			}
		}
	}
}

// withATableCount returns kd with its A-table kernel (if any) counting its
// calls in n.
func withATableCount[T float](kd *kernelDesc[T], n *atomic.Int64) *kernelDesc[T] {
	if kd.aTable == nil {
		return kd
	}
	c := *kd
	c.aTable = func(kc int, a []T, rowsA []int32, acs int, b []T, brs int, bDirect bool, c []T, ldc, rlo, rhi, cols int, acc bool) {
		n.Add(1)
		kd.aTable(kc, a, rowsA, acs, b, brs, bDirect, c, ldc, rlo, rhi, cols, acc)
	}
	return &c
}

// TestGemmATableKernelUsed checks that the A-table kernel computes every
// tile of a product whose A has non-negative RowOffsets and at least mr
// rows, and no tile otherwise, and that in place it gives bit for bit the
// product of the materialised A (the same operations in the same order).
func TestGemmATableKernelUsed(t *testing.T) {
	if bestF32.aTable == nil {
		t.Skip("no A-table kernel on this CPU")
	}
	r := rand.New(rand.NewPCG(21, 22))
	p := NewPool(2)
	defer p.shutdown()
	for _, s := range []shape{{576, 64, 288}, {13, 17, 600}, {5, 16, 300}, {64, 2, 40}} {
		a := newTableOperand(r, s.m, s.k, tableLayouts[0])
		b := newOperand(r, s.k, s.n, rowMajor)
		dense := newOperand(r, s.m, s.k, rowMajor)
		for i := range s.m {
			for q := range s.k {
				dense.m32.Data[i*s.k+q] = float32(a.at(i, q))
			}
		}
		for _, av := range []string{"A", "Aneg"} {
			am := a
			if av == "Aneg" {
				am = negativeRows(a)
			}
			var n atomic.Int64
			kd := withATableCount(bestF32, &n)
			got := make([]float32, s.m*s.n)
			want := make([]float32, s.m*s.n)
			gemm(p, kd, s.m, s.n, s.k, am.m32.toMat(), b.m32.toMat(), MatF32{Data: got, RowStride: s.n, ColStride: 1}.toMat(), false, "GemmF32")
			calls := n.Load()
			wantCalls := int64(ceilDiv(s.m, 6) * ceilDiv(s.n, 16) * ceilDiv(s.k, 256))
			if av == "Aneg" || s.m < 6 {
				wantCalls = 0
			}
			if calls != wantCalls {
				t.Errorf("%v %s: %d calls of the A-table kernel, want %d", s, av, calls, wantCalls)
			}
			gemm(p, bestF32, s.m, s.n, s.k, dense.m32.toMat(), b.m32.toMat(), MatF32{Data: want, RowStride: s.n, ColStride: 1}.toMat(), false, "GemmF32")
			for i := range got {
				if got[i] != want[i] && wantCalls > 0 {
					t.Fatalf("%v %s: C[%d] = %g through the A table, %g through the dense A", s, av, i, got[i], want[i])
				}
			}
		}
	}
}

// TestATableKernelBounds checks that the A-table kernel refuses row
// offsets that would read outside A, and reads up to its last element.
func TestATableKernelBounds(t *testing.T) {
	if bestF32.aTable == nil {
		t.Skip("no A-table kernel on this CPU")
	}
	a, b, c := make([]float32, 20), make([]float32, 2*16), make([]float32, 6*16)
	for _, tc := range []struct {
		name string
		kc   int
		rows []int32
	}{
		{"entry past a", 2, []int32{0, 1, 2, 3, 19, 4}}, // 19+1 >= 20
		{"negative entry", 2, []int32{0, 1, -1, 3, 4, 5}},
		{"short table", 2, []int32{0, 1, 2, 3, 4}},
		{"kc = 0", 0, []int32{0, 1, 2, 3, 4, 5}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			bestF32.aTable(tc.kc, a, tc.rows, 1, b, 16, false, c, 16, 0, 6, 16, false)
		}()
	}
	bestF32.aTable(2, a, []int32{0, 18, 2, 3, 4, 5}, 1, b, 16, false, c, 16, 0, 6, 16, false)
}

// TestGemmATableNoAllocs checks that products whose A has RowOffsets do not
// allocate: read in place, packed (m < mr, negative offsets, float64 and
// the generic kernel) and split-K.
func TestGemmATableNoAllocs(t *testing.T) {
	p := NewPool(2)
	defer p.shutdown()
	r := rand.New(rand.NewPCG(23, 24))
	for _, s := range []shape{{576, 64, 288}, {5, 17, 300}, {30, 4, 1000}} {
		a := newTableOperand(r, s.m, s.k, tableLayouts[0])
		b := newOperand(r, s.k, s.n, rowMajor)
		c32 := make([]float32, s.m*s.n)
		c64 := make([]float64, s.m*s.n)
		for _, av := range []operand{a, negativeRows(a)} {
			for _, generic := range kernelsUnderTest() {
				withKernel(t, generic, func() {
					f := func() {
						GemmF32(p, s.m, s.n, s.k, av.m32, b.m32, MatF32{Data: c32, RowStride: s.n, ColStride: 1}, false)
						GemmF64(p, s.m, s.n, s.k, av.m64, b.m64, MatF64{Data: c64, RowStride: s.n, ColStride: 1}, true)
					}
					for range 3 {
						f()
					}
					if allocs := testing.AllocsPerRun(20, f); allocs > 0.1 {
						t.Errorf("%v Offset=%d generic=%v: %.2f allocations per call", s, av.m32.Offset, generic, allocs)
					}
				})
			}
		}
	}
}
