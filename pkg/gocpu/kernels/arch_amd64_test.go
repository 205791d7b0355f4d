//go:build amd64 && !purego

package kernels

func hasAVX2FMAForTest() bool { return hasAVX2FMA() }
