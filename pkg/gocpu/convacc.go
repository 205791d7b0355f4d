package gocpu

import (
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// accPlan lowers a convolution whose kernel is larger than its output (a
// kernel's gradient: the "kernel" is the output gradient dY, the "input
// channels" are the batch) to one product per input channel i, summed:
//
//	out[o][(b, pos)] += Σ_kp  W[o][i][kp] · G_i[(b, pos)][kp]
//
// where G_i gathers, for every batch item b and output position, the
// window of input channel i (the segments per output position). W is read
// in place (rows of its spatial taps), G_i is small enough to stay in cache,
// and the input channels (often a batch of 100) are split into pieces taken
// by the workers, each summing into partial outputs of its own, added in
// piece order at the end. With few taps per channel, several channels
// share one product (group); stride-1 2D convolutions read the input's
// padded planes in place instead of gathering (accWide).
type accPlan struct {
	kRow, kCh       int   // W[o][i][kp] at o·kRow + i·kCh + kp
	outOff          []int // output offset of (b, pos), b-major
	outChStride     int   // output stride of o
	gTemp, partTemp int   // workers × (B·P × KS), pieces × (O × B·P)
	pieces          int   // parts of the batch summed separately
	group, aTemp    int   // samples per product; their kernel rows side by side, workers × (O × group·KS)
	wide            *accWide
}

// accWide is accPlan over wide rows, for a stride-1, undilated 2D
// convolution (the kernel gradient of a stride-1 layer): input channel i
// of every batch item is copied into a zero-padded plane, and the kernel's
// rows are widened to the plane's width with zeros (W'[ky·PW+kx][o],
// transposed). The product is computed transposed, part[(b, q)][o]: row
// (b, qy, qx) of its left operand is one run of b's plane, from qy·PW+qx
// on, read in place by the GEMM through its row table; nothing is gathered.
type accWide struct {
	plan         widePlan // its plane is PH·PW + OW: the last run passes the end by up to OW-1
	kh, kw, kLen int      // the kernel's taps, and kLen = KH·PW
	colOff       []int32  // (b, pos) -> b·plane + qy·PW + qx
	planeTemp    int      // workers × B planes
	kTemp        int      // workers × O × kLen
}

// accFor returns the accumulating lowering of cp, or nil when it does not
// apply: it needs the transposed gather (few output positions, long kernel
// runs), no tap groups, a kernel whose spatial taps are contiguous, and a
// gather buffer that fits a few MB.
func accFor(n *node, cp *convPlan, p *plan) *accPlan {
	if !cp.transposed || cp.groups != nil || cp.batch*cp.positions*cp.ks > 1<<20 || cp.inCh < 2 {
		return nil
	}
	ker := shapeOf(n, 1)
	a := n.conv.axes
	kStrides := rowMajorStrides(ker.Dimensions)
	if !isRowMajorOrder(ker.Dimensions, kStrides, a.KernelSpatial) {
		return nil
	}
	ap := &accPlan{kRow: kStrides[a.KernelOutputChannels], kCh: kStrides[a.KernelInputChannels]}
	outDims := n.shape.Dimensions
	oStrides := rowMajorStrides(outDims)
	ap.outChStride = oStrides[a.OutputChannels]
	S := len(a.OutputSpatial)
	ap.outOff = make([]int, cp.batch*cp.positions)
	idx := make([]int, S)
	for b := 0; b < cp.batch; b++ {
		for pos := 0; pos < cp.positions; pos++ {
			rem, off := pos, b*oStrides[a.OutputBatch]
			for d := S - 1; d >= 0; d-- {
				idx[d] = rem % outDims[a.OutputSpatial[d]]
				rem /= outDims[a.OutputSpatial[d]]
			}
			for d := 0; d < S; d++ {
				off += idx[d] * oStrides[a.OutputSpatial[d]]
			}
			ap.outOff[b*cp.positions+pos] = off
		}
	}
	// A few pieces per worker, so that a worker slowed down by another
	// process takes fewer; as many as workers when partial results are big.
	outSize := cp.outCh * cp.batch * cp.positions
	ap.pieces = min(cp.inCh, 4*cp.workers)
	if outSize > 1<<18 {
		ap.pieces = min(cp.inCh, cp.workers)
	}
	ap.partTemp = p.addTemp(n.shape.DType, ap.pieces*outSize)
	if ap.wide = accWideFor(n, cp, p); ap.wide != nil {
		return ap
	}
	// With few kernel taps per sample (ResNet-18's 8×8, 4×4 and 2×2 stages),
	// several samples share one product, so that its depth is about 256
	// and the partial results are not read and written once per few taps.
	ap.group = max(1, min(256/cp.ks, (4<<20)/max(1, cp.batch*cp.positions*cp.ks)))
	ap.gTemp = p.addTemp(n.shape.DType, cp.workers*cp.batch*cp.positions*cp.ks*ap.group)
	if ap.group > 1 {
		ap.aTemp = p.addTemp(n.shape.DType, cp.workers*cp.outCh*cp.ks*ap.group)
	}
	return ap
}

// accWideFor returns the wide-row form of an accumulating convolution, or
// nil when it is not a stride-1, undilated 2D convolution with padding
// that leaves every window inside the padded plane.
func accWideFor(n *node, cp *convPlan, p *plan) *accWide {
	c := n.conv
	a := c.axes
	if len(a.InputSpatial) != 2 || !allOnes(c.strides) || !allOnes(c.inputDilations) || !allOnes(c.kernelDilations) {
		return nil
	}
	in, ker := shapeOf(n, 0), shapeOf(n, 1)
	h, w := in.Dimensions[a.InputSpatial[0]], in.Dimensions[a.InputSpatial[1]]
	kh, kw := ker.Dimensions[a.KernelSpatial[0]], ker.Dimensions[a.KernelSpatial[1]]
	oh, ow := n.shape.Dimensions[a.OutputSpatial[0]], n.shape.Dimensions[a.OutputSpatial[1]]
	pads := [4]int{}
	for d := 0; d < 2 && d < len(c.paddings); d++ {
		pads[2*d], pads[2*d+1] = c.paddings[d][0], c.paddings[d][1]
	}
	for _, v := range pads {
		if v < 0 {
			return nil
		}
	}
	ph, pw := h+pads[0]+pads[1], w+pads[2]+pads[3]
	// Short widened rows (small images) make a shallow product per sample:
	// the gathered form, several samples per product, does better there.
	if ph < oh+kh-1 || pw < ow+kw-1 || kh*pw < 64 {
		return nil
	}
	aw := &accWide{kh: kh, kw: kw, kLen: kh * pw, plan: *paddedPlanes(n, pads[0], pads[1], pads[2], pads[3])}
	aw.plan.oh, aw.plan.ow, aw.plan.plane = oh, ow, ph*pw+ow
	aw.colOff = make([]int32, cp.batch*cp.positions)
	for b := 0; b < cp.batch; b++ {
		for q := 0; q < cp.positions; q++ {
			aw.colOff[b*cp.positions+q] = int32(b*aw.plan.plane + (q/ow)*pw + q%ow)
		}
	}
	aw.planeTemp = p.addTemp(n.shape.DType, cp.workers*cp.batch*aw.plan.plane)
	aw.kTemp = p.addTemp(n.shape.DType, cp.workers*cp.outCh*aw.kLen)
	return aw
}

// accT is the step of an accPlan.
func accT[T float](cp *convPlan, ap *accPlan, x, k, out int, pool *kernels.Pool, gemm convGemm[T]) step {
	KS, P, B, O := cp.ks, cp.positions, cp.batch, cp.outCh
	N := B * P
	return func(st *state) {
		xs, ws, zs := st.vals[x].([]T), st.vals[k].([]T), st.vals[out].([]T)
		var gAll []T
		if ap.wide == nil {
			gAll = st.temps[ap.gTemp].([]T)
		}
		parts := st.temps[ap.partTemp].([]T)
		// accPiece sums samples [lo, hi) into part, with worker slot w's
		// scratch.
		accPiece := func(w, lo, hi int, part []T) {
			if aw := ap.wide; aw != nil {
				plane := aw.plan.plane
				planes := st.temps[aw.planeTemp].([]T)[w*B*plane : (w+1)*B*plane]
				// The product transposed, part[(b, q)][o]: its left operand is
				// the planes, row (b, q) read in place from its window's start,
				// and its right one the widened kernel, [kLen][O], small.
				wt := st.temps[aw.kTemp].([]T)[w*O*aw.kLen : (w+1)*O*aw.kLen]
				clear(wt) // the widened rows' extra columns stay zero
				a := operand[T]{data: planes, cs: 1, ro: aw.colOff}
				for i := lo; i < hi; i++ {
					for bi := 0; bi < B; bi++ {
						fillPlane(planes[bi*plane:(bi+1)*plane], xs[bi*cp.inBatchStride+i*cp.inChStride:], &aw.plan)
					}
					for o := 0; o < O; o++ {
						src := ws[o*ap.kRow+i*ap.kCh:]
						for ky := 0; ky < aw.kh; ky++ {
							d := wt[ky*aw.plan.pw*O+o:]
							for kx, v := range src[ky*aw.kw : (ky+1)*aw.kw] {
								d[kx*O] = v
							}
						}
					}
					gemm(N, O, aw.kLen, a, rowMajor(wt, 0, O), part, 0, true)
				}
				return
			}
			g := gAll[w*N*KS*ap.group : (w+1)*N*KS*ap.group]
			for i0 := lo; i0 < hi; i0 += ap.group {
				n := min(ap.group, hi-i0)
				K := n * KS // row (b, pos) of g: the windows of samples i0.. side by side
				for ii := 0; ii < n; ii++ {
					for b := 0; b < B; b++ {
						src := xs[b*cp.inBatchStride+(i0+ii)*cp.inChStride:]
						for pos := 0; pos < P; pos++ {
							r := (b*P+pos)*K + ii*KS
							gather(g[r:r+KS], src, cp.segsT[pos])
						}
					}
				}
				a := rowMajor(ws, i0*ap.kCh, ap.kRow)
				if n > 1 {
					wa := st.temps[ap.aTemp].([]T)[w*O*KS*ap.group : (w+1)*O*KS*ap.group]
					for o := 0; o < O; o++ {
						for ii := 0; ii < n; ii++ {
							at := o*ap.kRow + (i0+ii)*ap.kCh
							copy(wa[o*K+ii*KS:o*K+(ii+1)*KS], ws[at:at+KS])
						}
					}
					a = rowMajor(wa, 0, K)
				}
				gemm(O, N, K, a, dense(g, 1, K), part, 0, true)
			}
		}
		// Pieces of the batch, taken by the workers one at a time; each sums
		// into a partial result of its own, added in order at the end, so
		// that results do not depend on which worker took which piece.
		onWorkers(pool, cp.workers, ap.pieces, func(w, piece int) {
			part := parts[piece*O*N : (piece+1)*O*N]
			clear(part)
			accPiece(w, piece*cp.inCh/ap.pieces, (piece+1)*cp.inCh/ap.pieces, part)
		})
		at := func(piece, o, j int) int { return (piece*O+o)*N + j } // part[o][(b, q)]
		if ap.wide != nil {
			at = func(piece, o, j int) int { return (piece*N+j)*O + o } // part[(b, q)][o]
		}
		for o := 0; o < O; o++ {
			for j, off := range ap.outOff {
				var s T
				for piece := 0; piece < ap.pieces; piece++ {
					s += parts[at(piece, o, j)]
				}
				zs[off+o*ap.outChStride] = s
			}
		}
	}
}
