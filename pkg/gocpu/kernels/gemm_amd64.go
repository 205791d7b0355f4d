//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// sgemm6x16 is the AVX2+FMA microkernel (gemm_amd64.s): the float32 tile
// C[rlo:rhi, 0:cols] (leading dimension ldc) = or += rows rlo..rhi-1 of
// A[6×kc]·B[kc×cols], with A read in place (element (i,p) at a[i*ars+p*acs])
// and row p of B at b[p*brs] (flags: 1 accumulate, 2 B is unpacked: load only
// cols values per row, 4 prefetch the next 6 rows of A).
//
//go:noescape
func sgemm6x16(kc int, a *float32, ars, acs int, b *float32, brs int, c *float32, ldc, rlo, rhi, cols, flags int)

func avx2Kernel6x16(kc int, a, b, c []float32, ldc int, acc bool) {
	avx2Direct6x16(kc, a, 1, 6, b, 16, false, c, ldc, 0, 6, 16, acc, false)
}

func avx2Direct6x16(kc int, a []float32, ars, acs int, b []float32, brs int, bDirect bool, c []float32, ldc, rlo, rhi, cols int, acc, prefetchA bool) {
	// Bounds checks that cover every access the assembly makes (strides are
	// non-negative here).
	_ = a[5*ars+(kc-1)*acs]
	bDirect = checkB(kc, b, brs, bDirect, cols, 16)
	_ = c[(rhi-1)*ldc+cols-1]
	flags := tileFlags("sgemm6x16", rlo, rhi, cols, 16, acc, bDirect, prefetchA)
	sgemm6x16(kc, &a[0], ars, acs, &b[0], brs, &c[0], ldc, rlo, rhi, cols, flags)
}

// tileFlags panics unless rows rlo..rhi-1 and cols columns are a tile of
// a kernel with 6 rows and nr columns, and returns the kernels' flags:
// 1 accumulate, 2 B is unpacked (masked loads), 4 prefetch A.
func tileFlags(kernel string, rlo, rhi, cols, nr int, acc, bDirect, prefetchA bool) int {
	if rlo < 0 || rlo >= rhi || rhi > 6 || cols < 1 || cols > nr {
		panic("kernels: bad tile for " + kernel)
	}
	flags := 0
	if acc {
		flags |= 1
	}
	if bDirect {
		flags |= 2
	}
	if prefetchA {
		flags |= 4
	}
	return flags
}

// checkB panics unless the reads a direct kernel with an nr-wide tile makes
// of B lie inside b: nr values of each of the kc rows b[p*brs:] (nr/2 when
// cols <= nr/2), or only cols when bDirect. It returns bDirect, cleared
// when whole-vector loads stay inside b: they are faster than masked ones,
// and the extra columns are computed but not stored.
func checkB[T float](kc int, b []T, brs int, bDirect bool, cols, nr int) bool {
	w := nr
	if cols <= nr/2 {
		w = nr / 2
	}
	if bDirect && (kc-1)*brs+w <= len(b) {
		bDirect = false
	}
	if bDirect {
		_ = b[(kc-1)*brs+cols-1]
	} else {
		_ = b[(kc-1)*brs+w-1]
	}
	return bDirect
}

// sgemm6x16a is sgemm6x16 with row r of the 6-row tile of A at
// a[rowsA[r]], its element p at a[rowsA[r]+p*acs] (flags: 1 accumulate, 2
// B is unpacked).
//
//go:noescape
func sgemm6x16a(kc int, a *float32, rowsA *int32, acs int, b *float32, brs int, c *float32, ldc, rlo, rhi, cols, flags int)

func avx2ATable6x16(kc int, a []float32, rowsA []int32, acs int, b []float32, brs int, bDirect bool, c []float32, ldc, rlo, rhi, cols int, acc bool) {
	// Bounds checks that cover every access the assembly makes: the least
	// and greatest of the 6 row offsets bound its reads of A.
	rows := rowsA[:6]
	lo, hi := axisSpan(6, 0, rows)
	if kc < 1 || acs < 0 || brs < 0 || ldc < 0 || lo < 0 {
		panic("kernels: bad operands for sgemm6x16a")
	}
	_ = a[hi+(kc-1)*acs]
	bDirect = checkB(kc, b, brs, bDirect, cols, 16)
	_ = c[(rhi-1)*ldc+cols-1]
	flags := tileFlags("sgemm6x16a", rlo, rhi, cols, 16, acc, bDirect, false)
	sgemm6x16a(kc, &a[0], &rows[0], acs, &b[0], brs, &c[0], ldc, rlo, rhi, cols, flags)
}

// sgemm6x16t is sgemm6x16 with row p of B at b[rows[p]], 16 values readable
// from each (flags: 1 accumulate, 4 prefetch the next 6 rows of A).
//
//go:noescape
func sgemm6x16t(kc int, a *float32, ars, acs int, b *float32, rows *int32, c *float32, ldc, rlo, rhi, cols, flags int)

func avx2Table6x16(kc int, a []float32, ars, acs int, b []float32, rows rowTable, c []float32, ldc, rlo, rhi, cols int, acc, prefetchA bool) {
	// Bounds checks that cover every access the assembly makes: rows.lo and
	// rows.hi bound the table's entries (see rowTable).
	if kc < 1 || ars < 0 || acs < 0 || ldc < 0 || len(rows.rows) < kc || rows.lo < 0 || rows.hi+16 > len(b) {
		panic("kernels: bad operands for sgemm6x16t")
	}
	_ = a[5*ars+(kc-1)*acs]
	_ = c[(rhi-1)*ldc+cols-1]
	flags := tileFlags("sgemm6x16t", rlo, rhi, cols, 16, acc, false, prefetchA)
	sgemm6x16t(kc, &a[0], ars, acs, &b[0], &rows.rows[0], &c[0], ldc, rlo, rhi, cols, flags)
}

var avx2F32 = &kernelDesc[float32]{name: "avx2", mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096,
	kern: avx2Kernel6x16, direct: avx2Direct6x16, table: avx2Table6x16, aTable: avx2ATable6x16}

func hasAVX2FMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

func archF32() *kernelDesc[float32] {
	if hasAVX2FMA() {
		return avx2F32
	}
	return genericF32
}

// dgemm6x8 is sgemm6x16 for float64: a 6×8 tile, 8 values per row of B.
//
//go:noescape
func dgemm6x8(kc int, a *float64, ars, acs int, b *float64, brs int, c *float64, ldc, rlo, rhi, cols, flags int)

func avx2Kernel6x8(kc int, a, b, c []float64, ldc int, acc bool) {
	avx2Direct6x8(kc, a, 1, 6, b, 8, false, c, ldc, 0, 6, 8, acc, false)
}

func avx2Direct6x8(kc int, a []float64, ars, acs int, b []float64, brs int, bDirect bool, c []float64, ldc, rlo, rhi, cols int, acc, prefetchA bool) {
	_ = a[5*ars+(kc-1)*acs]
	bDirect = checkB(kc, b, brs, bDirect, cols, 8)
	_ = c[(rhi-1)*ldc+cols-1]
	flags := tileFlags("dgemm6x8", rlo, rhi, cols, 8, acc, bDirect, prefetchA)
	dgemm6x8(kc, &a[0], ars, acs, &b[0], brs, &c[0], ldc, rlo, rhi, cols, flags)
}

// dgemm6x8t is sgemm6x16t for float64: 8 values readable per row of B.
//
//go:noescape
func dgemm6x8t(kc int, a *float64, ars, acs int, b *float64, rows *int32, c *float64, ldc, rlo, rhi, cols, flags int)

func avx2Table6x8(kc int, a []float64, ars, acs int, b []float64, rows rowTable, c []float64, ldc, rlo, rhi, cols int, acc, prefetchA bool) {
	if kc < 1 || ars < 0 || acs < 0 || ldc < 0 || len(rows.rows) < kc || rows.lo < 0 || rows.hi+8 > len(b) {
		panic("kernels: bad operands for dgemm6x8t")
	}
	_ = a[5*ars+(kc-1)*acs]
	_ = c[(rhi-1)*ldc+cols-1]
	flags := tileFlags("dgemm6x8t", rlo, rhi, cols, 8, acc, false, prefetchA)
	dgemm6x8t(kc, &a[0], ars, acs, &b[0], &rows.rows[0], &c[0], ldc, rlo, rhi, cols, flags)
}

var avx2F64 = &kernelDesc[float64]{name: "avx2", mr: 6, nr: 8, mc: 72, kc: 256, nc: 4096,
	kern: avx2Kernel6x8, direct: avx2Direct6x8, table: avx2Table6x8}

func archF64() *kernelDesc[float64] {
	if hasAVX2FMA() {
		return avx2F64
	}
	return genericF64
}
