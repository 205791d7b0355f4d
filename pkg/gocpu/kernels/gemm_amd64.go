//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// sgemm6x16 is the AVX2+FMA microkernel (gemm_amd64.s): the float32 tile
// C[rows×cols] (leading dimension ldc) = or += A[6×kc]·B[kc×16], with A read
// in place (element (i,p) at a[i*ars+p*acs]) and B a packed micro-panel.
//
//go:noescape
func sgemm6x16(kc int, a *float32, ars, acs int, b, c *float32, ldc, rows, cols int, acc bool)

func avx2Kernel6x16(kc int, a, b, c []float32, ldc int, acc bool) {
	avx2Direct6x16(kc, a, 1, 6, b, c, ldc, 6, 16, acc)
}

func avx2Direct6x16(kc int, a []float32, ars, acs int, b, c []float32, ldc, rows, cols int, acc bool) {
	// Bounds checks that cover every access the assembly makes (strides are
	// non-negative here).
	_ = a[5*ars+(kc-1)*acs]
	_ = b[16*kc-1]
	_ = c[(rows-1)*ldc+cols-1]
	sgemm6x16(kc, &a[0], ars, acs, &b[0], &c[0], ldc, rows, cols, acc)
}

var avx2F32 = &kernelDesc[float32]{name: "avx2", mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096,
	kern: avx2Kernel6x16, direct: avx2Direct6x16}

func hasAVX2FMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

func archF32() *kernelDesc[float32] {
	if hasAVX2FMA() {
		return avx2F32
	}
	return genericF32
}

func archF64() *kernelDesc[float64] { return genericF64 }
