package gocpu

import (
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// dilPlan lowers a 2D convolution of an input dilated by (dh, dw) (the
// input gradient of a strided layer) to one implicit product per output
// phase. Output row y = dh·i + a reads dilated row y + ky - pad, a value
// only when a + ky - pad ≡ 0 (mod dh), then real row i + (a+ky-pad)/dh: so
// the outputs of phase (a, b) are a stride-1 convolution of the real input
// with the taps of that phase, each shifted by a constant. The real input
// is copied into zero-padded planes once; each phase's product reads its
// taps' runs in place (kernels' RowOffsets) over wide rows, and its outputs
// are written to their places in the output. No hole is multiplied and
// nothing is gathered.
type dilPlan struct {
	wp      *widePlan // the real input's padded planes
	classes []*dilClass
	convIO
	zeroClass        bool // a phase has no taps: its outputs are zeros
	subTemp          int  // the phases' sub-kernels, [O][C·taps] each
	prodTemp, maxRow int  // workers × O × chunk × maxRow, the longest phase's row
	chunk            int
}

// dilClass is one output phase (a, b): ni×nj outputs, reading taps.
type dilClass struct {
	ni, nj         int
	taps           []int   // kernel positions
	rowOff, colOff []int32 // the product's B through the planes
	rowLen         int     // ni·PW
	outPos         []int   // output offset (spatial) of (i, j)
	subAt          int
}

// dilFor returns the phase lowering of an input-dilated convolution, or nil
// when it does not apply (not 2D, strided, kernel-dilated, not dilated, or
// negative padding).
func dilFor(n *node, cp *convPlan, p *plan) *dilPlan {
	c := n.conv
	a := c.axes
	if len(a.InputSpatial) != 2 || !allOnes(c.strides) || !allOnes(c.kernelDilations) || len(c.inputDilations) != 2 ||
		len(c.paddings) != 2 || allOnes(c.inputDilations) {
		return nil
	}
	for _, pd := range c.paddings {
		if pd[0] < 0 || pd[1] < 0 {
			return nil
		}
	}
	in, ker := shapeOf(n, 0), shapeOf(n, 1)
	outDims := n.shape.Dimensions
	d := [2]int{max(c.inputDilations[0], 1), max(c.inputDilations[1], 1)}
	size := [2]int{in.Dimensions[a.InputSpatial[0]], in.Dimensions[a.InputSpatial[1]]}
	kd := [2]int{ker.Dimensions[a.KernelSpatial[0]], ker.Dimensions[a.KernelSpatial[1]]}
	od := [2]int{outDims[a.OutputSpatial[0]], outDims[a.OutputSpatial[1]]}
	// Per axis and phase: the outputs, the taps and their shifts.
	type axisPhase struct {
		n      int
		taps   []int
		shifts []int
	}
	phases := [2][]axisPhase{}
	lo, hi := [2]int{}, [2]int{} // the padded plane: rows [-lo, hi)
	for ax := 0; ax < 2; ax++ {
		hi[ax] = size[ax]
		for ph := 0; ph < d[ax]; ph++ {
			var ap axisPhase
			if od[ax] > ph {
				ap.n = (od[ax] - ph + d[ax] - 1) / d[ax]
			}
			for k := 0; k < kd[ax]; k++ {
				if r := ph + k - c.paddings[ax][0]; ((r%d[ax])+d[ax])%d[ax] == 0 {
					s := floorDiv(r, d[ax])
					ap.taps, ap.shifts = append(ap.taps, k), append(ap.shifts, s)
					if ap.n > 0 {
						lo[ax] = max(lo[ax], -s)
						hi[ax] = max(hi[ax], ap.n-1+s+1)
					}
				}
			}
			phases[ax] = append(phases[ax], ap)
		}
	}
	wp := paddedPlanes(n, lo[0], hi[0]-size[0], lo[1], hi[1]-size[1])
	wp.plane = wp.ph*wp.pw + wp.pw
	dp := &dilPlan{wp: wp, convIO: convIOOf(n)}
	oSp := dp.oSp
	sub := 0
	for pa := 0; pa < d[0]; pa++ {
		for pb := 0; pb < d[1]; pb++ {
			ya, xb := phases[0][pa], phases[1][pb]
			if ya.n == 0 || xb.n == 0 {
				continue
			}
			cl := &dilClass{ni: ya.n, nj: xb.n, rowLen: ya.n * wp.pw}
			for _, ky := range ya.taps {
				for _, kx := range xb.taps {
					cl.taps = append(cl.taps, ky*kd[1]+kx)
				}
			}
			if len(cl.taps) == 0 {
				dp.zeroClass = true
				continue
			}
			cl.rowOff = make([]int32, cp.inCh*len(cl.taps))
			for ch := 0; ch < cp.inCh; ch++ {
				t := 0
				for ti := range ya.taps {
					for tj := range xb.taps {
						cl.rowOff[ch*len(cl.taps)+t] = int32(ch*wp.plane + (ya.shifts[ti]+wp.top)*wp.pw + xb.shifts[tj] + wp.left)
						t++
					}
				}
			}
			for i := 0; i < cl.ni; i++ {
				for j := 0; j < cl.nj; j++ {
					cl.outPos = append(cl.outPos, oSp[(d[0]*i+pa)*od[1]+d[1]*j+pb])
				}
			}
			cl.subAt = sub
			sub += cp.outCh * cp.inCh * len(cl.taps)
			dp.maxRow = max(dp.maxRow, cl.rowLen)
			dp.classes = append(dp.classes, cl)
		}
	}
	// Phases whose wide rows are shorter than a GEMM panel (16) would mix
	// several images in every panel, which the GEMM must then gather: tap
	// groups do better on such small images (ResNet-18's last stages).
	for _, cl := range dp.classes {
		if cl.rowLen < 16 {
			return nil
		}
	}
	if len(dp.classes) == 0 {
		return nil
	}
	// Items per product, as for wide rows: about 256 columns, as many
	// chunks on every worker.
	dp.chunk = itemsPerProduct(cp.batch, cp.workers, dp.maxRow, cp.batch)
	for _, cl := range dp.classes {
		cl.colOff = make([]int32, dp.chunk*cl.rowLen)
		for j := 0; j < dp.chunk; j++ {
			for q := 0; q < cl.rowLen; q++ {
				cl.colOff[j*cl.rowLen+q] = int32(j*cp.inCh*wp.plane + q)
			}
		}
	}
	dp.subTemp = p.addTemp(n.shape.DType, sub)
	dp.prodTemp = p.addTemp(n.shape.DType, cp.workers*cp.outCh*dp.chunk*dp.maxRow)
	wp.padTemp = p.addTemp(n.shape.DType, cp.workers*(dp.chunk*cp.inCh*wp.plane+widePad))
	return dp
}

// floorDiv is a/b rounded down (b > 0).
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// dilT is the step of a dilPlan.
func dilT[T float](cp *convPlan, dp *dilPlan, x, k, out int, pool *kernels.Pool, gemm convGemm[T]) step {
	wp := dp.wp
	O, C := cp.outCh, cp.inCh
	per := C * wp.plane
	return func(st *state) {
		xs, ws, zs := st.vals[x].([]T), st.vals[k].([]T), st.vals[out].([]T)
		subs := st.temps[dp.subTemp].([]T)
		for _, cl := range dp.classes {
			pickTaps(subs, cl.subAt, ws, O, C, dp.kO, dp.kC, dp.kSp, cl.taps)
		}
		if dp.zeroClass {
			clear(zs)
		}
		one := func(w, b0, b1 int) {
			n := b1 - b0
			at := w * (dp.chunk*per + widePad)
			planes := st.temps[wp.padTemp].([]T)[at : at+n*per+widePad]
			for j := 0; j < n; j++ {
				base := (b0 + j) * cp.inBatchStride
				for c := 0; c < C; c++ {
					fillPlane(planes[j*per+c*wp.plane:j*per+(c+1)*wp.plane], xs[base+c*cp.inChStride:], wp)
				}
			}
			pb := st.temps[dp.prodTemp].([]T)[w*O*dp.chunk*dp.maxRow : (w+1)*O*dp.chunk*dp.maxRow]
			for _, cl := range dp.classes {
				row := n * cl.rowLen
				kk := C * len(cl.taps)
				b := operand[T]{data: planes, cs: 1, ro: cl.rowOff}
				if n > 1 {
					b.co = cl.colOff[:row]
				}
				gemm(O, row, kk, rowMajor(subs, cl.subAt, kk), b, pb, 0, false)
				for j := 0; j < n; j++ {
					for o := 0; o < O; o++ {
						d := zs[(b0+j)*dp.oB+o*dp.oO:]
						src := pb[o*row+j*cl.rowLen:]
						for i := 0; i < cl.ni; i++ {
							srow := src[i*wp.pw : i*wp.pw+cl.nj]
							pos := cl.outPos[i*cl.nj : (i+1)*cl.nj]
							for jj, v := range srow {
								d[pos[jj]] = v
							}
						}
					}
				}
			}
		}
		chunks := (cp.batch + dp.chunk - 1) / dp.chunk
		onWorkers(pool, cp.workers, chunks, func(w, c int) {
			one(w, c*dp.chunk, min((c+1)*dp.chunk, cp.batch))
		})
	}
}
