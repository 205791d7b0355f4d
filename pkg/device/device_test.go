package device

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/juanji/juanji/internal/gomlxpatch"
)

// captureStdout runs fn and returns what it printed through os.Stdout.
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	orig := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		data, _ := io.ReadAll(r)
		done <- string(data)
	}()
	defer func() { os.Stdout = orig }()
	fn()
	os.Stdout = orig
	_ = w.Close()
	return <-done
}

// proxyWatch is an HTTP(S) proxy named in the environment that answers
// nothing and counts the connections made to it: a download attempted by the
// code under test (GoMLX's plugin auto-install, say) goes through it.
func proxyWatch(t *testing.T) *atomic.Int64 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	proxy := "http://" + l.Addr().String()
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"} {
		t.Setenv(k, proxy)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	return &n
}

// TestTryGPUHere runs the real choice on this machine. Without a GPU or an
// XLA plugin (the development machines) it must pick the pure-Go backend,
// printing one line and downloading nothing; with them, whatever it picks
// must compute.
func TestTryGPUHere(t *testing.T) {
	t.Setenv(EnvDevice, "")
	t.Setenv(EnvBackend, "")
	downloads := proxyWatch(t)
	var backend backends.Backend
	out := captureStdout(t, func() { backend = TryGPU() })
	t.Logf("TryGPU() printed %q", out)
	b, known := system.reg.lookup(backend)
	if !known || Describe(backend).Summary() != b.Summary() {
		t.Fatal("Describe does not know the backend TryGPU returned")
	}
	// Choosing never waits on the network: no plugin is downloaded.
	if n := downloads.Load(); n > 0 {
		t.Errorf("TryGPU() opened %d connection(s) through the proxy: it tried to download something", n)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if got := lines[len(lines)-1]; got != b.Summary() {
		t.Errorf("last line printed = %q, want %q", got, b.Summary())
	}
	if strings.Contains(out, "SimpleGo backend") {
		t.Errorf("SimpleGo's own line was not hidden: %q", out)
	}
	if b.Kind == KindGo {
		if b.Config != GoConfig {
			t.Errorf("pure-Go config = %q, want %q", b.Config, GoConfig)
		}
		want := fmt.Sprintf("cpu (pure Go backend \"go\", %d cores)", runtime.NumCPU())
		if runtime.NumCPU() == 1 {
			want = "cpu (pure Go backend \"go\", 1 core)"
		}
		if b.Summary() != want {
			t.Errorf("Summary() = %q, want %q", b.Summary(), want)
		}
	}

	// The backend computes, including a graph with two parallel branches
	// (the shape that deadlocks SimpleGo's default worker pool). Under the
	// race detector the branches are chained instead: SimpleGo v0.26.0's
	// parallel executor reads a use counter without its lock (exec.go:430
	// against exec.go:478), which the detector reports as a race in GoMLX.
	fn := func(x *graph.Node) *graph.Node { return graph.Add(graph.Mul(x, x), graph.Add(x, x)) }
	if raceEnabled && b.Kind == KindGo {
		fn = func(x *graph.Node) *graph.Node { return graph.Mul(x, graph.AddScalar(x, 2)) } // x*(x+2), one chain
	}
	got := graph.MustExecOnce(b.Backend, fn, float32(3))
	if v := got.Value().(float32); v != 15 {
		t.Errorf("3*3 + 2*3 = %v, want 15", v)
	}

	// A second call returns the same backend without creating another one.
	var again backends.Backend
	captureStdout(t, func() { again = TryGPU() })
	if again != backend {
		t.Error("a second TryGPU() returned a different backend")
	}
}

func TestSelectForcedGo(t *testing.T) {
	t.Setenv(EnvDevice, "go")
	t.Setenv(EnvBackend, "xla:cuda") // JUANJI_DEVICE wins
	var d Device
	var err error
	out := captureStdout(t, func() { d, err = Select(0) })
	if err != nil {
		t.Fatal(err)
	}
	if out != "" {
		t.Errorf("Select printed %q, want nothing", out)
	}
	if d.Kind != KindGo || d.Name != "cpu" || d.Source != "JUANJI_DEVICE=go" {
		t.Errorf("Select(0) = %+v, want the pure-Go backend chosen by JUANJI_DEVICE=go", d)
	}
}

func TestSelectForcedUnavailable(t *testing.T) {
	for _, forced := range []string{"cuda", "cpu"} {
		t.Run(forced, func(t *testing.T) {
			t.Setenv(EnvDevice, forced)
			t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir()) // no plugins there
			if system.findCPUPlugin() != "" || (forced == "cuda" && len(system.findCUDAPlugins()) > 0) {
				t.Skip("this machine has XLA plugins")
			}
			_, err := Select(0)
			if err == nil || !strings.Contains(err.Error(), "JUANJI_DEVICE="+forced) {
				t.Errorf("Select(0) error = %v, want one naming JUANJI_DEVICE=%s", err, forced)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			t.Logf("failed: %v", err)
		})
	}
}

func TestQuietSimpleGo(t *testing.T) {
	out := captureStdout(t, func() {
		quietSimpleGo(func() {
			fmt.Println("before")
			fmt.Printf("SimpleGo backend: parallelism set to %d\n", -1)
			fmt.Print("after, no newline")
		})
		fmt.Println(" | printed after the swap")
	})
	want := "before\nafter, no newline | printed after the swap\n"
	if out != want {
		t.Errorf("printed %q, want %q", out, want)
	}
}

func TestQuietSimpleGoRestoresOnPanic(t *testing.T) {
	orig := os.Stdout
	func() {
		defer func() { _ = recover() }()
		quietSimpleGo(func() { panic("boom") })
	}()
	if os.Stdout != orig {
		t.Error("os.Stdout not restored after a panic")
	}
}

func TestDropLines(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"SimpleGo backend: parallelism set to -1\n", ""},
		{"a\nSimpleGo backend: parallelism set to 4\nb\n", "a\nb\n"},
		{"a\nb", "a\nb"},
		{"x SimpleGo backend: parallelism set to -1\n", "x SimpleGo backend: parallelism set to -1\n"},
	} {
		if got := string(gomlxpatch.DropLines([]byte(tc.in), simpleGoChatter)); got != tc.want {
			t.Errorf("DropLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// fakeReportMachine returns a probe for Report with the given nvidia-smi
// behaviour (nil: not installed).
func fakeReportProbe(smi func() ([]byte, error)) *probe {
	cpuinfo := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)   CPU @ 2.20GHz\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n"
	meminfo := "MemTotal:        8000000 kB\nMemFree:          100000 kB\nMemAvailable:    4000000 kB\n"
	return &probe{
		lookPath: func(file string) (string, error) {
			if file == "nvidia-smi" && smi != nil {
				return "/usr/bin/nvidia-smi", nil
			}
			return "", errors.New("not found")
		},
		run: func(_ time.Duration, name string, _ ...string) ([]byte, error) { return smi() },
		readFile: func(path string) ([]byte, error) {
			switch path {
			case "/proc/cpuinfo":
				return []byte(cpuinfo), nil
			case "/proc/meminfo":
				return []byte(meminfo), nil
			}
			return nil, os.ErrNotExist
		},
		numCPU:     func() int { return 2 },
		gomaxprocs: func() int { return 2 },
	}
}

func TestReport(t *testing.T) {
	smiOut := "+----+\n| NVIDIA-SMI 560.35 |\n+----+\n"
	tests := []struct {
		name    string
		smi     func() ([]byte, error)
		chosen  *Device
		want    []string
		wantNot []string
	}{
		{
			name: "no nvidia-smi, nothing chosen",
			want: []string{
				"nvidia-smi: not found",
				"Device:   none chosen yet",
				"CPU:      Intel(R) Xeon(R) CPU @ 2.20GHz\n",
				"Cores:    2 logical CPUs, GOMAXPROCS=2",
				"Memory:   7.6 GiB total, 3.8 GiB available",
				"Go:       " + runtime.Version(),
			},
		},
		{
			name:   "no nvidia-smi, pure Go chosen",
			chosen: &Device{Name: "cpu", Engine: goEngine(2), Config: GoConfig, Backend: &fakeBackend{name: "go"}},
			want:   []string{`Device:   cpu (pure Go backend "go", 2 cores)  [backend go:parallelism=-1]`},
		},
		{
			name:    "nvidia-smi works: its output, as the document's cell",
			smi:     func() ([]byte, error) { return []byte(smiOut), nil },
			want:    []string{smiOut},
			wantNot: []string{"Memory:"},
		},
		{
			name: "nvidia-smi fails: its error, then the machine",
			smi: func() ([]byte, error) {
				return []byte("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\nMore.\n"), errors.New("exit status 9")
			},
			want:    []string{"nvidia-smi failed: exit status 9", "couldn't communicate with the NVIDIA driver.\n\n", "Memory:"},
			wantNot: []string{"More."},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := fakeReportProbe(tc.smi)
			if tc.chosen != nil {
				p.reg.record(*tc.chosen)
			}
			got := p.report()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("report lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("report has %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestReportHere checks the real report on this machine: with no nvidia-smi
// it must describe the CPU side.
func TestReportHere(t *testing.T) {
	got := Report()
	t.Logf("Report():\n%s", got)
	if _, err := system.lookPath("nvidia-smi"); err == nil {
		if !strings.Contains(got, "NVIDIA") {
			t.Errorf("nvidia-smi exists, report lacks its output")
		}
		return
	}
	for _, w := range []string{"nvidia-smi: not found", "Cores:", "Go:       " + runtime.Version()} {
		if !strings.Contains(got, w) {
			t.Errorf("report lacks %q", w)
		}
	}
	if runtime.GOOS == "linux" {
		for _, w := range []string{"Memory:", "CPU:"} {
			if !strings.Contains(got, w) {
				t.Errorf("report lacks %q", w)
			}
		}
	}
}

func TestCPUModelAndMemory(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"model name\t: AMD EPYC 7B13\n", "AMD EPYC 7B13"},
		{"processor\t: 0\nBogoMIPS\t: 50.00\n\nHardware\t: BCM2835\nModel\t: Raspberry Pi 4 Model B Rev 1.4\n", "Raspberry Pi 4 Model B Rev 1.4"},
		{"", ""},
	} {
		if got := cpuModel([]byte(tc.in)); got != tc.want {
			t.Errorf("cpuModel(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if _, _, ok := memory([]byte("MemTotal: 10 kB\n")); ok {
		t.Error("memory() without MemAvailable should not be ok")
	}
	if total, avail, ok := memory([]byte("MemTotal: 2048 kB\nMemAvailable: 1024 kB\n")); !ok || total != 2<<20 || avail != 1<<20 {
		t.Errorf("memory() = %d, %d, %v", total, avail, ok)
	}
}
