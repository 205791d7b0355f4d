package kernels

// genericKernel4x4 is the portable microkernel for a 4×4 tile of C. It makes
// two passes over k, each accumulating two rows of the tile in 8 scalars: few
// enough live values for the 16 floating-point registers of amd64 (a 16-scalar
// tile makes the Go compiler spill to the stack on every step).
func genericKernel4x4[T float](kc int, a, b, c []T, ldc int, acc bool) {
	a = a[:4*kc]
	b = b[:4*kc]
	for half := 0; half < 4; half += 2 {
		var c0, c1, c2, c3, d0, d1, d2, d3 T
		for p := 0; p+4 <= len(a) && p+4 <= len(b); p += 4 {
			aa := a[p+half : p+half+2 : p+half+2]
			bb := b[p : p+4 : p+4]
			a0, a1 := aa[0], aa[1]
			b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
			c0 += a0 * b0
			c1 += a0 * b1
			c2 += a0 * b2
			c3 += a0 * b3
			d0 += a1 * b0
			d1 += a1 * b1
			d2 += a1 * b2
			d3 += a1 * b3
		}
		r0 := c[half*ldc : half*ldc+4 : half*ldc+4]
		r1 := c[(half+1)*ldc : (half+1)*ldc+4 : (half+1)*ldc+4]
		if acc {
			r0[0], r0[1], r0[2], r0[3] = r0[0]+c0, r0[1]+c1, r0[2]+c2, r0[3]+c3
			r1[0], r1[1], r1[2], r1[3] = r1[0]+d0, r1[1]+d1, r1[2]+d2, r1[3]+d3
		} else {
			r0[0], r0[1], r0[2], r0[3] = c0, c1, c2, c3
			r1[0], r1[1], r1[2], r1[3] = d0, d1, d2, d3
		}
	}
}
