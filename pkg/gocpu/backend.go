package gocpu

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/juanji/juanji/pkg/gocpu/kernels"
)

// BackendName is the name this engine is registered under with GoMLX:
// GOMLX_BACKEND=gocpu selects it.
const BackendName = "gocpu"

func init() {
	backends.Register(BackendName, New)
}

// Backend is the engine: a GoMLX backend whose buffers are GoMLX's pure-Go
// (simplego) buffers, whose graphs run on this package's executor when every
// op is on its fast path, and on simplego otherwise.
type Backend struct {
	// Backend is the simplego backend that owns the buffers and runs the
	// graphs the fast path cannot.
	*simplego.Backend
	pool *kernels.Pool
}

var _ backends.Backend = (*Backend)(nil)

// New creates the engine. The configuration is empty; it exists because
// GoMLX's backends.Register needs a constructor that takes one.
func New(config string) (backends.Backend, error) {
	if config != "" {
		return nil, fmt.Errorf("gocpu: unknown configuration %q (the engine takes none)", config)
	}
	// ops_sequential: simplego's default worker pool can deadlock on graphs
	// with parallel branches (GoMLX v0.26.0); graphs it runs for us are the
	// rare ones our fast path lacks, where sequential op order is safe.
	inner, err := simplego.New("ops_sequential")
	if err != nil {
		return nil, fmt.Errorf("gocpu: creating the simplego backend for buffers and fallback: %w", err)
	}
	return &Backend{Backend: inner.(*simplego.Backend), pool: kernels.NewPool(0)}, nil
}

// Name implements backends.Backend.
func (b *Backend) Name() string { return "juanji CPU engine (gocpu)" }

// String implements backends.Backend: the registered name.
func (b *Backend) String() string { return BackendName }

// Description implements backends.Backend.
func (b *Backend) Description() string {
	return fmt.Sprintf("juanji CPU engine, GEMM kernel %s, %d workers", kernels.Kernel(), b.pool.Workers())
}

// Kernel names the matrix-product kernel in use: "avx2" or "generic".
func Kernel() string { return kernels.Kernel() }

// Workers is the number of goroutines the engine computes with.
func (b *Backend) Workers() int { return b.pool.Workers() }

// nativeOps are the ops the fast path runs that simplego lacks: convolution
// and pooling with their gradients.
var nativeOps = []backends.OpType{
	backends.OpTypeConvGeneral, backends.OpTypeReverse, backends.OpTypePad,
	backends.OpTypeReduceWindow, backends.OpTypeSelectAndScatterMax, backends.OpTypeSelectAndScatterMin,
}

// Capabilities implements backends.Backend: those of simplego (every graph
// simplego can run runs here) and the fast path's convolution and pooling
// ops with what their gradients need.
func (b *Backend) Capabilities() backends.Capabilities {
	c := b.Backend.Capabilities().Clone()
	for _, op := range nativeOps {
		c.Operations[op] = true
	}
	return c
}

// Builder implements backends.Backend.
func (b *Backend) Builder(name string) backends.Builder {
	return newBuilder(b, b.Backend.Builder(name))
}
