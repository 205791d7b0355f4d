package kernels

import (
	"fmt"
	"os"
	"sync/atomic"
)

// MatF32 is a strided float32 matrix operand: element (i,j) is
// Data[Offset + i*RowStride + j*ColStride]. A transposed operand is the same
// data with the strides swapped.
//
// The B operand of GemmF32 may instead address its rows or columns through
// offset tables, for an "implicit GEMM" convolution that reads its input
// where it lies rather than copying it into an im2col matrix: element (i,j)
// is Data[Offset + R(i) + C(j)], where R(i) is RowOffsets[i] when RowOffsets
// is non-nil and i*RowStride otherwise, and C(j) is ColOffsets[j] when
// ColOffsets is non-nil and j*ColStride otherwise. Offsets may repeat and
// need not be sorted. A table must have at least as many entries as the
// operand has rows (columns). The fast cases are RowOffsets with ColStride 1
// (each row a contiguous run, as in a forward convolution), which the AVX2
// kernels read in place, and ColOffsets with RowStride 1 (each column a
// contiguous run, as in a kernel gradient), which is packed quickly; other
// layouts are gathered when packed. Leaving NR-1 (15 for float32, 7 for
// float64) readable values after the run of the row with the greatest offset
// lets a last partial column panel be read in place too.
//
// The A operand may have RowOffsets (not ColOffsets): element (i,p) is
// Data[Offset + RowOffsets[i] + p*ColStride], as in a convolution's kernel
// gradient computed as an implicit GEMM, whose rows of A are (channel, tap)
// runs of the padded input. When Offset and every entry are non-negative,
// the AVX2 float32 kernel reads such an A in place, six rows at a time
// through their table entries; otherwise (and with the generic kernels, and
// for float64) A is packed through its table. C must not have tables.
type MatF32 struct {
	Data                         []float32
	Offset, RowStride, ColStride int
	RowOffsets                   []int32 // if non-nil, row i starts at Offset + RowOffsets[i] (replaces i*RowStride)
	ColOffsets                   []int32 // if non-nil, column j is ColOffsets[j] past its row's start (replaces j*ColStride)
}

// MatF64 is the float64 version of MatF32.
type MatF64 struct {
	Data                         []float64
	Offset, RowStride, ColStride int
	RowOffsets                   []int32 // as in MatF32
	ColOffsets                   []int32 // as in MatF32
}

// float is the element types the GEMM driver is instantiated for.
type float interface{ float32 | float64 }

// mat is the element-type-generic form of MatF32 / MatF64. Element (i,j) is
// data[off + x.rowOff(i) + x.colOff(j)].
type mat[T float] struct {
	data        []T
	off, rs, cs int
	ro, co      []int32 // optional row and column offset tables (B; A may have ro)
}

func (x MatF32) toMat() mat[float32] {
	return mat[float32]{x.Data, x.Offset, x.RowStride, x.ColStride, x.RowOffsets, x.ColOffsets}
}

func (x MatF64) toMat() mat[float64] {
	return mat[float64]{x.Data, x.Offset, x.RowStride, x.ColStride, x.RowOffsets, x.ColOffsets}
}

// tables reports whether x addresses rows or columns through offset tables.
func (x *mat[T]) tables() bool { return x.ro != nil || x.co != nil }

// rowOff is the offset of row i from x.off.
func (x *mat[T]) rowOff(i int) int {
	if x.ro != nil {
		return int(x.ro[i])
	}
	return i * x.rs
}

// colOff is the offset of column j from the start of a row.
func (x *mat[T]) colOff(j int) int {
	if x.co != nil {
		return int(x.co[j])
	}
	return j * x.cs
}

// microKernel computes the mr×nr tile C = A·B (or C += A·B when acc) from a
// packed A micro-panel (kc groups of mr values) and a packed B micro-panel (kc
// groups of nr values); C is row-major with leading dimension ldc and must
// have room for the whole tile.
type microKernel[T float] func(kc int, a, b, c []T, ldc int, acc bool)

// directKernel computes rows rlo..rhi-1, columns 0..cols-1 (cols <= nr) of
// the mr×nr tile C = A·B (or += when acc), reading A in place: element (i,p)
// is a[i*ars+p*acs] for i < mr (all mr rows must be readable). Row p of B is
// b[p*brs:]: a packed micro-panel (brs = nr, zero-padded), or when bDirect an
// unpacked row-major operand, of which nothing past the end of b is read. C
// is c[i*ldc+j] for tile row i. prefetchA asks the kernel to prefetch the
// next mr rows of A, on a first pass over a block of A read from memory.
type directKernel[T float] func(kc int, a []T, ars, acs int, b []T, brs int, bDirect bool, c []T, ldc, rlo, rhi, cols int, acc, prefetchA bool)

// tableKernel is directKernel with B read in place through a row table:
// row p of B is b[rows.rows[p]:], nr values readable from each (only cols
// are stored). It reads a B addressed through RowOffsets with ColStride 1
// (an implicit-GEMM convolution's input) without packing it.
type tableKernel[T float] func(kc int, a []T, ars, acs int, b []T, rows rowTable, c []T, ldc, rlo, rhi, cols int, acc, prefetchA bool)

// aTableKernel is directKernel with A read in place through a row table:
// element (i,p) of the mr-row tile is a[rowsA[i]+p*acs], for i < mr (all mr
// rows must be readable). It reads an A addressed through RowOffsets (the
// (channel, tap) rows of a convolution's kernel gradient) without packing
// it.
type aTableKernel[T float] func(kc int, a []T, rowsA []int32, acs int, b []T, brs int, bDirect bool, c []T, ldc, rlo, rhi, cols int, acc bool)

// rowTable is a row offset table with bounds on its entries, lo <= rows[p]
// <= hi for every p, computed once per product so that a table kernel
// checks its reads against its B slice without a pass over the table per
// tile. Make one with newRowTable and narrow it with slice, which keep the
// bounds valid.
type rowTable struct {
	rows   []int32
	lo, hi int
}

// newRowTable returns rows (non-empty) with its least and greatest entries.
func newRowTable(rows []int32) rowTable {
	lo, hi := axisSpan(len(rows), 0, rows)
	return rowTable{rows, lo, hi}
}

// slice returns entries [i, j) of t, with t's bounds.
func (t rowTable) slice(i, j int) rowTable {
	return rowTable{t.rows[i:j], t.lo, t.hi}
}

// kernelDesc describes a microkernel and the blocking it is tuned for.
type kernelDesc[T float] struct {
	name       string
	mr, nr     int // microkernel tile
	mc, kc, nc int // cache blocks: A block mc×kc (L2), B block kc×nc (L3)
	kern       microKernel[T]
	direct     directKernel[T] // optional: reads A unpacked, stores partial tiles
	table      tableKernel[T]  // optional, with direct: reads B through RowOffsets unpacked
	aTable     aTableKernel[T] // optional, with direct: reads A through RowOffsets unpacked
}

var (
	genericF32 = &kernelDesc[float32]{name: "generic", mr: 4, nr: 4, mc: 128, kc: 256, nc: 2048, kern: genericKernel4x4[float32]}
	genericF64 = &kernelDesc[float64]{name: "generic", mr: 4, nr: 4, mc: 96, kc: 256, nc: 2048, kern: genericKernel4x4[float64]}

	// bestF32 / bestF64 are the fastest kernels this CPU supports (chosen by
	// the architecture files).
	bestF32 = archF32()
	bestF64 = archF64()

	curF32 atomic.Pointer[kernelDesc[float32]]
	curF64 atomic.Pointer[kernelDesc[float64]]
)

func init() {
	curF32.Store(bestF32)
	curF64.Store(bestF64)
	if os.Getenv("JUANJI_GEMM") == "generic" {
		useGeneric(true)
	}
}

// useGeneric selects the generic kernels (true) or the best ones for this CPU
// (false). It is the test hook that lets one test run cover both kernels.
func useGeneric(generic bool) {
	if generic {
		curF32.Store(genericF32)
		curF64.Store(genericF64)
	} else {
		curF32.Store(bestF32)
		curF64.Store(bestF64)
	}
}

// Kernel reports which float32 microkernel is in use: "avx2" or "generic".
func Kernel() string { return curF32.Load().name }

// KernelF64 reports which float64 microkernel is in use: "avx2" or "generic".
func KernelF64() string { return curF64.Load().name }

// GemmF32 computes C[m×n] = A[m×k]·B[k×n], or C += A·B when accumulate. C is
// row-major with leading dimension c.RowStride (c.ColStride must be 1). C must
// not overlap A or B. B may address its rows or columns through offset
// tables, A its rows (see MatF32); C may not. p may be nil for DefaultPool().
func GemmF32(p *Pool, m, n, k int, a, b MatF32, c MatF32, accumulate bool) {
	gemm(p, curF32.Load(), m, n, k, a.toMat(), b.toMat(), c.toMat(), accumulate, "GemmF32")
}

// GemmF64 is GemmF32 for float64.
func GemmF64(p *Pool, m, n, k int, a, b MatF64, c MatF64, accumulate bool) {
	gemm(p, curF64.Load(), m, n, k, a.toMat(), b.toMat(), c.toMat(), accumulate, "GemmF64")
}

// checkOperand panics unless every element of the rows×cols matrix x lies
// inside x.data and its offset tables, if any, cover its rows and columns.
func checkOperand[T float](fn, name string, rows, cols int, x *mat[T], m, n, k int) {
	if rows == 0 || cols == 0 {
		return
	}
	if x.ro != nil && len(x.ro) < rows {
		panic(fmt.Sprintf("kernels.%s(m=%d, n=%d, k=%d): operand %s (%d×%d) has %d RowOffsets for its %d rows",
			fn, m, n, k, name, rows, cols, len(x.ro), rows))
	}
	if x.co != nil && len(x.co) < cols {
		panic(fmt.Sprintf("kernels.%s(m=%d, n=%d, k=%d): operand %s (%d×%d) has %d ColOffsets for its %d columns",
			fn, m, n, k, name, rows, cols, len(x.co), cols))
	}
	rlo, rhi := axisSpan(rows, x.rs, x.ro)
	clo, chi := axisSpan(cols, x.cs, x.co)
	lo, hi := x.off+rlo+clo, x.off+rhi+chi
	if lo < 0 || hi >= len(x.data) {
		panic(fmt.Sprintf("kernels.%s(m=%d, n=%d, k=%d): operand %s (%d×%d, Offset=%d, %s, %s) spans elements [%d, %d] but its Data has %d elements",
			fn, m, n, k, name, rows, cols, x.off, axisString("Row", x.rs, x.ro, rlo, rhi), axisString("Col", x.cs, x.co, clo, chi), lo, hi, len(x.data)))
	}
}

// axisSpan returns the least and the greatest offset of the first n rows (or
// columns) of an operand addressed with stride, or with table when it is
// non-nil.
func axisSpan(n, stride int, table []int32) (lo, hi int) {
	if table == nil {
		d := (n - 1) * stride
		return min(0, d), max(0, d)
	}
	lo, hi = int(table[0]), int(table[0])
	for _, v := range table[1:n] {
		lo = min(lo, int(v))
		hi = max(hi, int(v))
	}
	return lo, hi
}

// axisString describes an axis's addressing for checkOperand's message.
func axisString(axis string, stride int, table []int32, lo, hi int) string {
	if table == nil {
		return fmt.Sprintf("%sStride=%d", axis, stride)
	}
	return fmt.Sprintf("%sOffsets in [%d, %d]", axis, lo, hi)
}

func gemm[T float](p *Pool, kd *kernelDesc[T], m, n, k int, a, b, c mat[T], acc bool, fn string) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels.%s: negative dimension m=%d, n=%d, k=%d", fn, m, n, k))
	}
	if a.co != nil {
		panic(fmt.Sprintf("kernels.%s(m=%d, n=%d, k=%d): operand A has ColOffsets; A may have RowOffsets only", fn, m, n, k))
	}
	if c.tables() {
		panic(fmt.Sprintf("kernels.%s(m=%d, n=%d, k=%d): operand C has RowOffsets or ColOffsets; only A and B may have offset tables", fn, m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	if c.cs != 1 {
		panic(fmt.Sprintf("kernels.%s(m=%d, n=%d, k=%d): operand C must be row-major with ColStride 1, got RowStride=%d ColStride=%d", fn, m, n, k, c.rs, c.cs))
	}
	if m > 1 && c.rs < n {
		panic(fmt.Sprintf("kernels.%s(m=%d, n=%d, k=%d): operand C's RowStride (ldc) %d is smaller than n=%d", fn, m, n, k, c.rs, n))
	}
	checkOperand(fn, "C", m, n, &c, m, n, k)
	checkOperand(fn, "A", m, k, &a, m, n, k)
	checkOperand(fn, "B", k, n, &b, m, n, k)
	if k == 0 {
		if !acc {
			for i := range m {
				clear(c.data[c.off+i*c.rs : c.off+i*c.rs+n])
			}
		}
		return
	}
	if m*n*k <= directMax {
		gemmDirect(m, n, k, &a, &b, &c, acc)
		return
	}
	if p == nil {
		p = DefaultPool()
	}
	workers := p.Workers()
	if m*n*k < parallelMin {
		workers = 1
	}
	run(p, workers, kd, m, n, k, &a, &b, &c, acc)
}

// directMax is the largest m*n*k computed by the plain triple loop (a
// variable so that tests can send small shapes through the kernels).
var directMax = 16 * 16 * 16

const (
	// parallelMin is the smallest m*n*k worth waking the pool for.
	parallelMin = 48 * 48 * 48
)

// gemmDirect is the unpacked triple loop for tiny products.
func gemmDirect[T float](m, n, k int, a, b, c *mat[T], acc bool) {
	for i := range m {
		crow := c.data[c.off+i*c.rs : c.off+i*c.rs+n]
		ai := a.off + a.rowOff(i)
		for j := range crow {
			var s T
			ia, ib := ai, b.off+b.colOff(j)
			if b.ro == nil {
				for range k {
					s += a.data[ia] * b.data[ib]
					ia += a.cs
					ib += b.rs
				}
			} else {
				for _, r := range b.ro[:k] {
					s += a.data[ia] * b.data[ib+int(r)]
					ia += a.cs
				}
			}
			if acc {
				crow[j] += s
			} else {
				crow[j] = s
			}
		}
	}
}
