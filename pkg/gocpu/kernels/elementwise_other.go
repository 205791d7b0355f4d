//go:build !amd64 || purego

package kernels

// arithArch has no assembly here: the Go loop does everything.
func arithArch(op arithOp, z, x, y []float32) int { return 0 }

// hasVectorArith: no vector kernels on this architecture.
const hasVectorArith = false
