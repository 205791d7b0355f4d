package gocpu

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// convSpec holds ConvGeneral's parameters.
type convSpec struct {
	axes                            backends.ConvolveAxesConfig
	strides                         []int
	paddings                        [][2]int
	inputDilations, kernelDilations []int
	channelGroups, batchGroups      int
}

// convPlan is a convolution lowered to one matrix product per batch item:
//
//	out[b][o][p] = Σ_k  W[o][k] · cols_b[k][p]
//
// where k runs over (input channel, kernel position), p over output
// positions, and cols_b is gathered from the input through a table of
// offsets made at compile time (-1 where the window reads padding or a hole
// of the input's dilation). Any axes layout works: the input is read
// through its strides, the kernel and output are copied to and from the
// canonical [O][C·KS] and [B][O][P] orders when they are not already so.
type convPlan struct {
	batch, inCh, outCh int
	ks, positions      int         // kernel positions, output positions
	table              []int32     // [ks][positions] spatial offset in the input, or -1
	segs               [][]segment // per kernel position: the table as runs
	// transposed: the columns are gathered as [positions][C·KS] instead,
	// with segments per output position (segsT): the longer runs when the
	// kernel is larger than the output (a kernel's gradient).
	transposed bool
	segsT      [][]segment
	// groups, when the input is dilated (a strided convolution's input
	// gradient), split the output positions by the kernel taps that land
	// on values rather than holes: each group is a smaller product over
	// its own taps, so the holes are never multiplied. Nil otherwise.
	groups        []*tapGroup
	subTemp       int // the groups' sub-kernels, [O][C·len(taps)] each, one after another
	inBatchStride int
	inChStride    int

	kernelCopy *layout // non-nil: copy kernel to canonical [O][C][KS] in a temp
	kernelTemp int
	outCopy    *layout // non-nil: compute into a temp [B][O][P], then copy out
	outTemp    int
	colsTemp   int // workers × (C·KS × chunk·P)
	prodTemp   int // workers × (O × chunk·P)
	chunk      int // batch items per product
	workers    int
	wide       *widePlan // stride-1 2D convolutions: whole padded rows, see widePlan
	convIO               // with groups: the kernel and output read and written through their strides
	zeroGroup  bool      // a group reads only padding or holes: its outputs are zeros
}

// convIO addresses a convolution's kernel and output through their own
// strides, in any axes layout: W[o][c][kp] at o·kO + c·kC + kSp[kp], out[b][o][p]
// at b·oB + o·oO + oSp[p].
type convIO struct {
	kO, kC, oB, oO int
	kSp, oSp       []int
}

func convIOOf(n *node) convIO {
	a := n.conv.axes
	ker := shapeOf(n, 1)
	kStrides, oStrides := rowMajorStrides(ker.Dimensions), rowMajorStrides(n.shape.Dimensions)
	kDims, oDims := make([]int, len(a.KernelSpatial)), make([]int, len(a.OutputSpatial))
	for d := range kDims {
		kDims[d], oDims[d] = ker.Dimensions[a.KernelSpatial[d]], n.shape.Dimensions[a.OutputSpatial[d]]
	}
	return convIO{kO: kStrides[a.KernelOutputChannels], kC: kStrides[a.KernelInputChannels],
		kSp: spatialOffsets(kDims, a.KernelSpatial, kStrides),
		oB:  oStrides[a.OutputBatch], oO: oStrides[a.OutputChannels],
		oSp: spatialOffsets(oDims, a.OutputSpatial, oStrides)}
}

// paddedPlanes lays out zero-padded planes of n's input (h×w, padding
// top/bottom/left/right): sizes, padding before and the input's spatial
// strides; the caller sets what depends on its use (plane, offsets).
func paddedPlanes(n *node, top, bottom, left, right int) *widePlan {
	a := n.conv.axes
	in := shapeOf(n, 0)
	inStrides := rowMajorStrides(in.Dimensions)
	h, w := in.Dimensions[a.InputSpatial[0]], in.Dimensions[a.InputSpatial[1]]
	return &widePlan{h: h, w: w, ph: h + top + bottom, pw: w + left + right, top: top, left: left,
		hStride: inStrides[a.InputSpatial[0]], wStride: inStrides[a.InputSpatial[1]]}
}

// itemsPerProduct is how many batch items share one product: enough for
// about 256 columns of rowLen each, at most maxItems, and every worker
// with as many products (64 items in chunks of 29 would leave one worker
// 58 items and the other 6).
func itemsPerProduct(batch, workers, rowLen, maxItems int) int {
	chunk := max(1, min((256+rowLen-1)/rowLen, maxItems, (batch+workers-1)/workers))
	if chunks := (batch + chunk - 1) / chunk; chunks > 1 && workers > 1 {
		chunks = (chunks + workers - 1) / workers * workers
		chunk = (batch + chunks - 1) / chunks
	}
	return chunk
}

// spatialOffsets lists, for each row-major index over dims (the spatial
// sizes of axes), its offset through strides.
func spatialOffsets(dims, axes, strides []int) []int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	offs := make([]int, n)
	for i := range offs {
		rem, off := i, 0
		for d := len(dims) - 1; d >= 0; d-- {
			off += (rem % dims[d]) * strides[axes[d]]
			rem /= dims[d]
		}
		offs[i] = off
	}
	return offs
}

// widePlan is a stride-1, undilated 2D convolution computed over "wide"
// rows: each input channel is copied once into a zero-padded plane
// (PH×PW), and the columns of kernel tap (ky, kx) are then one contiguous
// run of that plane, starting at ky·PW+kx and OH·PW long: one copy per tap
// and channel instead of one per image row and border. The product is
// computed for all PW columns of each output row (PW-OW of them are
// garbage, dropped when the output is copied out): a few more
// multiply-adds for far fewer, far longer copies.
type widePlan struct {
	h, w, ph, pw, oh, ow int
	top, left            int // padding before
	hStride, wStride     int // the input's spatial strides
	offs                 []int
	rowLen               int     // OH·PW
	plane                int     // PH·PW + KW: a tap's run may pass the end by up to KW-1
	padTemp              int     // workers × (chunk × C planes + widePad)
	rowOff, colOff       []int32 // the product's B through the planes
}

// fillPlane writes one input channel into its zero-padded plane: the
// rows where they belong, zeros everywhere else (the plane's memory is
// scratch shared with other steps).
func fillPlane[T float](pl, src []T, wp *widePlan) {
	done := 0
	for y := 0; y < wp.h; y++ {
		at := (y+wp.top)*wp.pw + wp.left
		clear(pl[done:at])
		d := pl[at : at+wp.w]
		if wp.wStride == 1 {
			copy(d, src[y*wp.hStride:y*wp.hStride+wp.w])
		} else {
			for i := range d {
				d[i] = src[y*wp.hStride+i*wp.wStride]
			}
		}
		done = at + wp.w
	}
	clear(pl[done:])
}

// widePad is slack after a worker's planes, so that the GEMM kernel may
// read a whole vector of 16 values from the start of any run.
const widePad = 16

func convStep(n *node, x, k, out int, p *plan, pool *kernels.Pool) (step, error) {
	c := n.conv
	if c.channelGroups != 1 || c.batchGroups != 1 {
		return nil, fmt.Errorf("grouped convolution")
	}
	in, ker := shapeOf(n, 0), shapeOf(n, 1)
	a := c.axes
	S := len(a.InputSpatial)
	inStrides := rowMajorStrides(in.Dimensions)
	kStrides := rowMajorStrides(ker.Dimensions)
	outDims := n.shape.Dimensions
	cp := &convPlan{
		batch: in.Dimensions[a.InputBatch], inCh: in.Dimensions[a.InputChannels],
		outCh: ker.Dimensions[a.KernelOutputChannels], ks: 1, positions: 1,
		inBatchStride: inStrides[a.InputBatch], inChStride: inStrides[a.InputChannels],
		workers: pool.Workers(),
	}
	kDims := make([]int, S)
	oDims := make([]int, S)
	for d := 0; d < S; d++ {
		kDims[d] = ker.Dimensions[a.KernelSpatial[d]]
		oDims[d] = outDims[a.OutputSpatial[d]]
		cp.ks *= kDims[d]
		cp.positions *= oDims[d]
	}
	at := func(xs []int, d, def int) int {
		if d < len(xs) && xs[d] > 0 {
			return xs[d]
		}
		return def
	}
	if dp := dilFor(n, cp, p); dp != nil {
		return typedConvStep(n.shape.DType, cp, dp, nil, x, k, out, pool)
	}
	// The offset table: for each kernel position and output position.
	cp.table = make([]int32, cp.ks*cp.positions)
	// hole marks a tap that reads between the values of a dilated input (as
	// opposed to padding): such taps are skipped, not multiplied by zero.
	hole := make([]bool, cp.ks*cp.positions)
	kIdx := make([]int, S)
	for kp := 0; kp < cp.ks; kp++ {
		rem := kp
		for d := S - 1; d >= 0; d-- {
			kIdx[d] = rem % kDims[d]
			rem /= kDims[d]
		}
		oIdx := make([]int, S)
		for op := 0; op < cp.positions; op++ {
			rem := op
			for d := S - 1; d >= 0; d-- {
				oIdx[d] = rem % oDims[d]
				rem /= oDims[d]
			}
			off := 0
			for d := 0; d < S && off >= 0; d++ {
				pos := oIdx[d]*at(c.strides, d, 1) - padLow(c.paddings, d) + kIdx[d]*at(c.kernelDilations, d, 1)
				dil := at(c.inputDilations, d, 1)
				size := in.Dimensions[a.InputSpatial[d]]
				if pos%dil != 0 && pos >= 0 && pos/dil < size {
					hole[kp*cp.positions+op] = true
				}
				if pos < 0 || pos%dil != 0 || pos/dil >= size {
					off = -1
					break
				}
				off += (pos / dil) * inStrides[a.InputSpatial[d]]
			}
			cp.table[kp*cp.positions+op] = int32(off)
		}
	}
	cp.segs = make([][]segment, cp.ks)
	for kp := range cp.segs {
		cp.segs[kp] = runs(cp.table[kp*cp.positions : (kp+1)*cp.positions])
	}
	cp.segsT = make([][]segment, cp.positions)
	col := make([]int32, cp.ks)
	nT, nSegs := 0, 0
	for op := range cp.segsT {
		for kp := range col {
			col[kp] = cp.table[kp*cp.positions+op]
		}
		cp.segsT[op] = runs(col)
		nT += len(cp.segsT[op])
	}
	for _, s := range cp.segs {
		nSegs += len(s)
	}
	cp.transposed = nT < nSegs
	cp.groups = tapGroups(cp, hole)
	if S == 2 && cp.groups == nil && allOnes(c.strides) && allOnes(c.inputDilations) && !cp.transposed {
		kdh, kdw := at(c.kernelDilations, 0, 1), at(c.kernelDilations, 1, 1)
		wp := paddedPlanes(n, c.paddings[0][0], c.paddings[0][1], c.paddings[1][0], c.paddings[1][1])
		wp.oh, wp.ow = oDims[0], oDims[1]
		ph, pw := wp.ph, wp.pw
		for ky := 0; ky < kDims[0]; ky++ {
			for kx := 0; kx < kDims[1]; kx++ {
				wp.offs = append(wp.offs, ky*kdh*pw+kx*kdw)
			}
		}
		wp.rowLen = wp.oh * pw
		wp.plane = ph*pw + kDims[1]*kdw
		// Worth it when the wide rows add little: at most half again the
		// multiply-adds, and runs longer than the rows they replace.
		if c.paddings[0][0] >= 0 && c.paddings[0][1] >= 0 && c.paddings[1][0] >= 0 && c.paddings[1][1] >= 0 &&
			2*wp.rowLen <= 3*cp.positions && wp.ph == wp.oh+(kDims[0]-1)*kdh {
			cp.wide = wp
		}
	}
	cp.table = nil // the segments say it all
	if ap := accFor(n, cp, p); ap != nil {
		return typedConvStep(n.shape.DType, cp, nil, ap, x, k, out, pool)
	}
	// Kernel as [O][C·KS]: read directly when laid out so, else copied.
	// Tap groups read it through its strides and write the output through
	// the output's: they pick a few taps out of a kernel that is often
	// large and transposed (an input gradient's), and scatter positions.
	kOrder := append([]int{a.KernelOutputChannels, a.KernelInputChannels}, a.KernelSpatial...)
	oStrides := rowMajorStrides(outDims)
	if cp.groups != nil {
		cp.convIO = convIOOf(n)
		for _, g := range cp.groups {
			cp.zeroGroup = cp.zeroGroup || len(g.taps) == 0
		}
	}
	if cp.groups == nil && !isRowMajorOrder(ker.Dimensions, kStrides, kOrder) {
		l := layout{dims: make([]int, len(kOrder)), strides: make([]int, len(kOrder))}
		for i, ax := range kOrder {
			l.dims[i], l.strides[i] = ker.Dimensions[ax], kStrides[ax]
		}
		l.dense = rowMajorStrides(l.dims)
		cp.kernelCopy = &l
		cp.kernelTemp = p.addTemp(n.shape.DType, ker.Size())
	}
	// Output as [B][O][P]: written directly when laid out so, else copied.
	oOrder := append([]int{a.OutputBatch, a.OutputChannels}, a.OutputSpatial...)
	if cp.groups == nil && !isRowMajorOrder(outDims, oStrides, oOrder) {
		// Copy from the canonical temp into the output: the walk is over the
		// canonical order, writing with the output's strides.
		l := layout{dims: make([]int, len(oOrder)), strides: make([]int, len(oOrder))}
		for i, ax := range oOrder {
			l.dims[i], l.strides[i] = outDims[ax], oStrides[ax]
		}
		l.dense = rowMajorStrides(l.dims)
		cp.outCopy = &l
		cp.outTemp = p.addTemp(n.shape.DType, n.shape.Size())
	}
	// Several batch items share one product, so that the kernel, packed
	// once per product, serves at least about 256 output columns (a
	// kernel's gradient has few positions per item), while the columns stay
	// within 8M values per worker and every worker still gets items.
	rowLen := cp.positions
	if cp.wide != nil {
		rowLen = cp.wide.rowLen
	}
	colsPerItem := cp.inCh * cp.ks * rowLen
	cp.chunk = itemsPerProduct(cp.batch, cp.workers, rowLen, max(1, (8<<20)/max(colsPerItem, 1)))
	if cp.wide == nil {
		cp.colsTemp = p.addTemp(n.shape.DType, cp.workers*colsPerItem*cp.chunk)
	}
	if cp.groups != nil {
		size := 0
		for _, g := range cp.groups {
			size += cp.outCh * cp.inCh * len(g.taps)
		}
		cp.subTemp = p.addTemp(n.shape.DType, size)
	}
	cp.prodTemp = p.addTemp(n.shape.DType, cp.workers*cp.outCh*rowLen*cp.chunk)
	if wp := cp.wide; wp != nil {
		// Planes of a chunk's items, [item][channel][plane]; B's row
		// (channel, tap) starts at its tap's offset in the channel's plane,
		// column (item, q) at the item's planes.
		wp.padTemp = p.addTemp(n.shape.DType, cp.workers*(cp.chunk*cp.inCh*wp.plane+widePad))
		wp.rowOff = make([]int32, cp.inCh*cp.ks)
		for c := 0; c < cp.inCh; c++ {
			for kp, off := range wp.offs {
				wp.rowOff[c*cp.ks+kp] = int32(c*wp.plane + off)
			}
		}
		wp.colOff = make([]int32, cp.chunk*wp.rowLen)
		for j := 0; j < cp.chunk; j++ {
			for q := 0; q < wp.rowLen; q++ {
				wp.colOff[j*wp.rowLen+q] = int32(j*cp.inCh*wp.plane + q)
			}
		}
	}
	return typedConvStep(n.shape.DType, cp, nil, nil, x, k, out, pool)
}

// typedConvStep is the step of a convolution planned as cp, lowered by
// phases (dp), by accumulated products (ap) or else by convT, for its dtype.
func typedConvStep(dt dtypes.DType, cp *convPlan, dp *dilPlan, ap *accPlan, x, k, out int, pool *kernels.Pool) (step, error) {
	switch dt {
	case dtypes.Float32:
		return convStepOf[float32](cp, dp, ap, x, k, out, pool), nil
	case dtypes.Float64:
		return convStepOf[float64](cp, dp, ap, x, k, out, pool), nil
	}
	return nil, fmt.Errorf("no convolution for %s", dt)
}

func convStepOf[T float](cp *convPlan, dp *dilPlan, ap *accPlan, x, k, out int, pool *kernels.Pool) step {
	gemm := gemmOf[T](pool)
	switch {
	case dp != nil:
		return dilT(cp, dp, x, k, out, pool, gemm)
	case ap != nil:
		return accT(cp, ap, x, k, out, pool, gemm)
	}
	return convT(cp, x, k, out, pool, gemm)
}

// onWorkers runs fn(w, i) for every i in [0, n), in a few pieces per
// worker taken one at a time, so that a worker slowed down by another
// process takes fewer; w, in [0, workers), is a scratch slot that no other
// running fn holds.
func onWorkers(pool *kernels.Pool, workers, n int, fn func(w, i int)) {
	free := make(chan int, workers)
	for w := 0; w < workers; w++ {
		free <- w
	}
	pool.ParallelChunks(n, min(n, 4*workers), func(lo, hi int) {
		w := <-free
		for i := lo; i < hi; i++ {
			fn(w, i)
		}
		free <- w
	})
}

// pickTaps copies, for each output and input channel, the kernel's taps
// (spatial positions, through the kernel's strides kO, kC and offsets kSp)
// into sub, [O][C][len(taps)] from at.
func pickTaps[T float](sub []T, at int, ws []T, O, C, kO, kC int, kSp, taps []int) {
	nt := len(taps)
	for o := 0; o < O; o++ {
		for c := 0; c < C; c++ {
			row := ws[o*kO+c*kC:]
			d := sub[at+(o*C+c)*nt:]
			for t, kp := range taps {
				d[t] = row[kSp[kp]]
			}
		}
	}
}

// tapGroup is the output positions that use the same kernel taps.
type tapGroup struct {
	taps      []int
	positions []int32
	segs      [][]segment // per tap: the gather over positions, as runs
	subAt     int         // where its sub-kernel starts in the temp
}

// tapGroups groups the output positions by the kernel taps that read
// values (not holes of a dilated input, not padding). It returns nil when
// the input is not dilated and that would not leave out at least 60% of
// the products' work: then every position takes every tap.
func tapGroups(cp *convPlan, hole []bool) []*tapGroup {
	P := cp.positions
	anyHole := false
	for _, h := range hole {
		anyHole = anyHole || h
	}
	byKey := map[string]*tapGroup{}
	var groups []*tapGroup
	key := make([]byte, cp.ks)
	work := 0
	for op := 0; op < P; op++ {
		for kp := range key {
			key[kp] = '1'
			if cp.table[kp*P+op] < 0 {
				key[kp] = '0'
			}
		}
		g, ok := byKey[string(key)]
		if !ok {
			g = &tapGroup{}
			for kp, k := range key {
				if k == '1' {
					g.taps = append(g.taps, kp)
				}
			}
			byKey[string(key)] = g
			groups = append(groups, g)
		}
		g.positions = append(g.positions, int32(op))
		work += len(g.taps)
	}
	// Without holes, groups pay only when they leave out most of the work
	// (ResNet-18's 1×1 and 2×2 stages); otherwise the wide rows or plain
	// gathers, with their few long copies, win.
	if !anyHole && 5*work > 2*cp.ks*P {
		return nil
	}
	// A group whose taps all read padding or holes (3/4 of the input
	// gradient of a 1×1 stride-2 convolution) has no product: its outputs
	// are zeros.
	sub := 0
	for _, g := range groups {
		col := make([]int32, len(g.positions))
		for _, kp := range g.taps {
			for i, op := range g.positions {
				col[i] = cp.table[kp*P+int(op)]
			}
			g.segs = append(g.segs, runs(col))
		}
		g.subAt = sub
		sub += cp.outCh * cp.inCh * len(g.taps)
	}
	return groups
}

// segment is a run of a gather table: n values to dst from src onwards,
// step apart (1: consecutive), or n zeros when src is -1. Stride-1
// convolutions gather whole image rows this way, as copies; strided ones
// gather every step-th value of a row.
type segment struct{ dst, src, n, step int32 }

// runs encodes a table of offsets (-1: zero) as segments.
func runs(table []int32) []segment {
	var segs []segment
	for i, off := range table {
		if k := len(segs) - 1; k >= 0 {
			s := &segs[k]
			switch {
			case off < 0 && s.src < 0:
				s.n++
				continue
			case off >= 0 && s.src >= 0 && s.n == 1 && off > s.src:
				s.step = off - s.src
				s.n++
				continue
			case off >= 0 && s.src >= 0 && off == s.src+s.n*s.step:
				s.n++
				continue
			}
		}
		src := off
		if src < 0 {
			src = -1
		}
		segs = append(segs, segment{dst: int32(i), src: src, n: 1, step: 1})
	}
	return segs
}

// gather fills dst from src along segments. Short runs (an image row of a
// small convolution) are copied by a loop, which beats a call to memmove.
func gather[T any](dst, src []T, segs []segment) {
	var zero T
	for _, s := range segs {
		d := dst[s.dst : s.dst+s.n]
		switch {
		case s.src < 0:
			for i := range d {
				d[i] = zero
			}
		case s.step != 1:
			r := src[s.src : s.src+(s.n-1)*s.step+1]
			for i := range d {
				d[i] = r[i*int(s.step)]
			}
		case s.n > 32:
			copy(d, src[s.src:s.src+s.n])
		default:
			r := src[s.src : s.src+s.n]
			for i := range d {
				d[i] = r[i]
			}
		}
	}
}

func padLow(p [][2]int, d int) int {
	if d < len(p) {
		return p[d][0]
	}
	return 0
}

// isRowMajorOrder tells whether walking axes in order reads memory as one
// contiguous row-major array.
func isRowMajorOrder(dims, strides, order []int) bool {
	want := 1
	for i := len(order) - 1; i >= 0; i-- {
		ax := order[i]
		if dims[ax] != 1 && strides[ax] != want {
			return false
		}
		want *= dims[ax]
	}
	return true
}

func convT[T float](cp *convPlan, x, k, out int, pool *kernels.Pool, gemm convGemm[T]) step {
	K := cp.inCh * cp.ks
	P := cp.positions
	chunk := cp.chunk
	return func(st *state) {
		xs, ws, zs := st.vals[x].([]T), st.vals[k].([]T), st.vals[out].([]T)
		if cp.kernelCopy != nil {
			t := st.temps[cp.kernelTemp].([]T)
			l := cp.kernelCopy
			copyND(t, 0, l.dense, ws, 0, l.strides, l.dims)
			ws = t
		}
		dst := zs
		if cp.outCopy != nil {
			dst = st.temps[cp.outTemp].([]T)
		}
		var cols []T
		if cp.wide == nil {
			cols = st.temps[cp.colsTemp].([]T)
		}
		prods := st.temps[cp.prodTemp].([]T)
		// one computes batch items [b0, b1) with worker w's scratch: their
		// columns side by side, one product, then each item's block out.
		// one computes batch items [b0, b1) with worker w's scratch; with
		// spread, its gather is split across the workers (when there are
		// fewer items than workers).
		var subs []T
		if cp.groups != nil {
			// The sub-kernels: W's columns of each group's taps.
			subs = st.temps[cp.subTemp].([]T)
			for _, g := range cp.groups {
				pickTaps(subs, g.subAt, ws, cp.outCh, cp.inCh, cp.kO, cp.kC, cp.kSp, g.taps)
			}
		}
		if cp.zeroGroup {
			clear(zs)
		}
		grouped := func(w, b0, b1 int) {
			n := b1 - b0
			for _, g := range cp.groups {
				nt, pg := len(g.taps), len(g.positions)
				if nt == 0 {
					continue // zeros: the output was cleared
				}
				kg, row := cp.inCh*nt, n*pg
				cb := cols[w*K*chunk*P : w*K*chunk*P+kg*row]
				for j := 0; j < n; j++ {
					for c := 0; c < cp.inCh; c++ {
						src := xs[(b0+j)*cp.inBatchStride+c*cp.inChStride:]
						for t := range g.taps {
							gather(cb[(c*nt+t)*row+j*pg:(c*nt+t)*row+(j+1)*pg], src, g.segs[t])
						}
					}
				}
				pb := prods[w*cp.outCh*chunk*P : w*cp.outCh*chunk*P+cp.outCh*row]
				gemm(cp.outCh, row, kg, rowMajor(subs, g.subAt, kg), dense(cb, row, 1), pb, 0, false)
				for j := 0; j < n; j++ {
					for o := 0; o < cp.outCh; o++ {
						d := dst[(b0+j)*cp.oB+o*cp.oO:]
						src := pb[o*row+j*pg : o*row+(j+1)*pg]
						for i, op := range g.positions {
							d[cp.oSp[op]] = src[i]
						}
					}
				}
			}
		}
		wide := func(w, b0, b1 int) {
			// An implicit product: B's row (channel, tap) is read straight
			// from the item's padded plane, where the tap's run starts.
			wp := cp.wide
			n := b1 - b0
			row := n * wp.rowLen
			per := cp.inCh * wp.plane
			at := w * (chunk*per + widePad)
			planes := st.temps[wp.padTemp].([]T)[at : at+n*per+widePad]
			for j := 0; j < n; j++ {
				base := (b0 + j) * cp.inBatchStride
				for c := 0; c < cp.inCh; c++ {
					fillPlane(planes[j*per+c*wp.plane:j*per+(c+1)*wp.plane], xs[base+c*cp.inChStride:], wp)
				}
			}
			b := operand[T]{data: planes, cs: 1, ro: wp.rowOff}
			if n > 1 {
				b.co = wp.colOff[:row]
			}
			pb := prods[w*cp.outCh*chunk*wp.rowLen : w*cp.outCh*chunk*wp.rowLen+cp.outCh*row]
			gemm(cp.outCh, row, K, rowMajor(ws, 0, K), b, pb, 0, false)
			for j := 0; j < n; j++ {
				for o := 0; o < cp.outCh; o++ {
					d := dst[((b0+j)*cp.outCh+o)*P:]
					src := pb[o*row+j*wp.rowLen:]
					for y := 0; y < wp.oh; y++ {
						copy(d[y*wp.ow:(y+1)*wp.ow], src[y*wp.pw:y*wp.pw+wp.ow])
					}
				}
			}
		}
		one := func(w, b0, b1 int, spread bool) {
			if cp.groups != nil {
				grouped(w, b0, b1)
				return
			}
			if cp.wide != nil {
				wide(w, b0, b1)
				return
			}
			n := b1 - b0
			row := n * P
			cb := cols[w*K*chunk*P : w*K*chunk*P+K*row]
			bRow, bCol := row, 1 // cb as the K×row matrix of the product
			rowsPer := cp.ks     // gathered rows per (item, channel)
			if cp.transposed {
				bRow, bCol = 1, K
				rowsPer = P
			}
			fill := func(lo, hi int) {
				for r := lo; r < hi; r++ {
					q := r % rowsPer
					c := (r / rowsPer) % cp.inCh
					j := r / (rowsPer * cp.inCh)
					src := xs[(b0+j)*cp.inBatchStride+c*cp.inChStride:]
					if cp.transposed {
						gather(cb[(j*P+q)*K+c*cp.ks:(j*P+q)*K+(c+1)*cp.ks], src, cp.segsT[q])
					} else {
						gather(cb[(c*cp.ks+q)*row+j*P:(c*cp.ks+q)*row+(j+1)*P], src, cp.segs[q])
					}
				}
			}
			if total := n * cp.inCh * rowsPer; spread {
				pool.ParallelFor(total, 8, fill)
			} else {
				fill(0, total)
			}
			pb := prods[w*cp.outCh*chunk*P : w*cp.outCh*chunk*P+cp.outCh*row]
			if cp.transposed {
				// The columns are [row][K]: multiply them as the left operand,
				// read in place, out^T = colsᵀ·Wᵀ, so that only the (smaller)
				// kernel is packed; then put the product back in [O][P] order.
				gemm(row, cp.outCh, K, rowMajor(cb, 0, K), dense(ws, 1, K), pb, 0, false)
				for j := 0; j < n; j++ {
					for o := 0; o < cp.outCh; o++ {
						d := dst[((b0+j)*cp.outCh+o)*P : ((b0+j)*cp.outCh+o+1)*P]
						for q := range d {
							d[q] = pb[(j*P+q)*cp.outCh+o]
						}
					}
				}
				return
			}
			if n == 1 {
				gemm(cp.outCh, P, K, rowMajor(ws, 0, K), dense(cb, bRow, bCol), dst, b0*cp.outCh*P, false)
				return
			}
			gemm(cp.outCh, row, K, rowMajor(ws, 0, K), dense(cb, bRow, bCol), pb, 0, false)
			for j := 0; j < n; j++ {
				for o := 0; o < cp.outCh; o++ {
					copy(dst[((b0+j)*cp.outCh+o)*P:((b0+j)*cp.outCh+o+1)*P], pb[o*row+j*P:o*row+(j+1)*P])
				}
			}
		}
		chunks := (cp.batch + chunk - 1) / chunk
		if chunks >= 2 && cp.workers > 1 {
			// Chunks in parallel, each with scratch of its own; the products
			// inside run serially (nested calls do).
			onWorkers(pool, cp.workers, chunks, func(w, c int) {
				one(w, c*chunk, min((c+1)*chunk, cp.batch), false)
			})
		} else {
			for c := 0; c < chunks; c++ {
				one(0, c*chunk, min((c+1)*chunk, cp.batch), cp.workers > 1)
			}
		}
		if cp.outCopy != nil {
			l := cp.outCopy
			copyND(zs, 0, l.strides, dst, 0, l.dense, l.dims)
		}
	}
}

// ---- windows: reduce, select-and-scatter ----

// windowSpec holds ReduceWindow's and SelectAndScatter's parameters.
type windowSpec struct {
	reduction backends.ReduceOpType
	dims      []int
	strides   []int
	paddings  [][2]int
	dilated   bool // base or window dilations other than 1: not on the fast path
}

// windowTable lists, for each output position of the trailing axes that
// have windows, the input offsets of its window (-1 for padding): made once
// at compile time. The leading axes without windows (window 1, stride 1, no
// padding: batch and channels) are an outer loop, of outer items each
// inStep input and outStep output elements apart.
type windowTable struct {
	table           []int32
	win             int // window size
	positions       int // output positions per outer item
	outer           int
	inStep, outStep int
}

func makeWindowTable(inDims, outDims []int, w windowSpec) windowTable {
	rank := len(inDims)
	stride := func(d int) int {
		if d < len(w.strides) && w.strides[d] > 0 {
			return w.strides[d]
		}
		return 1
	}
	lead := 0
	for lead < rank && w.dims[lead] == 1 && stride(lead) == 1 && padLow(w.paddings, lead) == 0 &&
		(lead >= len(w.paddings) || w.paddings[lead][1] == 0) && inDims[lead] == outDims[lead] {
		lead++
	}
	t := windowTable{outer: 1, win: 1, positions: 1, inStep: 1, outStep: 1}
	for d := 0; d < lead; d++ {
		t.outer *= inDims[d]
	}
	for d := lead; d < rank; d++ {
		t.win *= w.dims[d]
		t.positions *= outDims[d]
		t.inStep *= inDims[d]
	}
	t.outStep = t.positions
	inStrides := rowMajorStrides(inDims)
	t.table = make([]int32, t.positions*t.win)
	oIdx, wIdx := make([]int, rank), make([]int, rank)
	for o := 0; o < t.positions; o++ {
		rem := o
		for d := rank - 1; d >= lead; d-- {
			oIdx[d] = rem % outDims[d]
			rem /= outDims[d]
		}
		for wi := 0; wi < t.win; wi++ {
			rem := wi
			for d := rank - 1; d >= lead; d-- {
				wIdx[d] = rem % w.dims[d]
				rem /= w.dims[d]
			}
			off := 0
			for d := lead; d < rank; d++ {
				pos := oIdx[d]*stride(d) - padLow(w.paddings, d) + wIdx[d]
				if pos < 0 || pos >= inDims[d] {
					off = -1
					break
				}
				off += pos * inStrides[d]
			}
			t.table[o*t.win+wi] = int32(off)
		}
	}
	return t
}

func reduceWindowStep(n *node, in, out int, pl *plan, pool *kernels.Pool) (step, error) {
	w := n.window
	if w.dilated {
		return nil, fmt.Errorf("dilated windows")
	}
	switch w.reduction {
	case backends.ReduceOpSum, backends.ReduceOpMax, backends.ReduceOpMin, backends.ReduceOpProduct:
	default:
		return nil, fmt.Errorf("window reduction %s", w.reduction)
	}
	if t, paired := pl.argOf[n]; paired {
		p, _ := plane2DFor(shapeOf(n, 0).Dimensions, n.shape.Dimensions, w)
		isMax := w.reduction == backends.ReduceOpMax
		switch n.shape.DType {
		case dtypes.Float32:
			return func(st *state) {
				reduceArg2D(pool, p, isMax, st.vals[in].([]float32), st.vals[out].([]float32), st.temps[t].([]int32))
			}, nil
		case dtypes.Float64:
			return func(st *state) {
				reduceArg2D(pool, p, isMax, st.vals[in].([]float64), st.vals[out].([]float64), st.temps[t].([]int32))
			}, nil
		}
	}
	if p, ok := plane2DFor(shapeOf(n, 0).Dimensions, n.shape.Dimensions, w); ok {
		switch n.shape.DType {
		case dtypes.Float32:
			return func(st *state) { reduce2D(pool, p, w.reduction, st.vals[in].([]float32), st.vals[out].([]float32)) }, nil
		case dtypes.Float64:
			return func(st *state) { reduce2D(pool, p, w.reduction, st.vals[in].([]float64), st.vals[out].([]float64)) }, nil
		}
	}
	t := makeWindowTable(shapeOf(n, 0).Dimensions, n.shape.Dimensions, w)
	switch n.shape.DType {
	case dtypes.Float32:
		return reduceWindowT[float32](w.reduction, t, in, out)
	case dtypes.Float64:
		return reduceWindowT[float64](w.reduction, t, in, out)
	}
	return nil, fmt.Errorf("no window reduction for %s", n.shape.DType)
}

func reduceWindowT[T float](r backends.ReduceOpType, t windowTable, in, out int) (step, error) {
	switch r {
	case backends.ReduceOpSum, backends.ReduceOpMax, backends.ReduceOpMin, backends.ReduceOpProduct:
	default:
		return nil, fmt.Errorf("window reduction %s", r)
	}
	return func(st *state) {
		xAll, zAll := st.vals[in].([]T), st.vals[out].([]T)
		for item := 0; item < t.outer; item++ {
			x, z := xAll[item*t.inStep:(item+1)*t.inStep], zAll[item*t.outStep:(item+1)*t.outStep]
			reduceWindowItem(r, t, x, z)
		}
	}, nil
}

// reduceWindowItem reduces the windows of one outer item.
func reduceWindowItem[T float](r backends.ReduceOpType, t windowTable, x, z []T) {
	win, table := t.win, t.table
	switch r {
	case backends.ReduceOpSum:
		for o := range z {
			var acc T
			for _, off := range table[o*win : (o+1)*win] {
				if off >= 0 {
					acc += x[off]
				}
			}
			z[o] = acc
		}
	case backends.ReduceOpProduct:
		for o := range z {
			acc := T(1)
			for _, off := range table[o*win : (o+1)*win] {
				if off >= 0 {
					acc *= x[off]
				}
			}
			z[o] = acc
		}
	default:
		// Max or min: padding takes no part (XLA pads max with -inf, min
		// with +inf); a NaN wins.
		isMax := r == backends.ReduceOpMax
		for o := range z {
			acc := extreme[T](isMax)
			for _, off := range table[o*win : (o+1)*win] {
				if off < 0 {
					continue
				}
				v := x[off]
				if v != v {
					acc = v
					break
				}
				if (isMax && v > acc) || (!isMax && v < acc) {
					acc = v
				}
			}
			z[o] = acc
		}
	}
}

// extreme is -inf for a max reduction of nothing, +inf for a min.
func extreme[T float](isMax bool) T {
	var zero T
	if isMax {
		return -1 / zero
	}
	return 1 / zero
}

func selectAndScatterStep(n *node, operand, source, out int, pl *plan, pool *kernels.Pool) (step, error) {
	w := n.window
	if t, paired := pl.argOf[n]; paired {
		p, _ := plane2DFor(shapeOf(n, 0).Dimensions, shapeOf(n, 1).Dimensions, w)
		switch n.shape.DType {
		case dtypes.Float32:
			return func(st *state) {
				scatterArg2D(pool, p, st.vals[source].([]float32), st.vals[out].([]float32), st.temps[t].([]int32))
			}, nil
		case dtypes.Float64:
			return func(st *state) {
				scatterArg2D(pool, p, st.vals[source].([]float64), st.vals[out].([]float64), st.temps[t].([]int32))
			}, nil
		}
	}
	isMax := w.reduction == backends.ReduceOpMax
	if p, ok := plane2DFor(shapeOf(n, 0).Dimensions, shapeOf(n, 1).Dimensions, w); ok {
		switch n.shape.DType {
		case dtypes.Float32:
			return func(st *state) {
				selectScatter2D(pool, p, isMax, st.vals[operand].([]float32), st.vals[source].([]float32), st.vals[out].([]float32))
			}, nil
		case dtypes.Float64:
			return func(st *state) {
				selectScatter2D(pool, p, isMax, st.vals[operand].([]float64), st.vals[source].([]float64), st.vals[out].([]float64))
			}, nil
		}
	}
	t := makeWindowTable(shapeOf(n, 0).Dimensions, shapeOf(n, 1).Dimensions, w)
	switch n.shape.DType {
	case dtypes.Float32:
		return selectScatterT[float32](t, isMax, operand, source, out), nil
	case dtypes.Float64:
		return selectScatterT[float64](t, isMax, operand, source, out), nil
	}
	return nil, fmt.Errorf("no select-and-scatter for %s", n.shape.DType)
}

func selectScatterT[T float](t windowTable, isMax bool, operand, source, out int) step {
	win, table := t.win, t.table
	return func(st *state) {
		xAll, sAll, zAll := st.vals[operand].([]T), st.vals[source].([]T), st.vals[out].([]T)
		clear(zAll)
		for item := 0; item < t.outer; item++ {
			x, s, z := xAll[item*t.inStep:(item+1)*t.inStep], sAll[item*t.outStep:(item+1)*t.outStep], zAll[item*t.inStep:(item+1)*t.inStep]
			selectScatterItem(x, s, z, table, win, isMax)
		}
	}
}

func selectScatterItem[T float](x, s, z []T, table []int32, win int, isMax bool) {
	{
		for o, v := range s {
			best := int32(-1)
			for _, off := range table[o*win : (o+1)*win] {
				if off < 0 {
					continue
				}
				if best < 0 || (isMax && x[off] > x[best]) || (!isMax && x[off] < x[best]) {
					best = off
				}
			}
			if best >= 0 {
				z[best] += v
			}
		}
	}
}

// reverseLayout reads the input with the given axes walked backwards.
func reverseLayout(n *node) layout {
	dims := n.shape.Dimensions
	strides := rowMajorStrides(dims)
	l := layout{dims: dims, strides: slices.Clone(strides)}
	for _, a := range n.axes {
		l.offset += (dims[a] - 1) * strides[a]
		l.strides[a] = -strides[a]
	}
	return l
}

// operand is a product's operand: element (i, j) at data[off + R(i) + C(j)],
// R and C strides (rs, cs) or offset tables (ro, co: kernels.MatF32's
// RowOffsets, ColOffsets).
type operand[T float] struct {
	data   []T
	off    int
	rs, cs int
	ro, co []int32
}

// dense is a strided operand.
func dense[T float](data []T, rs, cs int) operand[T] { return operand[T]{data: data, rs: rs, cs: cs} }

// rowMajor is a row-major operand from off with row stride rs.
func rowMajor[T float](data []T, off, rs int) operand[T] {
	return operand[T]{data: data, off: off, rs: rs, cs: 1}
}

// convGemm computes C[m×n] (row-major from cOff, row stride n) = A·B, or
// += when acc.
type convGemm[T float] func(m, n, k int, a, b operand[T], c []T, cOff int, acc bool)

// gemmOf returns the kernels' product for T on pool.
func gemmOf[T float](pool *kernels.Pool) convGemm[T] {
	var f any
	var zero T
	switch any(zero).(type) {
	case float32:
		f = convGemm[float32](func(m, n, k int, a, b operand[float32], c []float32, cOff int, acc bool) {
			kernels.GemmF32(pool, m, n, k,
				kernels.MatF32{Data: a.data, Offset: a.off, RowStride: a.rs, ColStride: a.cs, RowOffsets: a.ro, ColOffsets: a.co},
				kernels.MatF32{Data: b.data, Offset: b.off, RowStride: b.rs, ColStride: b.cs, RowOffsets: b.ro, ColOffsets: b.co},
				kernels.MatF32{Data: c, Offset: cOff, RowStride: n, ColStride: 1}, acc)
		})
	case float64:
		f = convGemm[float64](func(m, n, k int, a, b operand[float64], c []float64, cOff int, acc bool) {
			kernels.GemmF64(pool, m, n, k,
				kernels.MatF64{Data: a.data, Offset: a.off, RowStride: a.rs, ColStride: a.cs, RowOffsets: a.ro, ColOffsets: a.co},
				kernels.MatF64{Data: b.data, Offset: b.off, RowStride: b.rs, ColStride: b.cs, RowOffsets: b.ro, ColOffsets: b.co},
				kernels.MatF64{Data: c, Offset: cOff, RowStride: n, ColStride: 1}, acc)
		})
	}
	return f.(convGemm[T])
}
