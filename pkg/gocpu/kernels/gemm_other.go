//go:build !amd64 || purego

package kernels

func archF32() *kernelDesc[float32] { return genericF32 }
func archF64() *kernelDesc[float64] { return genericF64 }
