//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// sgemm6x16 is the AVX2+FMA microkernel (gemm_amd64.s): the 6×16 float32 tile
// C (leading dimension ldc) = or += A·B from packed micro-panels of depth kc.
//
//go:noescape
func sgemm6x16(kc int, a, b, c *float32, ldc int, acc bool)

func avx2Kernel6x16(kc int, a, b, c []float32, ldc int, acc bool) {
	// Bounds checks that cover every access the assembly makes.
	_ = a[6*kc-1]
	_ = b[16*kc-1]
	_ = c[5*ldc+15]
	sgemm6x16(kc, &a[0], &b[0], &c[0], ldc, acc)
}

var avx2F32 = &kernelDesc[float32]{name: "avx2", mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096, kern: avx2Kernel6x16}

func hasAVX2FMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

func archF32() *kernelDesc[float32] {
	if hasAVX2FMA() {
		return avx2F32
	}
	return genericF32
}

func archF64() *kernelDesc[float64] { return genericF64 }
