package kernels

import "sync"

// gemmCall holds the state of one GEMM (or of one K-split of it). It is
// recycled, and its function values are created once, so that a call does not
// allocate.
type gemmCall[T float] struct {
	kd      *kernelDesc[T]
	p       *Pool
	workers int
	m, n, k int
	a, b, c mat[T]
	acc     bool

	// Blocking of this call.
	mc, kc      int // rows per A block (multiple of mr), depth per K block
	mBlocks     int
	nGroups     int // column groups of a B block, each ppg panels
	ppg         int
	jc, ncur    int // current column block
	pcLo, pcHi  int // current span of K (one or all K blocks)
	panels      int
	bp          []T // packed B block
	splits      int
	parts       []T // split-K partial outputs, (splits-1) × m × n
	bpBuf, pBuf *[]T
	aDirect     bool // the direct kernel reads A in place through its strides
	aTable      bool // the A-table kernel reads A in place through its row table
	bDirect     bool // the kernel reads B in place (no B packing)
	tableJ      int  // panels starting before column tableJ are read through the row table (no packing)
	rt          rowTable
	tablePanels int // panels of the current column block read through the row table

	packBFn, computeFn, splitFn func(start, end int)
}

type callList[T float] struct {
	mu   sync.Mutex
	free []*gemmCall[T]
}

var (
	callsF32 callList[float32]
	callsF64 callList[float64]
)

func calls[T float]() *callList[T] {
	var z T
	switch any(z).(type) {
	case float32:
		return any(&callsF32).(*callList[T])
	default:
		return any(&callsF64).(*callList[T])
	}
}

func getCall[T float]() *gemmCall[T] {
	l := calls[T]()
	l.mu.Lock()
	if k := len(l.free); k > 0 {
		g := l.free[k-1]
		l.free = l.free[:k-1]
		l.mu.Unlock()
		return g
	}
	l.mu.Unlock()
	g := &gemmCall[T]{}
	g.packBFn = g.packB
	g.computeFn = g.compute
	g.splitFn = g.split
	return g
}

func putCall[T float](g *gemmCall[T]) {
	g.a, g.b, g.c, g.bp, g.parts, g.p = mat[T]{}, mat[T]{}, mat[T]{}, nil, nil, nil
	g.rt = rowTable{}
	l := calls[T]()
	l.mu.Lock()
	l.free = append(l.free, g)
	l.mu.Unlock()
}

const (
	// Split K across workers when the output gives fewer than one block per
	// worker and K has at least splitKMinBlocks K blocks.
	splitKMinBlocks = 2
	// directBMaxM is the largest m for which a direct kernel reads a
	// row-major B in place instead of packing it.
	directBMaxM = 36
	// Pack B with several workers when a B block has at least this many
	// elements.
	parallelPackMin = 32 * 1024
)

// wholeKMaxPack is the most elements of B packed at once for all of K (a
// variable so that tests can exercise packing per K block).
var wholeKMaxPack = 1 << 21

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// run computes the product with up to workers goroutines of p.
func run[T float](p *Pool, workers int, kd *kernelDesc[T], m, n, k int, a, b, c *mat[T], acc bool) {
	g := getCall[T]()
	g.kd, g.p, g.workers = kd, p, workers
	g.m, g.n, g.k = m, n, k
	g.a, g.b, g.c, g.acc = *a, *b, *c, acc
	g.plan()
	if workers > 1 && g.mBlocks*g.nGroups < workers && k >= splitKMinBlocks*kd.kc {
		g.splitK(min(workers, ceilDiv(k, kd.kc)))
	} else {
		g.blocked()
	}
	putCall(g)
}

// plan chooses the block sizes for m, n, k and the workers.
func (g *gemmCall[T]) plan() {
	kd := g.kd
	a := &g.a
	// A is read in place through its strides, or through its row table (an
	// implicit-GEMM kernel gradient) when no entry is negative, by a kernel
	// that has a variant for it; else it is packed, block by block.
	g.aDirect = kd.direct != nil && a.ro == nil && a.rs >= 0 && a.cs >= 0
	g.aTable = false
	if kd.aTable != nil && kd.direct != nil && a.ro != nil && a.off >= 0 && a.cs >= 0 {
		lo, _ := axisSpan(g.m, 0, a.ro)
		g.aTable = lo >= 0
	}
	kb := ceilDiv(g.k, kd.kc)
	g.kc = ceilDiv(g.k, kb)
	mb := ceilDiv(g.m, kd.mc)
	g.mc = ceilDiv(ceilDiv(g.m, mb), kd.mr) * kd.mr
	g.mBlocks = ceilDiv(g.m, g.mc)
	panels := ceilDiv(min(g.n, kd.nc), kd.nr)
	g.nGroups = 1
	// Aim at several items per worker, so that dynamic scheduling evens out
	// workers slowed down by other load. With too few row blocks, split the
	// columns too: free for kernels that read A in place, a copy of the A
	// block per group for those that pack it.
	perWorker := 2
	if g.aDirect || g.aTable {
		perWorker = 4
	}
	if g.workers > 1 && g.mBlocks < perWorker*g.workers {
		g.nGroups = min(panels, ceilDiv(perWorker*g.workers, g.mBlocks))
	}
	g.ppg = ceilDiv(panels, g.nGroups)
	g.nGroups = ceilDiv(panels, g.ppg)
	// With few rows of A, each packed B element would be used only a few
	// times: let a direct kernel read a row-major B in place.
	g.bDirect = kd.direct != nil && g.b.cs == 1 && g.b.rs >= 0 && !g.b.tables() && (g.aDirect || g.aTable) && g.m <= directBMaxM
	// A B whose rows are contiguous runs found through RowOffsets (an
	// implicit-GEMM convolution's input) is read in place by a table kernel
	// in every panel whose rows all have nr readable values: the panel at
	// column j reads data[off+R(p)+j:][:nr], so all but maybe a last partial
	// panel when Data ends with B. Other panels are packed.
	g.tableJ, g.rt = 0, rowTable{}
	b := &g.b
	if kd.table != nil && g.aDirect && b.ro != nil && b.co == nil && b.cs == 1 && b.off >= 0 {
		g.rt = newRowTable(b.ro[:g.k])
		if g.rt.lo >= 0 {
			g.tableJ = max(0, len(b.data)-b.off-g.rt.hi-kd.nr+1)
		}
	}
}

// testHookPanels, when a test sets it, is told for each column block of B
// how many of its panels are read through the row table and how many are
// packed (it may be called concurrently).
var testHookPanels func(table, packed int)

func (g *gemmCall[T]) parallel(n, nchunks int, fn func(start, end int)) {
	if g.workers <= 1 || nchunks <= 1 {
		fn(0, n)
		return
	}
	g.p.forChunks(n, nchunks, fn)
}

// blocked runs the cache-blocked algorithm. For each column block (nc), B
// is packed by all workers into panels, then every (A row block, column
// group) item is computed by one worker, which walks the K blocks itself
// (packing its A block per K block when the kernel does not read A in place).
// B is packed for all of K at once when that fits wholeKMaxPack elements (or
// not packed at all when read in place), so that a product has two
// synchronisation points per column block, not two per K block: on a loaded
// machine each one can wait for a descheduled worker.
func (g *gemmCall[T]) blocked() {
	kd := g.kd
	nr := kd.nr
	kspan := g.kc
	panelsMax := ceilDiv(min(g.n, kd.nc), nr)
	pack := !g.bDirect && g.tableJ <= (g.n-1)/nr*nr // some panel is packed
	if !pack || g.k*panelsMax*nr <= wholeKMaxPack {
		kspan = g.k
	}
	if pack {
		g.bpBuf = bufs[T]().get(min(kspan, g.k) * panelsMax * nr)
		g.bp = *g.bpBuf
	}
	for jc := 0; jc < g.n; jc += kd.nc {
		g.jc, g.ncur = jc, min(kd.nc, g.n-jc)
		g.panels = ceilDiv(g.ncur, nr)
		g.tablePanels = min(g.panels, ceilDiv(max(0, g.tableJ-jc), nr))
		packed := 0
		if pack {
			packed = g.panels - g.tablePanels
		}
		if testHookPanels != nil {
			testHookPanels(g.tablePanels, packed)
		}
		groups := ceilDiv(g.panels, g.ppg)
		for pc := 0; pc < g.k; pc += kspan {
			g.pcLo, g.pcHi = pc, min(g.k, pc+kspan)
			if packed > 0 {
				units := ceilDiv(g.pcHi-g.pcLo, g.kc) * packed
				packChunks := 1
				if (g.pcHi-g.pcLo)*packed*nr >= parallelPackMin {
					packChunks = g.workers
				}
				g.parallel(units, packChunks, g.packBFn)
			}
			items := g.mBlocks * groups
			g.parallel(items, items, g.computeFn)
		}
	}
	if g.bpBuf != nil {
		bufs[T]().put(g.bpBuf)
	}
	g.bpBuf, g.bp = nil, nil
}

// bPanel returns packed panel q of the K block starting at pc.
func (g *gemmCall[T]) bPanel(pc, kcur, q int) []T {
	nr := g.kd.nr
	base := (pc-g.pcLo)*g.panels*nr + q*kcur*nr
	return g.bp[base : base+kcur*nr]
}

// packB packs units [start,end) of the current B span: unit = (K block,
// panel), over the panels not read through the row table.
func (g *gemmCall[T]) packB(start, end int) {
	nr := g.kd.nr
	packed := g.panels - g.tablePanels
	for u := start; u < end; u++ {
		t, q := u/packed, g.tablePanels+u%packed
		pc := g.pcLo + t*g.kc
		kcur := min(g.kc, g.pcHi-pc)
		j := q * nr
		packB(g.bPanel(pc, kcur, q), &g.b, pc, kcur, g.jc+j, min(nr, g.ncur-j), nr)
	}
}

// compute runs items [start,end): item = (A row block, column group), over
// every K block of the current span.
func (g *gemmCall[T]) compute(start, end int) {
	kd := g.kd
	if g.aDirect || g.aTable {
		g.computeDirect(start, end)
		return
	}
	mr, nr := kd.mr, kd.nr
	groups := ceilDiv(g.panels, g.ppg)
	buf := bufs[T]().get(g.mc*g.kc + mr*nr)
	ap := (*buf)[:g.mc*g.kc]
	tmp := (*buf)[g.mc*g.kc:]
	c := &g.c
	for it := start; it < end; it++ {
		ib, grp := it/groups, it%groups
		i0 := ib * g.mc
		mcur := min(g.mc, g.m-i0)
		q0 := grp * g.ppg
		q1 := min(g.panels, q0+g.ppg)
		for pc := g.pcLo; pc < g.pcHi; pc += g.kc {
			kcur := min(g.kc, g.pcHi-pc)
			acc := g.acc || pc > 0
			packA(ap, &g.a, i0, mcur, pc, kcur, mr)
			for q := q0; q < q1; q++ {
				bpan := g.bPanel(pc, kcur, q)
				j := g.jc + q*nr
				cols := min(nr, g.n-j)
				for r := 0; r*mr < mcur; r++ {
					apan := ap[r*kcur*mr : (r+1)*kcur*mr]
					i := i0 + r*mr
					rows := min(mr, g.m-i)
					ci := c.off + i*c.rs + j
					if rows == mr && cols == nr {
						kd.kern(kcur, apan, bpan, c.data[ci:], c.rs, acc)
						continue
					}
					kd.kern(kcur, apan, bpan, tmp, nr, false)
					for ii := range rows {
						crow := c.data[ci+ii*c.rs : ci+ii*c.rs+cols]
						trow := tmp[ii*nr : ii*nr+cols]
						if acc {
							for jj, v := range trow {
								crow[jj] += v
							}
						} else {
							copy(crow, trow)
						}
					}
				}
			}
		}
	}
	bufs[T]().put(buf)
}

// splitK splits K into splits ranges computed in parallel, each serially;
// the first writes to C, the others to partial outputs added into C after.
func (g *gemmCall[T]) splitK(splits int) {
	g.splits = splits
	mn := g.m * g.n
	g.pBuf = bufs[T]().get((splits - 1) * mn)
	g.parts = *g.pBuf
	g.p.forChunks(splits, splits, g.splitFn)
	c := &g.c
	for i := range g.m {
		crow := c.data[c.off+i*c.rs : c.off+i*c.rs+g.n]
		for s := 1; s < splits; s++ {
			prow := g.parts[(s-1)*mn+i*g.n : (s-1)*mn+(i+1)*g.n]
			for j, v := range prow {
				crow[j] += v
			}
		}
	}
	bufs[T]().put(g.pBuf)
	g.pBuf, g.parts = nil, nil
}

// split computes K ranges [start,end) of the split-K plan.
func (g *gemmCall[T]) split(start, end int) {
	for s := start; s < end; s++ {
		k0, k1 := chunkBounds(g.k, g.splits, s)
		a, b, c, acc := g.a, g.b, g.c, g.acc
		a.off += k0 * a.cs
		if b.ro != nil {
			b.ro = b.ro[k0:]
		} else {
			b.off += k0 * b.rs
		}
		if s > 0 {
			c = mat[T]{data: g.parts[(s-1)*g.m*g.n : s*g.m*g.n], rs: g.n, cs: 1}
			acc = false
		}
		sub := getCall[T]()
		sub.kd, sub.p, sub.workers = g.kd, g.p, 1
		sub.m, sub.n, sub.k = g.m, g.n, k1-k0
		sub.a, sub.b, sub.c, sub.acc = a, b, c, acc
		sub.plan()
		sub.blocked()
		putCall(sub)
	}
}

// computeDirect is compute for kernels that read A in place. A partial last
// micro-panel of A (fewer than mr rows) is read as the last mr rows of A,
// overlapping the previous micro-panel, of which only the new rows are
// stored; only when A has fewer than mr rows is it packed, zero-padded.
// When g.bDirect, B is read in place too, and so are the panels read
// through the row table (j < g.tableJ), by the table kernel. When
// g.aTable, A is read through its row table by the A-table kernel, a
// micro-panel's table being the mr entries from its first row.
func (g *gemmCall[T]) computeDirect(start, end int) {
	kd := g.kd
	mr, nr := kd.mr, kd.nr
	groups := ceilDiv(g.panels, g.ppg)
	a, b, c := &g.a, &g.b, &g.c
	var buf *[]T
	if g.m < mr {
		buf = bufs[T]().get(mr * g.kc)
	}
	for it := start; it < end; it++ {
		ib, grp := it/groups, it%groups
		i0 := ib * g.mc
		mcur := min(g.mc, g.m-i0)
		q0 := grp * g.ppg
		q1 := min(g.panels, q0+g.ppg)
		for pc := g.pcLo; pc < g.pcHi; pc += g.kc {
			kcur := min(g.kc, g.pcHi-pc)
			acc := g.acc || pc > 0
			if buf != nil {
				packA(*buf, a, 0, g.m, pc, kcur, mr)
			}
			var rt rowTable
			if g.tablePanels > q0 {
				rt = g.rt.slice(pc, pc+kcur)
			}
			for q := q0; q < q1; q++ {
				j := g.jc + q*nr
				cols := min(nr, g.n-j)
				table := q < g.tablePanels
				var bpan []T
				brs := nr
				switch {
				case table:
					bpan = b.data[b.off+j:]
				case g.bDirect:
					bpan = b.data[b.off+pc*b.rs+j:]
					brs = b.rs
				default:
					bpan = g.bPanel(pc, kcur, q)
				}
				first := q == q0 // first pass over this block of A
				for r := 0; r < mcur; r += mr {
					// Tile rows rlo..rhi-1 of the mr rows of A from i1.
					i := i0 + r
					rows := min(mr, mcur-r)
					var ap []T
					ars, acs := a.rs, a.cs
					i1, rlo, rhi, pf := i, 0, mr, false
					aTable := g.aTable && buf == nil
					switch {
					case buf != nil:
						ap, ars, acs, rhi = *buf, 1, mr, rows
					case rows < mr:
						i1 = g.m - mr // rows i1..m-1: the last mr rows of A
						rlo = i - i1
					default:
						pf = first
					}
					if aTable {
						ap = a.data[a.off+pc*a.cs:] // rows from their table entries
					} else if buf == nil {
						ap = a.data[a.off+i1*a.rs+pc*a.cs:]
					}
					cp := c.data[c.off+i1*c.rs+j:]
					if aTable {
						kd.aTable(kcur, ap, a.ro[i1:i1+mr], acs, bpan, brs, g.bDirect, cp, c.rs, rlo, rhi, cols, acc)
					} else if table {
						kd.table(kcur, ap, ars, acs, bpan, rt, cp, c.rs, rlo, rhi, cols, acc, pf)
					} else {
						kd.direct(kcur, ap, ars, acs, bpan, brs, g.bDirect, cp, c.rs, rlo, rhi, cols, acc, pf)
					}
				}
			}
		}
	}
	if buf != nil {
		bufs[T]().put(buf)
	}
}
