//go:build amd64 && !purego

package kernels

//go:noescape
func sigmoidAVX2(y, x *float32, n int)

// sigmoidArch computes the sigmoid of the longest multiple of 8 of x's
// values with AVX2 and returns how many it did.
func sigmoidArch(y, x []float32) int {
	n := len(x) &^ 7
	if n == 0 || !hasAVX2FMA() {
		return 0
	}
	sigmoidAVX2(&y[0], &x[0], n)
	return n
}
