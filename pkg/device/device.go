package device

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // registers the pure-Go backend "go"
	"github.com/juanji/juanji/pkg/gocpu"         // registers juanji's CPU engine "gocpu"
)

// Environment variables read by this package. See the package documentation
// for the order in which they are used.
const (
	// EnvDevice forces a choice: "gocpu", "go", "cpu", "cuda", or "auto" (the default).
	EnvDevice = "JUANJI_DEVICE"
	// EnvBackend is GoMLX's own variable, "<backend>[:<config>]" (backends.ConfigEnvVar).
	EnvBackend = backends.ConfigEnvVar
)

// Choices that JUANJI_DEVICE accepts, and the kinds a [Device] can be.
const (
	// KindEngine is juanji's own CPU engine for GoMLX (package gocpu).
	KindEngine = "gocpu"
	// KindGo is GoMLX's pure-Go backend (simplego).
	KindGo = "go"
	// KindCPU is the XLA backend with its CPU PJRT plugin.
	KindCPU = "cpu"
	// KindCUDA is the XLA backend with a CUDA PJRT plugin on an NVIDIA GPU.
	KindCUDA = "cuda"
)

// GoConfig is the configuration the pure-Go backend is always created with:
// unlimited parallelism, which avoids a deadlock of SimpleGo v0.26.0's worker
// pool on graphs with parallel branches (see the package documentation).
const GoConfig = "go:parallelism=-1"

// Device describes the choice made: which GoMLX backend, computing on what.
type Device struct {
	// Name is the device as PyTorch prints it: "cuda:0" for the first GPU,
	// "cpu" for the CPU (whichever engine computes on it).
	Name string
	// Kind is KindCUDA, KindCPU (XLA on the CPU), KindEngine (juanji's
	// engine on the CPU) or KindGo (GoMLX's pure Go on the CPU); it is empty
	// for a GOMLX_BACKEND naming another plugin.
	Kind string
	// Index is the GPU's number (0 on the CPU).
	Index int
	// BackendName is the GoMLX backend's registered name: "xla" or "go".
	BackendName string
	// Engine says what computes, e.g. "XLA PJRT CUDA plugin",
	// "XLA PJRT CPU plugin", `pure Go backend "go", 2 cores`.
	Engine string
	// Plugin is the path of the PJRT plugin loaded, or its name, for XLA.
	Plugin string
	// Config is the backend configuration used, in GOMLX_BACKEND's format.
	Config string
	// Source says what made the choice: "auto", "JUANJI_DEVICE=cuda",
	// "GOMLX_BACKEND=xla:cuda".
	Source string
	// Env lists the environment variables set by this package before the
	// backend was created, as "NAME=value" (XLA_FLAGS, GOPJRT_CUDA_CHECKS).
	Env []string
	// Notes explain, one line each, the choices that were tried and failed
	// before this one.
	Notes []string
	// Backend is the GoMLX backend itself.
	Backend backends.Backend
}

// String returns the device's name, "cuda:0" or "cpu", as the document's
// try_gpu() prints it.
func (d Device) String() string {
	if d.Name == "" {
		return "none"
	}
	return d.Name
}

// IsGPU tells whether computations run on a GPU.
func (d Device) IsGPU() bool { return strings.HasPrefix(d.Name, KindCUDA+":") }

// Summary is the line TryGPU prints: the name alone for a GPU ("cuda:0", as
// in the document), and for the CPU the name with the engine that computes,
// e.g. `cpu (pure Go backend "go", 2 cores)` or `cpu (XLA PJRT CPU plugin)`.
func (d Device) Summary() string {
	if d.IsGPU() || d.Engine == "" {
		return d.String()
	}
	return fmt.Sprintf("%s (%s)", d.String(), d.Engine)
}

// TryGPU returns a GoMLX backend on GPU number i (0 when not given; only the
// first argument is used), as the document's try_gpu(i=0): the GPU when there
// is one, else the CPU. It prints one line, the [Device.Summary]: "cuda:0",
// or "cpu (...)" naming the engine, preceded by one line for each choice that
// was tried and failed (see the package documentation for the order).
//
// It never fails: a choice forced by JUANJI_DEVICE or GOMLX_BACKEND that
// cannot be met is reported in one line, and the automatic choice is made
// instead (use [Select] to get that as an error). Later calls in the same
// program with the same choice return the same backend, so that a GPU's
// memory is claimed once.
//
// In GoNB, a package-level `var backend = device.TryGPU()` runs again (and
// prints again) in every later cell; declare it inside the cell that uses it,
// or use [Select], which prints nothing.
func TryGPU(i ...int) backends.Backend {
	d, err := system.choose(firstOr(i, 0), false)
	if err != nil {
		// Even the pure-Go backend failed: nothing can compute.
		panic(fmt.Sprintf("device.TryGPU: %v", err))
	}
	for _, note := range d.Notes {
		fmt.Println(note)
	}
	fmt.Println(d.Summary())
	return d.Backend
}

// Select makes the same choice as TryGPU for GPU number i, without printing.
// A choice forced by JUANJI_DEVICE or GOMLX_BACKEND that cannot be met is an
// error; the automatic choice always succeeds, with the failures it stepped
// over in [Device.Notes].
func Select(i int) (Device, error) {
	return system.choose(i, true)
}

// Describe returns the [Device] of a backend: the one recorded when TryGPU or
// Select created it, else a description made from the backend itself. Use it
// to print where a computation runs:
//
//	fmt.Printf("start train epoch: %d, calculate on %s\n", epoch, device.Describe(backend))
func Describe(b backends.Backend) Device {
	if b == nil {
		return Device{Name: "none"}
	}
	if d, ok := system.reg.lookup(b); ok {
		return d
	}
	switch b.String() {
	case gocpu.BackendName:
		return Device{Name: "cpu", Kind: KindEngine, BackendName: gocpu.BackendName, Engine: engineDescription(b), Backend: b}
	case "go":
		return Device{Name: "cpu", Kind: KindGo, BackendName: "go", Engine: goEngine(runtime.NumCPU()), Backend: b}
	case "xla":
		desc := b.Description()
		if strings.Contains(strings.ToLower(desc), "cuda") {
			return Device{Name: "cuda:0", Kind: KindCUDA, BackendName: "xla", Engine: "XLA PJRT CUDA plugin", Backend: b}
		}
		return Device{Name: "cpu", BackendName: "xla", Engine: "XLA PJRT plugin: " + desc, Backend: b}
	}
	return Device{Name: "cpu", BackendName: b.String(), Engine: b.Description(), Backend: b}
}

// engineDescription describes juanji's engine: its GEMM kernel and workers.
func engineDescription(b backends.Backend) string {
	n := runtime.GOMAXPROCS(0)
	if e, ok := b.(*gocpu.Backend); ok {
		n = e.Workers()
	}
	unit := "cores"
	if n == 1 {
		unit = "core"
	}
	return fmt.Sprintf("juanji CPU engine %q, %s GEMM, %d %s", gocpu.BackendName, gocpu.Kernel(), n, unit)
}

// goEngine describes the pure-Go backend on n cores.
func goEngine(n int) string {
	unit := "cores"
	if n == 1 {
		unit = "core"
	}
	return fmt.Sprintf("pure Go backend %q, %d %s", "go", n, unit)
}

// firstOr returns xs[0], or def when xs is empty.
func firstOr(xs []int, def int) int {
	if len(xs) == 0 {
		return def
	}
	return xs[0]
}

// system is the probe of the real machine, used by the exported functions.
var system = newSystemProbe()

// registry remembers the backends created here, for Describe and Report.
type registry struct {
	mu     sync.Mutex
	byConf map[string]backends.Backend // config -> backend, reused by later calls
	known  map[backends.Backend]Device
	last   *Device
}

// record remembers d as the latest choice.
func (r *registry) record(d Device) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.known == nil {
		r.known = make(map[backends.Backend]Device)
	}
	r.known[d.Backend] = d
	r.last = &d
}

// lookup returns the Device recorded for b.
func (r *registry) lookup(b backends.Backend) (Device, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.known[b]
	return d, ok
}

// latest returns the latest choice, if any.
func (r *registry) latest() (Device, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		return Device{}, false
	}
	return *r.last, true
}

// cached returns a live backend created earlier with config.
func (r *registry) cached(config string) (backends.Backend, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.byConf[config]
	if !ok || b.IsFinalized() {
		return nil, false
	}
	return b, true
}

// keep stores b as the backend for config.
func (r *registry) keep(config string, b backends.Backend) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byConf == nil {
		r.byConf = make(map[string]backends.Backend)
	}
	r.byConf[config] = b
}

// forget drops the backend kept for config.
func (r *registry) forget(config string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byConf, config)
}

// envValue returns the trimmed value of an environment variable, "" if unset.
func envValue(lookup func(string) (string, bool), key string) string {
	v, _ := lookup(key)
	return strings.TrimSpace(v)
}
