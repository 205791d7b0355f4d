package device

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/juanji/juanji/pkg/gocpu"
)

// fakeBackend stands for a GoMLX backend; only the methods the choice uses
// are implemented (the others would panic on the nil embedded interface).
type fakeBackend struct {
	backends.Backend
	name, desc string
	devices    int
	finalized  bool
}

func (f *fakeBackend) Name() string        { return f.name }
func (f *fakeBackend) String() string      { return f.name }
func (f *fakeBackend) Description() string { return f.desc }
func (f *fakeBackend) NumDevices() int     { return f.devices }
func (f *fakeBackend) IsFinalized() bool   { return f.finalized }
func (f *fakeBackend) Finalize()           { f.finalized = true }

// fakeMachine is a made-up machine: a folder tree under t.TempDir() and an
// environment, seen through a probe.
type fakeMachine struct {
	t       *testing.T
	root    string
	env     map[string]string
	gpu     bool
	gpus    int               // GPUs a CUDA plugin sees (default 1)
	failing map[string]string // config substring -> error message
	panics  map[string]bool   // config substring -> constructor panics
	python  []string          // what python3 would print
	opened  []string          // configs given to the constructor
	noXLA   bool
	autoOff bool // disableAutoInstall was called
}

func newFakeMachine(t *testing.T) *fakeMachine {
	return &fakeMachine{t: t, root: t.TempDir(), env: map[string]string{},
		failing: map[string]string{}, panics: map[string]bool{}, gpus: 1}
}

// path returns the absolute path of rel in the machine's tree.
func (m *fakeMachine) path(rel string) string { return filepath.Join(m.root, filepath.FromSlash(rel)) }

// file creates the file rel (and its folders).
func (m *fakeMachine) file(rel string) string {
	m.t.Helper()
	p := m.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("ELF"), 0o644); err != nil {
		m.t.Fatal(err)
	}
	return p
}

// dir creates the folder rel.
func (m *fakeMachine) dir(rel string) string {
	m.t.Helper()
	p := m.path(rel)
	if err := os.MkdirAll(p, 0o755); err != nil {
		m.t.Fatal(err)
	}
	return p
}

func (m *fakeMachine) probe() *probe {
	return &probe{
		lookupEnv: func(k string) (string, bool) { v, ok := m.env[k]; return v, ok },
		setenv:    func(k, v string) error { m.env[k] = v; return nil },
		homeDir:   func() (string, error) { return m.path("home/user"), nil },
		gpuPresent: func() bool {
			return m.gpu
		},
		pythonPaths:   func() []string { return m.python },
		prefixes:      []string{m.path("usr/local"), m.path("usr")},
		systemLibDirs: []string{m.path("usr/local/lib")},
		newBackend: func(config string) (backends.Backend, error) {
			m.opened = append(m.opened, config)
			for sub := range m.panics {
				if strings.Contains(config, sub) {
					panic("can't find backend " + sub)
				}
			}
			for sub, msg := range m.failing {
				if strings.Contains(config, sub) {
					return nil, errors.New(msg + "\n\tstack trace line\n\tmore")
				}
			}
			name, rest, _ := strings.Cut(config, ":")
			desc := "xla:" + rest
			devices := 1
			if strings.Contains(config, "cuda") {
				devices = m.gpus
			}
			return &fakeBackend{name: name, desc: desc, devices: devices}, nil
		},
		xla:                !m.noXLA,
		disableAutoInstall: func() { m.autoOff = true },
		numCPU:             func() int { return 2 },
	}
}

const (
	goXLACPU   = "home/user/.local/lib/go-xla/pjrt_c_api_cpu_plugin.so"
	goXLACUDA  = "home/user/.local/lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so"
	jaxSite    = "usr/local/lib/python3.11/site-packages"
	jaxCUDA13  = jaxSite + "/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
	jaxCUDA12  = jaxSite + "/jax_plugins/xla_cuda12/xla_cuda_plugin.so"
	jaxLibdev  = jaxSite + "/nvidia/cu13/nvvm/libdevice"
	venvCUDA13 = "venv/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
)

func TestChoiceOrder(t *testing.T) {
	engineHere := `juanji CPU engine "gocpu", ` + gocpu.Kernel() + ` GEMM, ` + strconv.Itoa(runtime.GOMAXPROCS(0)) + ` cores`
	tests := []struct {
		name    string
		setup   func(m *fakeMachine)
		index   int
		strict  bool
		wantErr string // strict only

		wantName, wantKind string
		wantConfig         string // "{root}" is replaced by the machine's root
		wantSummary        string
		wantNotes          []string // substrings, one per note, in order
		wantEnv            []string
	}{
		{
			name:     "nothing installed, no GPU: juanji's engine",
			setup:    func(m *fakeMachine) {},
			wantName: "cpu", wantKind: KindEngine, wantConfig: "gocpu",
			wantSummary: "cpu (" + engineHere + ")",
		},
		{
			name:     "juanji's engine failing: one note, then pure Go",
			setup:    func(m *fakeMachine) { m.failing["gocpu"] = "broken" },
			wantName: "cpu", wantKind: KindGo, wantConfig: "go:parallelism=-1",
			wantNotes: []string{"juanji's CPU engine failed"},
		},
		{
			name:     "JUANJI_DEVICE=gocpu beats an installed CPU plugin",
			setup:    func(m *fakeMachine) { m.file(goXLACPU); m.env[EnvDevice] = "gocpu" },
			wantName: "cpu", wantKind: KindEngine, wantConfig: "gocpu",
		},
		{
			name:     "GOMLX_BACKEND=gocpu",
			setup:    func(m *fakeMachine) { m.env[EnvBackend] = "gocpu" },
			wantName: "cpu", wantKind: KindEngine, wantConfig: "gocpu",
		},
		{
			name:     "XLA CPU plugin installed: XLA on the CPU",
			setup:    func(m *fakeMachine) { m.file(goXLACPU) },
			wantName: "cpu", wantKind: KindCPU, wantConfig: "xla:{root}/" + goXLACPU + ",shared_buffers",
			wantSummary: "cpu (XLA PJRT CPU plugin)",
		},
		{
			name:     "CPU plugin without XLA compiled in: juanji's engine",
			setup:    func(m *fakeMachine) { m.file(goXLACPU); m.noXLA = true },
			wantName: "cpu", wantKind: KindEngine, wantConfig: "gocpu",
			wantSummary: "cpu (" + engineHere + ")",
		},
		{
			name: "GPU and go-xla CUDA plugin: cuda:0",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.file(goXLACUDA)
				m.file(goXLACPU)
			},
			wantName: "cuda:0", wantKind: KindCUDA, wantConfig: "xla:{root}/" + goXLACUDA, wantSummary: "cuda:0",
			wantEnv: []string{"GOPJRT_CUDA_CHECKS=0", "XLA_FLAGS=--xla_gpu_cuda_data_dir={root}/home/user/.local/lib/go-xla/nvidia"},
		},
		{
			name: "GPU and a JAX install: its CUDA 13 plugin and its nvidia/cu13",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.file(jaxCUDA12)
				m.file(jaxCUDA13)
				m.dir(jaxLibdev)
			},
			wantName: "cuda:0", wantKind: KindCUDA, wantConfig: "xla:{root}/" + jaxCUDA13, wantSummary: "cuda:0",
			wantEnv: []string{"GOPJRT_CUDA_CHECKS=0", "XLA_FLAGS=--xla_gpu_cuda_data_dir={root}/" + jaxSite + "/nvidia/cu13"},
		},
		{
			name: "the active virtualenv comes before the system's site-packages",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.file(jaxCUDA13)
				m.file(venvCUDA13)
				m.env["VIRTUAL_ENV"] = m.path("venv")
			},
			wantName: "cuda:0", wantConfig: "xla:{root}/" + venvCUDA13, wantSummary: "cuda:0",
			wantEnv: []string{"GOPJRT_CUDA_CHECKS=0"},
		},
		{
			name: "JAX found only through python3's sys.path",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.file("opt/py/site/jax_plugins/xla_cuda12/xla_cuda_plugin.so")
				m.dir("opt/py/site/nvidia/cuda_nvcc/nvvm/libdevice")
				m.python = []string{m.path("opt/py/site")}
			},
			wantName: "cuda:0", wantConfig: "xla:{root}/opt/py/site/jax_plugins/xla_cuda12/xla_cuda_plugin.so",
			wantEnv: []string{"GOPJRT_CUDA_CHECKS=0", "XLA_FLAGS=--xla_gpu_cuda_data_dir={root}/opt/py/site/nvidia/cuda_nvcc"},
		},
		{
			name: "the user's XLA_FLAGS and GOPJRT_CUDA_CHECKS are left alone",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.file(jaxCUDA13)
				m.dir(jaxLibdev)
				m.env["XLA_FLAGS"] = "--xla_dump_to=/tmp/x"
				m.env["GOPJRT_CUDA_CHECKS"] = "1"
			},
			wantName: "cuda:0", wantConfig: "xla:{root}/" + jaxCUDA13,
		},
		{
			name:     "GPU without a CUDA plugin: one note, then juanji's engine",
			setup:    func(m *fakeMachine) { m.gpu = true },
			wantName: "cpu", wantKind: KindEngine, wantConfig: "gocpu",
			wantNotes: []string{"NVIDIA GPU present, but no CUDA PJRT plugin found"},
		},
		{
			name:     "CUDA plugin present but no GPU: not tried",
			setup:    func(m *fakeMachine) { m.file(goXLACUDA) },
			wantName: "cpu", wantKind: KindEngine, wantConfig: "gocpu",
		},
		{
			name: "CUDA plugin that fails to load: its first line, then the CPU plugin",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.file(goXLACUDA)
				m.file(goXLACPU)
				m.failing["cuda"] = "libcudart.so.13: cannot open shared object file"
			},
			wantName: "cpu", wantKind: KindCPU, wantConfig: "xla:{root}/" + goXLACPU + ",shared_buffers",
			wantNotes: []string{"libcudart.so.13: cannot open shared object file; using the CPU"},
		},
		{
			name: "go-xla's CUDA plugin fails, JAX's loads: XLA_FLAGS follows the plugin loaded",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.file(goXLACUDA)
				m.file(jaxCUDA13)
				m.dir(jaxLibdev)
				m.failing["go-xla/nvidia"] = "PJRT_Api version mismatch"
			},
			wantName: "cuda:0", wantKind: KindCUDA, wantConfig: "xla:{root}/" + jaxCUDA13,
			wantEnv: []string{"GOPJRT_CUDA_CHECKS=0", "XLA_FLAGS=--xla_gpu_cuda_data_dir={root}/" + jaxSite + "/nvidia/cu13"},
		},
		{
			name: "try_gpu(1) with one GPU: the CPU, as in PyTorch",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.file(goXLACUDA)
			},
			index:    1,
			wantName: "cpu", wantKind: KindEngine,
			wantNotes: []string{"sees 1 GPU(s), none numbered 1"},
		},
		{
			name: "try_gpu(1) with two GPUs: cuda:1",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.gpus = 2
				m.file(goXLACUDA)
			},
			index:    1,
			wantName: "cuda:1", wantKind: KindCUDA, wantSummary: "cuda:1",
			wantEnv: []string{"GOPJRT_CUDA_CHECKS=0", "XLA_FLAGS=--xla_gpu_cuda_data_dir={root}/home/user/.local/lib/go-xla/nvidia"},
		},
		{
			name: "JUANJI_DEVICE=go beats an installed GPU",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.file(goXLACUDA)
				m.env[EnvDevice] = "go"
			},
			wantName: "cpu", wantKind: KindGo, wantConfig: "go:parallelism=-1",
		},
		{
			name: "JUANJI_DEVICE=cpu takes the XLA CPU plugin",
			setup: func(m *fakeMachine) {
				m.file(goXLACPU)
				m.env[EnvDevice] = "CPU"
			},
			wantName: "cpu", wantKind: KindCPU,
		},
		{
			name:    "JUANJI_DEVICE=cuda without plugin, strict: error",
			setup:   func(m *fakeMachine) { m.env[EnvDevice] = "cuda" },
			strict:  true,
			wantErr: "JUANJI_DEVICE=cuda: no CUDA PJRT plugin found",
		},
		{
			name:     "JUANJI_DEVICE=cuda without plugin, lenient: note, then juanji's engine",
			setup:    func(m *fakeMachine) { m.env[EnvDevice] = "cuda" },
			wantName: "cpu", wantKind: KindEngine,
			wantNotes: []string{"JUANJI_DEVICE=cuda: no CUDA PJRT plugin found"},
		},
		{
			name:    "JUANJI_DEVICE=cpu without plugin, strict: error",
			setup:   func(m *fakeMachine) { m.env[EnvDevice] = "cpu" },
			strict:  true,
			wantErr: "no XLA PJRT CPU plugin",
		},
		{
			name:    "JUANJI_DEVICE=cuda without XLA compiled in",
			setup:   func(m *fakeMachine) { m.env[EnvDevice] = "cuda"; m.noXLA = true },
			strict:  true,
			wantErr: "not compiled in",
		},
		{
			name:    "JUANJI_DEVICE unknown, strict: error",
			setup:   func(m *fakeMachine) { m.env[EnvDevice] = "tpu" },
			strict:  true,
			wantErr: `JUANJI_DEVICE="tpu": want gocpu, go, cpu, cuda or auto`,
		},
		{
			name:     "JUANJI_DEVICE unknown, lenient: note, then automatic",
			setup:    func(m *fakeMachine) { m.env[EnvDevice] = "tpu" },
			wantName: "cpu", wantKind: KindEngine,
			wantNotes: []string{`JUANJI_DEVICE="tpu"`},
		},
		{
			name:     "GOMLX_BACKEND=go gets parallelism=-1",
			setup:    func(m *fakeMachine) { m.env[EnvBackend] = "go"; m.file(goXLACPU) },
			wantName: "cpu", wantKind: KindGo, wantConfig: "go:parallelism=-1",
		},
		{
			name:     "GOMLX_BACKEND=go:ops_sequential keeps its options",
			setup:    func(m *fakeMachine) { m.env[EnvBackend] = "go:ops_sequential" },
			wantName: "cpu", wantConfig: "go:parallelism=-1,ops_sequential",
		},
		{
			name:     "GOMLX_BACKEND=go:parallelism=4 is respected",
			setup:    func(m *fakeMachine) { m.env[EnvBackend] = "go:parallelism=4" },
			wantName: "cpu", wantConfig: "go:parallelism=4",
		},
		{
			name: "GOMLX_BACKEND=xla:cuda: the named plugin, CUDA settings made",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.file(goXLACUDA)
				m.env[EnvBackend] = "xla:cuda"
			},
			wantName: "cuda:0", wantKind: KindCUDA, wantConfig: "xla:cuda",
			wantEnv: []string{"GOPJRT_CUDA_CHECKS=0", "XLA_FLAGS=--xla_gpu_cuda_data_dir={root}/home/user/.local/lib/go-xla/nvidia"},
		},
		{
			name: "GOMLX_BACKEND=xla:cpu failing, strict: error with its first line only",
			setup: func(m *fakeMachine) {
				m.env[EnvBackend] = "xla:cpu"
				m.failing["xla:cpu"] = "no plugins found"
			},
			strict:  true,
			wantErr: `GOMLX_BACKEND=xla:cpu: creating backend "xla:cpu": no plugins found`,
		},
		{
			name: "GOMLX_BACKEND=xla:cpu failing, lenient: note, then automatic",
			setup: func(m *fakeMachine) {
				m.env[EnvBackend] = "xla:cpu"
				m.failing["xla:cpu"] = "no plugins found"
			},
			wantName: "cpu", wantKind: KindEngine, wantConfig: "gocpu",
			wantNotes: []string{`GOMLX_BACKEND=xla:cpu: creating backend "xla:cpu": no plugins found; choosing automatically`},
		},
		{
			name: "GOMLX_BACKEND=xla:cuda unknown to GoMLX by name: the automatic choice finds JAX's plugin",
			setup: func(m *fakeMachine) {
				m.gpu = true
				m.env[EnvBackend] = "xla:cuda"
				m.failing["xla:cuda"] = `Plugin "cuda" for backend "xla" not found`
				m.file(jaxCUDA13)
			},
			wantName: "cuda:0", wantKind: KindCUDA, wantConfig: "xla:{root}/" + jaxCUDA13,
			wantNotes: []string{`GOMLX_BACKEND=xla:cuda`},
			wantEnv:   []string{"GOPJRT_CUDA_CHECKS=0"},
		},
		{
			name: "GOMLX_BACKEND naming an unknown backend: the constructor's panic becomes a note",
			setup: func(m *fakeMachine) {
				m.env[EnvBackend] = "nosuch"
				m.panics["nosuch"] = true
			},
			wantName: "cpu", wantKind: KindEngine,
			wantNotes: []string{`can't find backend nosuch`},
		},
		{
			name: "JUANJI_DEVICE wins over GOMLX_BACKEND",
			setup: func(m *fakeMachine) {
				m.env[EnvBackend] = "xla:cuda"
				m.env[EnvDevice] = "go"
			},
			wantName: "cpu", wantKind: KindGo, wantConfig: "go:parallelism=-1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newFakeMachine(t)
			tc.setup(m)
			p := m.probe()
			d, err := p.choose(tc.index, tc.strict)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "stack trace") {
					t.Errorf("error carries a stack trace: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("choose: %v", err)
			}
			expand := func(s string) string { return strings.ReplaceAll(s, "{root}", m.root) }
			if d.Name != tc.wantName {
				t.Errorf("Name = %q, want %q", d.Name, tc.wantName)
			}
			if tc.wantKind != "" && d.Kind != tc.wantKind {
				t.Errorf("Kind = %q, want %q", d.Kind, tc.wantKind)
			}
			if tc.wantConfig != "" && d.Config != expand(tc.wantConfig) {
				t.Errorf("Config = %q, want %q", d.Config, expand(tc.wantConfig))
			}
			if tc.wantSummary != "" && d.Summary() != tc.wantSummary {
				t.Errorf("Summary() = %q, want %q", d.Summary(), tc.wantSummary)
			}
			if len(d.Notes) != len(tc.wantNotes) {
				t.Errorf("Notes = %q, want %d note(s) like %q", d.Notes, len(tc.wantNotes), tc.wantNotes)
			} else {
				for i, want := range tc.wantNotes {
					if !strings.Contains(d.Notes[i], want) {
						t.Errorf("Notes[%d] = %q, want it to contain %q", i, d.Notes[i], want)
					}
				}
			}
			for _, note := range d.Notes {
				if strings.Contains(note, "\n") {
					t.Errorf("note spans lines: %q", note)
				}
			}
			var wantEnv []string
			for _, e := range tc.wantEnv {
				wantEnv = append(wantEnv, expand(e))
			}
			if !slices.Equal(d.Env, wantEnv) {
				t.Errorf("Env = %q, want %q", d.Env, wantEnv)
			}
			for _, e := range d.Env {
				k, v, _ := strings.Cut(e, "=")
				if m.env[k] != v {
					t.Errorf("Env lists %s but the environment has %s=%q", e, k, m.env[k])
				}
			}
			if d.Backend == nil {
				t.Fatal("Backend is nil")
			}
			if got, ok := p.reg.lookup(d.Backend); !ok || got.Name != d.Name {
				t.Errorf("the choice was not recorded for Describe")
			}
		})
	}
}

func TestUserXLAFlagsKept(t *testing.T) {
	m := newFakeMachine(t)
	m.gpu = true
	m.file(jaxCUDA13)
	m.dir(jaxLibdev)
	m.env["XLA_FLAGS"] = "--xla_dump_to=/tmp/x"
	d, err := m.probe().choose(0, true)
	if err != nil {
		t.Fatal(err)
	}
	if m.env["XLA_FLAGS"] != "--xla_dump_to=/tmp/x" {
		t.Errorf("XLA_FLAGS = %q, want the user's value kept", m.env["XLA_FLAGS"])
	}
	if !slices.Equal(d.Env, []string{"GOPJRT_CUDA_CHECKS=0"}) {
		t.Errorf("Env = %q, want only GOPJRT_CUDA_CHECKS=0 set (it stops go-xla appending its own path)", d.Env)
	}
}

func TestAutoInstallTurnedOffForNamedPlugins(t *testing.T) {
	for _, tc := range []struct {
		config  string
		wantOff bool
	}{
		{"xla:cuda", true},
		{"xla", true},
		{"xla:/opt/pjrt_c_api_cpu_plugin.so", false}, // a path never downloads
		{"go", false},
	} {
		t.Run(tc.config, func(t *testing.T) {
			m := newFakeMachine(t)
			m.env[EnvBackend] = tc.config
			if _, err := m.probe().choose(0, true); err != nil {
				t.Fatal(err)
			}
			if m.autoOff != tc.wantOff {
				t.Errorf("auto-install turned off = %v, want %v", m.autoOff, tc.wantOff)
			}
		})
	}
}

func TestBackendReused(t *testing.T) {
	m := newFakeMachine(t)
	p := m.probe()
	d1, err := p.choose(0, true)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := p.choose(0, true)
	if err != nil {
		t.Fatal(err)
	}
	if d1.Backend != d2.Backend {
		t.Error("a second choice created a second backend")
	}
	if len(m.opened) != 1 {
		t.Errorf("constructor called %d times (%q), want 1", len(m.opened), m.opened)
	}
}

func TestJAXPluginDiscovery(t *testing.T) {
	m := newFakeMachine(t)
	m.file("usr/lib/python3/dist-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so")
	m.file("usr/local/lib/python3.11/dist-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	m.file("home/user/.local/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	m.file("home/user/.local/lib/python3.12/site-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so")
	m.dir("usr/lib/python3.11/site-packages/jax_plugins/xla_cuda13")                    // no .so: skipped
	m.file("usr/lib/python3.11/site-packages/jax_plugins/xla_rocm7/xla_rocm_plugin.so") // not CUDA
	m.file(goXLACUDA)
	got := m.probe().findCUDAPlugins()
	var rel []string
	for _, g := range got {
		r, _ := filepath.Rel(m.root, g)
		rel = append(rel, filepath.ToSlash(r))
	}
	want := []string{
		"home/user/.local/lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so",
		"home/user/.local/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so",
		"home/user/.local/lib/python3.12/site-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so",
		"usr/local/lib/python3.11/dist-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so",
		"usr/lib/python3/dist-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so",
	}
	if !slices.Equal(rel, want) {
		t.Errorf("found\n  %s\nwant\n  %s", strings.Join(rel, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestPJRTPluginLibraryPath(t *testing.T) {
	m := newFakeMachine(t)
	m.file(goXLACPU) // in the default folders, ignored when PJRT_PLUGIN_LIBRARY_PATH is set
	custom := m.file("plugins/pjrt_c_api_cpu_plugin.so")
	m.env["PJRT_PLUGIN_LIBRARY_PATH"] = "relative/ignored:" + filepath.Dir(custom)
	if got := m.probe().findCPUPlugin(); got != custom {
		t.Errorf("findCPUPlugin = %q, want %q", got, custom)
	}
	delete(m.env, "PJRT_PLUGIN_LIBRARY_PATH")
	if got, want := m.probe().findCPUPlugin(), m.path(goXLACPU); got != want {
		t.Errorf("without PJRT_PLUGIN_LIBRARY_PATH findCPUPlugin = %q, want %q", got, want)
	}
}

func TestCUDADataDir(t *testing.T) {
	tests := []struct {
		name   string
		files  []string // files to create
		dirs   []string // folders to create
		plugin string
		want   string // "" for none
	}{
		{
			name:   "JAX, CUDA 13 wheels (nvidia/cu13)",
			files:  []string{"site/jax_plugins/xla_cuda13/xla_cuda_plugin.so"},
			dirs:   []string{"site/nvidia/cu13/nvvm/libdevice", "site/nvidia/cu13/bin"},
			plugin: "site/jax_plugins/xla_cuda13/xla_cuda_plugin.so",
			want:   "site/nvidia/cu13",
		},
		{
			name:   "JAX, CUDA 12 wheels (nvidia/cuda_nvcc)",
			files:  []string{"site/jax_plugins/xla_cuda12/xla_cuda_plugin.so"},
			dirs:   []string{"site/nvidia/cuda_nvcc/nvvm/libdevice", "site/nvidia/cublas/lib"},
			plugin: "site/jax_plugins/xla_cuda12/xla_cuda_plugin.so",
			want:   "site/nvidia/cuda_nvcc",
		},
		{
			name:   "go-xla's layout: the plugin inside nvidia/, libdevice in nvidia/cu13",
			files:  []string{"lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so"},
			dirs:   []string{"lib/go-xla/nvidia/cu13/nvvm/libdevice"},
			plugin: "lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so",
			want:   "lib/go-xla/nvidia/cu13",
		},
		{
			name:   "go-xla's layout without libdevice: the nvidia folder itself",
			files:  []string{"lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so"},
			plugin: "lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so",
			want:   "lib/go-xla/nvidia",
		},
		{
			name:   "plugin alone: nothing to point at",
			files:  []string{"opt/pjrt_c_api_cuda_plugin.so"},
			plugin: "opt/pjrt_c_api_cuda_plugin.so",
			want:   "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newFakeMachine(t)
			for _, f := range tc.files {
				m.file(f)
			}
			for _, d := range tc.dirs {
				m.dir(d)
			}
			want := ""
			if tc.want != "" {
				want = m.path(tc.want)
			}
			if got := cudaDataDir(m.path(tc.plugin)); got != want {
				t.Errorf("cudaDataDir = %q, want %q", got, want)
			}
		})
	}
}

func TestGoConfig(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "go:parallelism=-1"},
		{"ops_sequential", "go:parallelism=-1,ops_sequential"},
		{"parallelism=2", "go:parallelism=2"},
		{" dotgeneral_small , ,parallelism=0", "go:dotgeneral_small,parallelism=0"},
	} {
		if got := goConfig(tc.in); got != tc.want {
			t.Errorf("goConfig(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestConfigKind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"go", KindGo},
		{"go:parallelism=4", KindGo},
		{"xla:cuda", KindCUDA},
		{"xla:/x/jax_plugins/xla_cuda13/xla_cuda_plugin.so", KindCUDA},
		{"xla:cpu", KindCPU},
		{"xla:/x/pjrt_c_api_cpu_plugin.so,shared_buffers", KindCPU},
		{"xla", ""},
		{"xla:tpu", ""},
	} {
		if got := configKind(tc.in); got != tc.want {
			t.Errorf("configKind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		b    backends.Backend
		want string // Summary
	}{
		{"nil", nil, "none"},
		{"a pure-Go backend made elsewhere", &fakeBackend{name: "go"}, "cpu (pure Go backend \"go\","},
		{"an XLA CUDA backend made elsewhere", &fakeBackend{name: "xla", desc: "xla:cuda - plugin [1 device(s)]"}, "cuda:0"},
		{"an XLA CPU backend made elsewhere", &fakeBackend{name: "xla", desc: "xla:cpu - plugin"}, "cpu (XLA PJRT plugin: xla:cpu - plugin)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Describe(tc.b).Summary(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("Describe(...).Summary() = %q, want prefix %q", got, tc.want)
			}
		})
	}
}

func TestDeviceStrings(t *testing.T) {
	tests := []struct {
		d                   Device
		wantString, wantSum string
		wantGPU             bool
	}{
		{Device{Name: "cuda:0", Engine: "XLA PJRT CUDA plugin"}, "cuda:0", "cuda:0", true},
		{Device{Name: "cpu", Engine: "XLA PJRT CPU plugin"}, "cpu", "cpu (XLA PJRT CPU plugin)", false},
		{Device{Name: "cpu", Engine: goEngine(1)}, "cpu", `cpu (pure Go backend "go", 1 core)`, false},
		{Device{}, "none", "none", false},
	}
	for _, tc := range tests {
		if got := tc.d.String(); got != tc.wantString {
			t.Errorf("String() = %q, want %q", got, tc.wantString)
		}
		if got := tc.d.Summary(); got != tc.wantSum {
			t.Errorf("Summary() = %q, want %q", got, tc.wantSum)
		}
		if got := tc.d.IsGPU(); got != tc.wantGPU {
			t.Errorf("%q.IsGPU() = %v, want %v", tc.d.Name, got, tc.wantGPU)
		}
	}
}

func TestRunTimeout(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	// The command would print "finished" after 5 s: killed at the timeout, it never does.
	out, err := runTimeout(200*time.Millisecond, "/bin/sh", "-c", "sleep 5; echo finished")
	if err == nil || !strings.Contains(err.Error(), "no answer within") {
		t.Errorf("err = %v, want a timeout", err)
	}
	if strings.Contains(string(out), "finished") {
		t.Errorf("the command ran to its end (%q), want it killed at its timeout", out)
	}
}

func TestNegativeIndex(t *testing.T) {
	m := newFakeMachine(t)
	if _, err := m.probe().choose(-1, true); err == nil {
		t.Error("want an error for GPU -1")
	}
}

func TestUnusedGPUBackendReleased(t *testing.T) {
	m := newFakeMachine(t)
	m.gpu = true
	m.file(goXLACUDA)
	p := m.probe()
	gpu0, err := p.choose(0, true)
	if err != nil || gpu0.Name != "cuda:0" {
		t.Fatalf("choose(0) = %v, %v; want cuda:0", gpu0, err)
	}
	// Asking for GPU 1 reuses the backend of GPU 0, sees one GPU, falls back
	// to the CPU, and keeps that backend alive: it was handed out before.
	cpu, err := p.choose(1, true)
	if err != nil || cpu.Name != "cpu" {
		t.Fatalf("choose(1) = %v, %v; want cpu", cpu, err)
	}
	if gpu0.Backend.IsFinalized() {
		t.Error("the backend handed out for cuda:0 was finalized")
	}

	// On a fresh machine, GPU 1 first: the CUDA backend made for the
	// attempt is not handed out, so it is finalized.
	m2 := newFakeMachine(t)
	m2.gpu = true
	m2.file(goXLACUDA)
	var made *fakeBackend
	p2 := m2.probe()
	inner := p2.newBackend
	p2.newBackend = func(config string) (backends.Backend, error) {
		b, err := inner(config)
		if strings.Contains(config, "cuda") {
			made = b.(*fakeBackend)
		}
		return b, err
	}
	if d, err := p2.choose(1, true); err != nil || d.Name != "cpu" {
		t.Fatalf("choose(1) = %v, %v; want cpu", d, err)
	}
	if made == nil || !made.finalized {
		t.Error("the CUDA backend made for cuda:1 was not finalized")
	}
}

func TestForcedCPUChoicesIgnoreIndex(t *testing.T) {
	for _, env := range []map[string]string{{EnvDevice: "go"}, {EnvBackend: "go"}} {
		m := newFakeMachine(t)
		m.env = env
		d, err := m.probe().choose(1, true)
		if err != nil || d.Name != "cpu" || len(d.Notes) != 0 {
			t.Errorf("%v: choose(1) = %v (notes %q), %v; want cpu, as try_gpu(1) without GPU", env, d, d.Notes, err)
		}
	}
}
