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
// and the input channels (often a batch of 100) are split across workers,
// each summing into partial outputs of its own, added at the end.
type accPlan struct {
	kOff, kRow, kCh int   // W[o][i][kp] at kOff(=0) + o·kRow + i·kCh + kp
	outOff          []int // output offset of (b, pos), b-major
	outChStride     int   // output stride of o
	gTemp, partTemp int   // workers × (B·P × KS), workers × (O × B·P)
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
	ap.gTemp = p.addTemp(n.shape.DType, cp.workers*cp.batch*cp.positions*cp.ks)
	ap.partTemp = p.addTemp(n.shape.DType, cp.workers*cp.outCh*cp.batch*cp.positions)
	return ap
}

// accT is the step of an accPlan; gemm is convT's.
func accT[T float](cp *convPlan, ap *accPlan, x, k, out int, pool *kernels.Pool,
	gemmB func(m, n, k int, a []T, aOff, aRow int, b []T, bRow, bCol int, c []T, acc bool)) step {
	KS, P, B, O := cp.ks, cp.positions, cp.batch, cp.outCh
	N := B * P
	return func(st *state) {
		xs, ws, zs := st.vals[x].([]T), st.vals[k].([]T), st.vals[out].([]T)
		gAll, parts := st.temps[ap.gTemp].([]T), st.temps[ap.partTemp].([]T)
		clear(parts)
		free := make(chan int, cp.workers)
		for w := 0; w < cp.workers; w++ {
			free <- w
		}
		pool.ParallelFor(cp.inCh, 1, func(lo, hi int) {
			w := <-free
			g := gAll[w*N*KS : (w+1)*N*KS]
			part := parts[w*O*N : (w+1)*O*N]
			for i := lo; i < hi; i++ {
				for b := 0; b < B; b++ {
					src := xs[b*cp.inBatchStride+i*cp.inChStride:]
					for pos := 0; pos < P; pos++ {
						r := (b*P + pos) * KS
						gather(g[r:r+KS], src, cp.segsT[pos])
					}
				}
				gemmB(O, N, KS, ws, i*ap.kCh, ap.kRow, g, 1, KS, part, true)
			}
			free <- w
		})
		for o := 0; o < O; o++ {
			for j, off := range ap.outOff {
				var s T
				for w := 0; w < cp.workers; w++ {
					s += parts[(w*O+o)*N+j]
				}
				zs[off+o*ap.outChStride] = s
			}
		}
	}
}
