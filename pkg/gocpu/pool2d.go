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
var keyScratch = sync.Pool{New: func() any { return new([]int32) }}

// reduceArgKeys is reduceArg2DPlanes for float32 on order keys: each plane
// is turned into keys once; the row pass keeps, per output column, the
// best key of its row window and where it is; the column pass does the
// same over the rows of the window. Ties keep the first (row-major), as
// SelectAndScatter does.
func reduceArgKeys(p plane2D, isMax bool, x, z []float32, arg []int32, lo, hi int) {
	need := p.h*p.w + 2*p.h*p.ow + 2*p.ow
	bp := keyScratch.Get().(*[]int32)
	if cap(*bp) < need {
		*bp = make([]int32, need)
	}
	buf := (*bp)[:need]
	keys := buf[:p.h*p.w]
	hk := buf[p.h*p.w : p.h*p.w+p.h*p.ow]
	hc := buf[p.h*p.w+p.h*p.ow : p.h*p.w+2*p.h*p.ow]
	bk := buf[p.h*p.w+2*p.h*p.ow : p.h*p.w+2*p.h*p.ow+p.ow]
	ba := buf[p.h*p.w+2*p.h*p.ow+p.ow:]
	for pl := lo; pl < hi; pl++ {
		xs := x[pl*p.h*p.w : (pl+1)*p.h*p.w]
		for i, v := range xs {
			keys[i] = orderKey(v, isMax)
		}
		for y := 0; y < p.h; y++ {
			rowKeys(p, keys[y*p.w:(y+1)*p.w], hk[y*p.ow:(y+1)*p.ow], hc[y*p.ow:(y+1)*p.ow])
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
			k0, c0 := hk[y0*p.ow:(y0+1)*p.ow], hc[y0*p.ow:(y0+1)*p.ow]
			base := int32(y0 * p.w)
			for i := range bk {
				bk[i], ba[i] = k0[i], base+c0[i]
			}
			for y := y0 + 1; y < y1; y++ {
				k1, c1 := hk[y*p.ow:(y+1)*p.ow], hc[y*p.ow:(y+1)*p.ow]
				k1, c1 = k1[:len(bk)], c1[:len(bk)]
				base := int32(y * p.w)
				for i := range bk {
					b, a := bk[i], ba[i]
					k, c := k1[i], base+c1[i]
					if k > b {
						b = k
						a = c
					}
					bk[i], ba[i] = b, a
				}
			}
			for i, a := range ba {
				if bk[i] == math.MinInt32 { // every row of the window is padding there
					zr[i], ar[i] = extreme[float32](isMax), -1
					continue
				}
				zr[i], ar[i] = xs[a], a
			}
		}
	}
	keyScratch.Put(bp)
}

// rowKeys finds, for each output column of one row, the best key of its
// window and its column (-1 when the window reads only padding). The 3-wide,
// stride-1, pad-1 window of TrashNet and GoogLeNet has its own loop.
func rowKeys(p plane2D, kr, ok, oc []int32) {
	w := p.w
	if p.kw == 3 && p.sw == 1 && p.pw == 1 && w >= 3 && p.ow == w {
		b, c := kr[0], int32(0)
		if k := kr[1]; k > b {
			b = k
			c = 1
		}
		ok[0], oc[0] = b, c
		for x := 1; x < w-1; x++ {
			r := kr[x-1 : x+2 : x+2]
			b, c := r[0], int32(x-1)
			k1, k2 := r[1], r[2]
			if k1 > b {
				b = k1
				c = int32(x)
			}
			if k2 > b {
				b = k2
				c = int32(x + 1)
			}
			ok[x], oc[x] = b, c
		}
		b, c = kr[w-2], int32(w-2)
		if k := kr[w-1]; k > b {
			b = k
			c = int32(w - 1)
		}
		ok[w-1], oc[w-1] = b, c
		return
	}
	for ox := range ok {
		x0 := ox*p.sw - p.pw
		x1 := min(x0+p.kw, w)
		x0 = max(x0, 0)
		if x0 >= x1 {
			ok[ox], oc[ox] = math.MinInt32, -1
			continue
		}
		b, c := kr[x0], int32(x0)
		for i := x0 + 1; i < x1; i++ {
			k := kr[i]
			ci := int32(i)
			if k > b {
				b = k
				c = ci
			}
		}
		ok[ox], oc[ox] = b, c
	}
}
