// Package gocpu is juanji's CPU engine for GoMLX: a backend, registered as
// "gocpu", that runs the graphs of every model in the notebooks (training
// and evaluation) on its own executor, with a packed assembly GEMM
// (subpackage kernels), convolution and pooling as whole ops, and storage
// planned once per graph. It needs no cgo and no C library: `go build`
// anywhere gives it, with the AVX2+FMA matrix kernel where the CPU has
// one and a pure-Go kernel elsewhere.
//
// Select it with GOMLX_BACKEND=gocpu or JUANJI_DEVICE=gocpu; pkg/device
// picks it by default on a CPU without an XLA plugin.
//
// # How a graph runs
//
// The Builder records every op as a node of its own graph. Each op is
// also built on GoMLX's pure-Go backend, simplego, while simplego can (its
// "shadow"); buffers are simplego's, so tensors, transfers and GoMLX's own
// code work unchanged.
//
// Compile plans the graph once:
//
//   - Storage: each node gets a slot; nodes whose lives do not overlap
//     share one (same dtype and size); a reshape lives in its input's slot;
//     an element-wise op may write over an input that dies with it.
//     Execute reuses the slots of an earlier execution (a pool of states,
//     one per concurrent execution), so a training step allocates no
//     activations. Outputs are copied into donated inputs of the same
//     shape where GoMLX donates them (the weights being updated), else into
//     new simplego buffers.
//   - Steps: one closure per node, specialised for its dtype and shapes at
//     compile time. Element-wise ops split large arrays across the worker
//     pool (kernels.Pool, sized to GOMAXPROCS); size-1 broadcasting gets an
//     explicit broadcast node first, so kernels see equal shapes or scalars.
//     Broadcast, transpose, slice and reverse are one strided copy whose
//     axes are merged where memory allows. Reductions walk merged groups of
//     kept and reduced axes.
//   - Fusion: each tree of float element-wise ops (and per-channel, row,
//     column or scalar broadcasts feeding them) whose inner results have a
//     single reader becomes one pass: tile by tile (1,024 elements), each op
//     computes into scratch that stays in the cache, and only the last op
//     writes memory; the bias broadcast, add and sigmoid of a LeNet layer,
//     or batch norm's normalisation, never exist in full in between.
//     JUANJI_GOCPU_NOFUSION=1 turns it off.
//   - DotGeneral reads each operand as a batch of strided matrices where its
//     axes allow (transposed operands are packed directly by the GEMM), and
//     copies it into [batch, rows, cols] order otherwise.
//   - ConvGeneral, in any axes layout (GoMLX's gradients of a convolution
//     are convolutions with swapped axes, input dilation and reversed
//     kernels), is a product per group of batch items:
//     out[o][p] = Σ_k W[o][k]·cols[k][p], where cols is gathered from the
//     input through a table of offsets made at compile time and stored as
//     runs (a strided convolution's runs step through the row). Stride-1
//     2D convolutions are implicit GEMMs over "wide" rows instead: each
//     input channel is copied once into a zero-padded plane, a tap's
//     columns are then one run of it, which the GEMM reads in place through
//     a table of row offsets (kernels.MatF32's RowOffsets), and the product
//     covers the padded width (the extra columns are dropped). When the
//     kernel is larger than its output (a kernel's gradient, whose "input
//     channels" are the batch), each worker takes a range of the batch and
//     sums, per sample, the product of the output gradient (read in place)
//     with the sample's windows into partial results of its own: for a
//     stride-1 layer the windows are runs of padded planes read through
//     column offsets (ColOffsets), otherwise they are gathered. Output
//     positions are grouped by the taps that read values when the input is
//     dilated (a strided convolution's input gradient: the holes are never
//     multiplied) or when most taps read padding (ResNet-18's 1×1 stage);
//     groups pick their taps through the kernel's strides and write through
//     the output's. Groups of items share one product, and groups run on
//     the workers in parallel.
//   - ReduceWindow (pooling) and SelectAndScatter (max pooling's gradient)
//     are direct loops over planes when the windows are on the last two
//     axes (window tables made at compile time otherwise). A max pooling
//     and the SelectAndScatter of its gradient over the same operand are
//     paired: the pooling records where each maximum was, and the gradient
//     scatters without searching. In float32 the pooling compares 64-bit
//     integer keys (the value's order in the high half, its position's
//     complement in the low half), so rows' and then columns' maxima are
//     branch-free and ties go to the first, as in SelectAndScatter.
//   - ReduceSum over N, H, W (batch norm's statistics) sums each contiguous
//     run with the AVX2 kernel.
//   - Float32 element-wise arithmetic, max, min, sign, sigmoid and sums run
//     eight values per instruction on AVX2 (kernels), in fused tiles too.
//
// The engine lists ConvGeneral, Reverse, Pad, ReduceWindow and
// SelectAndScatter in its capabilities (simplego lacks them), so pkg/nn
// builds convolution and pooling as these native ops on it.
//
// # Ops off the fast path
//
// An op the fast path does not compute (random bits, a gather, an op of a
// dtype other than float32, float64, int32, int64, uint8 and bool) is a
// "foreign" node: at compile time a one-op simplego executable is built for
// it, and at run time its operands are copied into simplego buffers, it
// runs there, and its results are copied back. Only the variable
// initialisation graphs and dropout's random bits take this path in the
// notebooks' models; set JUANJI_GOCPU_TRACE=1 to see which ops do. The
// wrappers of those Builder methods are generated from GoMLX's interface
// (internal/genforeign), so every op simplego has works here too. When a
// graph cannot be planned at all, it is compiled by simplego whole.
//
// # Adding an op to the fast path
//
//  1. Record it: a Builder method calling fast with a shape rule (GoMLX's
//     shapeinference where it has one) and the node's parameters.
//  2. Give it a kernel: a case in makeStep returning a step.
//  3. Test it against simplego (ops_test.go) in float32 and float64, on edge
//     shapes, and regenerate gen_foreign.go (go generate) so that its
//     foreign wrapper goes away.
//
// # Finding where time goes
//
// JUANJI_GOCPU_PROFILE=N makes each executable print, after its N-th
// execution, its time per op and shape, largest first.
package gocpu
