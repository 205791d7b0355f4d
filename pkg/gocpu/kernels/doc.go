// Package kernels holds the compute kernels of the gocpu backend: a persistent
// worker pool and a packed, cache-blocked matrix product (GEMM) for float32
// and float64, in pure Go plus AVX2+FMA assembly on amd64. No cgo.
//
// # Operands
//
// A and B are strided: element (i,j) of a MatF32 is
// Data[Offset + i*RowStride + j*ColStride], so a transposed operand is the
// same data with its strides swapped and is never copied to be transposed.
// C is row-major (ColStride 1) with leading dimension RowStride. Every
// operand's extent is checked against its slice before any work, with a panic
// naming the operand, its shape and strides.
//
// B may also address its rows or columns through offset tables (RowOffsets,
// ColOffsets: element (i,j) is Data[Offset + R(i) + C(j)], each of R and C a
// table or a stride), so that a convolution is computed as an "implicit GEMM"
// reading its input in place instead of an im2col copy: in the forward pass
// row (channel, tap) of B starts at channel*plane + tapOffset and runs along
// the image; in the kernel gradient column (channel, tap) does. Packing reads
// the tables, so the kernels, the blocking and split-K (which slices
// RowOffsets) are unchanged; the bounds check takes the least and greatest
// table entries. The one exception is the forward case, RowOffsets with
// ColStride 1, which the AVX2 kernels read in place (see Packing).
//
// A may address its rows through RowOffsets (element (i,p) is
// Data[Offset + RowOffsets[i] + p*ColStride]): in a kernel gradient, row
// (channel, tap) of A is a run of the padded input and B is the small
// output gradient, so that only B is packed. The AVX2 float32 kernel
// sgemm6x16a reads such an A in place, six rows through their six table
// entries; A is packed through its table when an entry or Offset is
// negative, for float64 and with the generic kernel.
//
// # Blocking
//
// The product follows the BLIS/GotoBLAS loop nest (the papers, not their
// code), with the K loop moved inside the parallel items:
//
//	for jc over N in steps of NC:
//	  pack B[:, jc:jc+NC] into NR-wide panels, KC deep (all workers)
//	  parallel over items (MC rows of A × a group of B panels):
//	    for pc over K in steps of KC:      A block  MC×KC  (L2)
//	      for jr over the group's panels:  B panel  KC×NR  (L1)
//	        for ir over MR-row panels of A:
//	          microkernel: C[MR×NR] (+)= A panel · B panel
//
// B is packed for all of K at once when that is at most 2M elements (and
// one KC block at a time, with the same loops per block, when it is larger),
// so a product synchronises its workers twice per column block rather than
// twice per K block; on a loaded machine each synchronisation can wait for a
// descheduled worker.
//
// The microkernel holds an MR×NR tile of C in registers for the whole depth
// KC, so each loaded value of A and B feeds several fused multiply-adds.
// With AVX2 the float32 tile is 6×16 (twelve 8-lane accumulators, two loads
// of B and six broadcasts of A per step of k) and the float64 tile 6×8; the
// blocks are MC=144 (72 for float64), KC=256, NC=4096. K blocks are balanced
// (K=400 gives two blocks of 200) and M blocks are rounded to multiples of MR.
//
// # Packing
//
// B is packed once per column block into panels of NR columns, KC steps of
// NR contiguous values each, zero-padded past N; all workers share it. With
// offset tables, a panel whose columns are adjacent in memory is copied a
// row at a time, one whose rows are adjacent is read a column at a time, and
// any other is gathered element by element. The AVX2 kernels read A in place through its two strides (six row
// pointers advanced by ColStride), so A is not packed: row-major and
// transposed A cost the same. On its first pass over a block of A, the
// kernel prefetches the rows of the next micro-panel, since six short row
// segments are too short for the hardware prefetchers. A last partial group of fewer than MR rows is
// computed as the last MR rows of A, overlapping the previous group, with
// only the new rows stored; A is packed only when it has fewer than MR rows.
// When A has few rows (M <= 36) a row-major B is also read in place instead
// of packed, since each packed value would be used only a few times. So is,
// at any M, a B whose rows are found through RowOffsets with ColStride 1 (a
// convolution's input), by table kernels (sgemm6x16t, dgemm6x8t) that load
// row p of a panel from its table entry: with M = 64 output channels a
// packed panel would serve only 11 micro-panels of A, and packing took
// about a fifth of the product. These kernels load whole NR-wide rows, so a
// panel is read in place only when every row has NR values inside Data; a
// last partial panel that does not (B ends Data) is packed. Partial
// tiles (N not a multiple of NR) are stored with masks inside the kernel, and
// a tile with at most NR/2 columns runs a half-width loop. The generic kernel
// packs both operands (A into MR-row panels) and writes partial tiles through
// a small buffer.
//
// Packing and partial buffers come from free lists that keep them for the
// next call, so a steady stream of products does not allocate.
//
// # Threading
//
// Pool runs Workers()-1 goroutines plus the caller. ParallelFor publishes a
// task whose chunks are taken with a compare-and-swap by the caller and by
// any idle helper (idle helpers poll for 200 µs before blocking, because a
// blocked thread can take longer than that to run again on a loaded machine); the caller waits only for chunks already running, so
// concurrent and nested calls cannot deadlock (a nested call whose helpers
// are busy runs inline). A GEMM is divided into items (an M block, and when
// there are too few M blocks for four items per worker, two with the generic
// kernel, a group of B panels too), scheduled dynamically so that a worker
// slowed down by other load takes fewer; B packing is split across the
// workers when the block is large. Products below parallelMin multiply-adds run on the caller alone,
// and below directMax by a plain triple loop without packing.
//
// # Split-K
//
// When the output is too small to give every worker an item (e.g. LeNet's
// weight gradient (25×78400)·(78400×6)) but K spans at least two K blocks,
// K is split into up to Workers() ranges; each range is a serial GEMM, the
// first into C and the others into partial outputs, which are then added to
// C. Results are deterministic for a given pool size.
//
// # Kernels and how to force the generic one
//
// Kernel reports the float32 kernel in use: "avx2" when the CPU has AVX2 and
// FMA (detected at run time with golang.org/x/sys/cpu), else "generic", a
// pure-Go 4×4 kernel used on every other CPU and architecture (arm64
// included). Force the generic kernels with the environment variable
// JUANJI_GEMM=generic (read at start-up) or by building with -tags purego,
// which leaves the assembly out. The package tests run both kernels in one
// `go test` through an unexported hook.
//
// The GEMM's AVX2 assembly is generated by gen_amd64.py.
//
// # Element-wise kernels
//
// SigmoidF32 (the sigmoid of LeNet's layers) runs eight values at a time
// with AVX2+FMA (sigmoid_amd64.s: ExpF32's reduction and polynomial, then a
// division), about 15 times faster than its Go loop, which handles the
// tail and every other CPU. The same JUANJI_GEMM=generic and purego switches
// force the Go loop, and its tests run both.
package kernels
