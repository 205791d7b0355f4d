package gocpu

import (
	"math"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// plane2D is a window walk over the last two axes of an array (pooling over
// H and W of N,C,H,W), the case every model here has: direct loops over
// rows instead of window tables.
type plane2D struct {
	h, w, oh, ow   int // input and output plane sizes
	kh, kw, sh, sw int // window and strides
	ph, pw         int // padding before
	planes         int // outer items (N·C)
}

// plane2DFor returns the 2D walk of a window spec, or false when the
// windows are not on the last two axes alone.
func plane2DFor(inDims, outDims []int, w windowSpec) (plane2D, bool) {
	r := len(inDims)
	if r < 2 {
		return plane2D{}, false
	}
	stride := func(d int) int {
		if d < len(w.strides) && w.strides[d] > 0 {
			return w.strides[d]
		}
		return 1
	}
	p := plane2D{planes: 1}
	for d := 0; d < r-2; d++ {
		if w.dims[d] != 1 || stride(d) != 1 || padLow(w.paddings, d) != 0 || inDims[d] != outDims[d] {
			return plane2D{}, false
		}
		p.planes *= inDims[d]
	}
	p.h, p.w, p.oh, p.ow = inDims[r-2], inDims[r-1], outDims[r-2], outDims[r-1]
	p.kh, p.kw, p.sh, p.sw = w.dims[r-2], w.dims[r-1], stride(r-2), stride(r-1)
	p.ph, p.pw = padLow(w.paddings, r-2), padLow(w.paddings, r-1)
	return p, true
}

// forPlanes runs fn over ranges of planes, split across the pool's workers
// when the planes are many enough to pay for it.
func (p *plane2D) forPlanes(pool *kernels.Pool, fn func(lo, hi int)) {
	per := p.h*p.w + p.oh*p.ow
	if pool == nil || pool.Workers() == 1 || p.planes < 2 || p.planes*per < 2*parallelMin {
		fn(0, p.planes)
		return
	}
	pool.ParallelFor(p.planes, max(1, parallelMin/per), fn)
}

// window returns the input rows [y0,y1) and columns [x0,x1) that output
// (oy, ox) reads, padding excluded.
func (p *plane2D) window(oy, ox int) (y0, y1, x0, x1 int) {
	y0, x0 = oy*p.sh-p.ph, ox*p.sw-p.pw
	y1, x1 = min(y0+p.kh, p.h), min(x0+p.kw, p.w)
	return max(y0, 0), y1, max(x0, 0), x1
}

// reduce2D is ReduceWindow on planes.
func reduce2D[T float](pool *kernels.Pool, p plane2D, r backends.ReduceOpType, x, z []T) {
	p.forPlanes(pool, func(lo, hi int) { reduce2DPlanes(p, r, x, z, lo, hi) })
}

func reduce2DPlanes[T float](p plane2D, r backends.ReduceOpType, x, z []T, lo, hi int) {
	isMax := r == backends.ReduceOpMax
	for pl := lo; pl < hi; pl++ {
		xs, zs := x[pl*p.h*p.w:(pl+1)*p.h*p.w], z[pl*p.oh*p.ow:(pl+1)*p.oh*p.ow]
		for oy := 0; oy < p.oh; oy++ {
			for ox := 0; ox < p.ow; ox++ {
				y0, y1, x0, x1 := p.window(oy, ox)
				var acc T
				switch r {
				case backends.ReduceOpSum:
					for y := y0; y < y1; y++ {
						for _, v := range xs[y*p.w+x0 : y*p.w+x1] {
							acc += v
						}
					}
				case backends.ReduceOpProduct:
					acc = 1
					for y := y0; y < y1; y++ {
						for _, v := range xs[y*p.w+x0 : y*p.w+x1] {
							acc *= v
						}
					}
				default:
					acc = extreme[T](isMax)
				rows:
					for y := y0; y < y1; y++ {
						for _, v := range xs[y*p.w+x0 : y*p.w+x1] {
							if v != v {
								acc = v
								break rows
							}
							if (isMax && v > acc) || (!isMax && v < acc) {
								acc = v
							}
						}
					}
				}
				zs[oy*p.ow+ox] = acc
			}
		}
	}
}

// selectScatter2D is SelectAndScatter on planes: each source value is added
// at the first extreme of its window.
func selectScatter2D[T float](pool *kernels.Pool, p plane2D, isMax bool, x, s, z []T) {
	p.forPlanes(pool, func(lo, hi int) { selectScatter2DPlanes(p, isMax, x, s, z, lo, hi) })
}

func selectScatter2DPlanes[T float](p plane2D, isMax bool, x, s, z []T, lo, hi int) {
	clear(z[lo*p.h*p.w : hi*p.h*p.w])
	for pl := lo; pl < hi; pl++ {
		xs, zs := x[pl*p.h*p.w:(pl+1)*p.h*p.w], z[pl*p.h*p.w:(pl+1)*p.h*p.w]
		ss := s[pl*p.oh*p.ow : (pl+1)*p.oh*p.ow]
		for oy := 0; oy < p.oh; oy++ {
			for ox := 0; ox < p.ow; ox++ {
				y0, y1, x0, x1 := p.window(oy, ox)
				best := -1
				var bv T
				for y := y0; y < y1; y++ {
					for i, v := range xs[y*p.w+x0 : y*p.w+x1] {
						if best < 0 || (isMax && v > bv) || (!isMax && v < bv) {
							best, bv = y*p.w+x0+i, v
						}
					}
				}
				if best >= 0 {
					zs[best] += ss[oy*p.ow+ox]
				}
			}
		}
	}
}

// reduceArg2D is max (or min) pooling on planes that also records, per
// output, the plane offset of the extreme it took (the first one, as
// SelectAndScatter picks): the gradient then scatters without searching.
func reduceArg2D[T float](pool *kernels.Pool, p plane2D, isMax bool, x, z []T, arg []int32) {
	p.forPlanes(pool, func(lo, hi int) { reduceArg2DPlanes(p, isMax, x, z, arg, lo, hi) })
}

func reduceArg2DPlanes[T float](p plane2D, isMax bool, x, z []T, arg []int32, lo, hi int) {
	if x32, ok := any(x).([]float32); ok {
		reduceArgKeys(p, isMax, x32, any(z).([]float32), arg, lo, hi)
		return
	}
	// Separable: the extreme of each row's window first (value and column),
	// then of the rows' results, which is the extreme of the window, first
	// in row-major order, as SelectAndScatter picks it. A NaN wins.
	hv := make([]T, p.h*p.ow)
	hc := make([]int32, p.h*p.ow)
	better := func(v, best T) bool {
		if isMax {
			return v > best
		}
		return v < best
	}
	for pl := lo; pl < hi; pl++ {
		xs, zs := x[pl*p.h*p.w:(pl+1)*p.h*p.w], z[pl*p.oh*p.ow:(pl+1)*p.oh*p.ow]
		as := arg[pl*p.oh*p.ow : (pl+1)*p.oh*p.ow]
		for y := 0; y < p.h; y++ {
			row := xs[y*p.w : (y+1)*p.w]
			rv, rc := hv[y*p.ow:(y+1)*p.ow], hc[y*p.ow:(y+1)*p.ow]
			for ox := range rv {
				x0 := ox*p.sw - p.pw
				x1 := min(x0+p.kw, p.w)
				x0 = max(x0, 0)
				if x0 >= x1 {
					rv[ox], rc[ox] = extreme[T](isMax), -1
					continue
				}
				best, at := row[x0], x0
				for c := x0 + 1; c < x1 && best == best; c++ {
					if v := row[c]; better(v, best) || v != v {
						best, at = v, c
					}
				}
				rv[ox], rc[ox] = best, int32(at)
			}
		}
		for oy := 0; oy < p.oh; oy++ {
			y0 := oy*p.sh - p.ph
			y1 := min(y0+p.kh, p.h)
			y0 = max(y0, 0)
			zrow, arow := zs[oy*p.ow:(oy+1)*p.ow], as[oy*p.ow:(oy+1)*p.ow]
			for ox := range zrow {
				best, at := extreme[T](isMax), int32(-1)
				for y := y0; y < y1; y++ {
					v, c := hv[y*p.ow+ox], hc[y*p.ow+ox]
					if c < 0 {
						continue
					}
					if at < 0 || better(v, best) || v != v {
						best, at = v, int32(y*p.w)+c
						if v != v {
							break
						}
					}
				}
				zrow[ox], arow[ox] = best, at
			}
		}
	}
}

// scatterArg2D adds each source value at the offset its pooling recorded.
func scatterArg2D[T float](pool *kernels.Pool, p plane2D, s, z []T, arg []int32) {
	p.forPlanes(pool, func(lo, hi int) { scatterArg2DPlanes(p, s, z, arg, lo, hi) })
}

func scatterArg2DPlanes[T float](p plane2D, s, z []T, arg []int32, lo, hi int) {
	clear(z[lo*p.h*p.w : hi*p.h*p.w])
	for pl := lo; pl < hi; pl++ {
		zs := z[pl*p.h*p.w : (pl+1)*p.h*p.w]
		ss, as := s[pl*p.oh*p.ow:(pl+1)*p.oh*p.ow], arg[pl*p.oh*p.ow:(pl+1)*p.oh*p.ow]
		for o, v := range ss {
			if a := as[o]; a >= 0 {
				zs[a] += v
			}
		}
	}
}

// orderKey maps a float32 to an int32 that compares as the value does for
// the extreme pooling looks for (reversed for a minimum), with -0 equal to
// +0 and every NaN above everything (a NaN wins, the first one). Integer
// comparisons then compile to conditional moves instead of branches, which
// random data mispredicts half of the time.
func orderKey(v float32, isMax bool) int32 {
	k := int32(math.Float32bits(v))
	neg := k >> 31
	mag := k & 0x7fffffff
	key := (mag ^ neg) - neg
	if !isMax {
		key = -key
	}
	if mag > 0x7f800000 {
		key = math.MaxInt32
	}
	return key
}

// keyScratch holds reduceArgKeys' per-call buffers.
var keyScratch = sync.Pool{New: func() any { return new([]int64) }}

// noKey marks a window that reads only padding.
const noKey = math.MinInt64

// reduceArgKeys is reduceArg2DPlanes for float32 on 64-bit keys: the order
// key of a value in the high half and the complement of its plane offset in
// the low half, so that the largest key is the extreme value and, among
// equal values, the first one in row-major order, whichever order the keys
// are compared in. Pooling is then plain integer maxima (conditional
// moves, no branches): over each row's window, then over the window's
// rows; the offset comes back out of the winning key.
func reduceArgKeys(p plane2D, isMax bool, x, z []float32, arg []int32, lo, hi int) {
	need := p.h*p.w + p.h*p.ow
	bp := keyScratch.Get().(*[]int64)
	if cap(*bp) < need {
		*bp = make([]int64, need)
	}
	keys := (*bp)[:p.h*p.w]
	hk := (*bp)[p.h*p.w : need]
	for pl := lo; pl < hi; pl++ {
		xs := x[pl*p.h*p.w : (pl+1)*p.h*p.w]
		for i, v := range xs {
			keys[i] = int64(orderKey(v, isMax))<<32 | int64(^uint32(i))
		}
		for y := 0; y < p.h; y++ {
			rowMax(p, keys[y*p.w:(y+1)*p.w], hk[y*p.ow:(y+1)*p.ow])
		}
		zs, as := z[pl*p.oh*p.ow:(pl+1)*p.oh*p.ow], arg[pl*p.oh*p.ow:(pl+1)*p.oh*p.ow]
		for oy := 0; oy < p.oh; oy++ {
			y0 := oy*p.sh - p.ph
			y1 := min(y0+p.kh, p.h)
			y0 = max(y0, 0)
			zr, ar := zs[oy*p.ow:(oy+1)*p.ow], as[oy*p.ow:(oy+1)*p.ow]
			if y0 >= y1 { // the window reads only padding
				for i := range zr {
					zr[i], ar[i] = extreme[float32](isMax), -1
				}
				continue
			}
			// The window's rows: first, second and last in one pass, any
			// others (windows over three high) folded in on the way.
			best := hk[y0*p.ow : (y0+1)*p.ow]
			y := y0 + 1
			switch y1 - y0 {
			case 1:
				for i := range zr {
					zr[i], ar[i] = pooled(best[i], xs, isMax)
				}
				continue
			case 2:
				b := hk[y*p.ow : (y+1)*p.ow]
				b = b[:len(zr)]
				for i := range zr {
					zr[i], ar[i] = pooled(max(best[i], b[i]), xs, isMax)
				}
				continue
			}
			b := hk[y*p.ow : (y+1)*p.ow]
			c := hk[(y1-1)*p.ow : y1*p.ow]
			best, b, c = best[:len(zr)], b[:len(zr)], c[:len(zr)]
			for i := range zr {
				m := max(best[i], b[i], c[i])
				for r := y + 1; r < y1-1; r++ { // windows over three rows high
					m = max(m, hk[r*p.ow+i])
				}
				zr[i], ar[i] = pooled(m, xs, isMax)
			}
		}
	}
	keyScratch.Put(bp)
}

// pooled decodes a winning key: the value at its offset and the offset,
// or the reduction's identity and -1 when the window read only padding.
func pooled(k int64, xs []float32, isMax bool) (float32, int32) {
	if k == noKey {
		return extreme[float32](isMax), -1
	}
	at := int32(^uint32(k))
	return xs[at], at
}

// rowMax takes, for each output column of one row, the largest key of its
// window (noKey when the window reads only padding). The 3-wide, stride-1,
// pad-1 window of TrashNet and GoogLeNet has its own loop.
func rowMax(p plane2D, kr, out []int64) {
	w := p.w
	if p.kw == 3 && p.sw == 1 && p.pw == 1 && w >= 2 && p.ow == w {
		out[0] = max(kr[0], kr[1])
		for x := 1; x < w-1; x++ {
			r := kr[x-1 : x+2 : x+2]
			out[x] = max(r[0], r[1], r[2])
		}
		out[w-1] = max(kr[w-2], kr[w-1])
		return
	}
	for ox := range out {
		x0 := ox*p.sw - p.pw
		x1 := min(x0+p.kw, w)
		m := int64(noKey)
		for _, k := range kr[max(x0, 0):max(x1, 0)] {
			m = max(m, k)
		}
		out[ox] = m
	}
}
