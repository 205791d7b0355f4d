//go:build !amd64 || purego

package kernels

// arithArch has no assembly here: the Go loop does everything.
func arithArch(op arithOp, z, x, y []float32) int { return 0 }

// hasVectorArith: no vector kernels on this architecture.
const hasVectorArith = false

// extremeArch has no assembly here.
func extremeArch(isMax bool, z, x, y []float32) int { return 0 }

// signArch has no assembly here.
func signArch(y, x []float32) int { return 0 }

// sumArch has no assembly here.
func sumArch(x []float32) (float32, int) { return 0, 0 }
