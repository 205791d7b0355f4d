package faults

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// repoRoot is the top of the checkout.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "kernels", "install.sh")); err != nil {
		t.Fatalf("not in the checkout: %v", err)
	}
	return root
}

// installRun is one run of kernels/install.sh.
type installRun struct {
	out      string
	code     int
	took     time.Duration // logged only: a test never compares it with a limit
	timedOut bool
}

// runInstall runs kernels/install.sh under `timeout`, with exactly the
// environment env (nothing inherited), as user asUser if not empty.
func runInstall(t *testing.T, env []string, asUser string, limit time.Duration) installRun {
	t.Helper()
	root := repoRoot(t)
	// Reading the script makes go test's cache depend on it.
	if _, err := os.ReadFile(filepath.Join(root, "kernels", "install.sh")); err != nil {
		t.Fatal(err)
	}
	args := []string{"timeout", "-k", "5", fmt.Sprintf("%ds", int(limit.Seconds())), "bash", "kernels/install.sh"}
	if asUser != "" {
		args = append([]string{"runuser", "-u", asUser, "--", "env", "-i"}, append(env, args...)...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = root
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	r := installRun{out: strings.TrimSpace(string(out)), took: time.Since(start)}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running install.sh: %v", err)
	}
	r.timedOut = r.code == 124 || r.code == 137
	t.Logf("install.sh (exit %d, %v):\n%s", r.code, r.took.Round(time.Millisecond), r.out)
	return r
}

// baseEnv is a nearly empty environment with the Go caches of the user
// running the tests, cut off from the network (GOPROXY=off) if offline.
func baseEnv(offline bool, extra ...string) []string {
	env := []string{"LANG=C.UTF-8"}
	keys := []string{"HOME", "PATH", "GOMODCACHE", "GOCACHE", "GOPATH", "GOPROXY", "GOFLAGS"}
	if offline {
		env = append(env, "GOPROXY=off", "GOFLAGS=-mod=mod")
		keys = keys[:5]
	}
	for _, k := range keys {
		if v, ok := origEnv[k]; ok {
			env = append(env, k+"="+v)
		}
	}
	for _, k := range []string{"JUANJI_GOBIN", "JUPYTER_DATA_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// installSteps is how many steps install.sh has (tools, Jupyter, kernel):
// a run with nothing to do prints one "skip:" line for each.
const installSteps = 3

// onlySkips reports the lines of a run that are not "skip" lines.
func onlySkips(out string) []string {
	var other []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "install: skip: ") && !strings.HasPrefix(l, "install: done in ") {
			other = append(other, l)
		}
	}
	return other
}

// checkAllSkipped fails unless every step of the run printed "skip:" and
// nothing else was printed.
func checkAllSkipped(t *testing.T, r installRun) {
	t.Helper()
	if other := onlySkips(r.out); len(other) > 0 {
		t.Errorf("a second run must only skip; it printed:\n%s", strings.Join(other, "\n"))
	}
	if n := strings.Count(r.out, "install: skip: "); n != installSteps {
		t.Errorf("%d steps printed skip:, want all %d", n, installSteps)
	}
}

// installState is what install.sh leaves that a run with nothing to do must
// not change: each tool's build info (go version -m), size and modification
// time, and the registered kernel spec's content and modification time.
func installState(t *testing.T, gobin, kernelDir string) map[string]string {
	t.Helper()
	state := map[string]string{}
	for _, tool := range []string{"gonb", "goimports", "gopls"} {
		path := filepath.Join(gobin, tool)
		info, err := os.Stat(path)
		if err != nil {
			t.Fatalf("after install.sh: %v", err)
		}
		build, err := exec.Command("go", "version", "-m", path).Output()
		if err != nil {
			t.Fatalf("go version -m %s: %v", path, err)
		}
		state[path] = fmt.Sprintf("size %d, modified %s\n%s", info.Size(), info.ModTime().Format(time.RFC3339Nano), build)
	}
	spec := filepath.Join(kernelDir, "kernel.json")
	info, err := os.Stat(spec)
	if err != nil {
		t.Fatalf("after install.sh: %v", err)
	}
	content, _ := os.ReadFile(spec)
	state[spec] = fmt.Sprintf("modified %s\n%s", info.ModTime().Format(time.RFC3339Nano), content)
	return state
}

// checkUnchanged fails for every entry of before that after does not repeat.
func checkUnchanged(t *testing.T, before, after map[string]string) {
	t.Helper()
	for path, was := range before {
		if now := after[path]; now != was {
			t.Errorf("a run with nothing to do changed %s:\nbefore: %s\nafter:  %s", path, was, now)
		}
	}
}

// gobinOf is where install.sh puts the tools.
func gobinOf(t *testing.T) string {
	if gobin := os.Getenv("JUANJI_GOBIN"); gobin != "" {
		return gobin
	}
	return filepath.Join(repoRoot(t), "bin")
}

// installed reports why install.sh cannot be expected to be fast here, or "".
func installed(t *testing.T) string {
	gobin := gobinOf(t)
	for _, tool := range []string{"gonb", "goimports", "gopls"} {
		if _, err := os.Stat(filepath.Join(gobin, tool)); err != nil {
			return "kernels/install.sh has not been run here (no " + filepath.Join(gobin, tool) + "): run make install"
		}
	}
	if _, err := exec.LookPath("jupyter"); err != nil {
		return "Jupyter is not installed: run make install"
	}
	return ""
}

// TestInstallScript: kernels/install.sh is idempotent, works offline from
// warm caches, says what is missing without them, and works as a normal
// user. Under -short only the fast case runs (make test runs install.sh
// just before, so it must only skip).
func TestInstallScript(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("timeout"); err != nil {
		t.Skip("no timeout command")
	}

	fault(t, "run again: only skips, rebuilds and rewrites nothing", func(t *testing.T) {
		t.Parallel()
		if why := installed(t); why != "" {
			t.Skip("skipped: " + why)
		}
		// A kernel folder of its own, so that the state compared is this test's.
		kernels := t.TempDir()
		env := baseEnv(false, "JUPYTER_DATA_DIR="+kernels)
		first := runInstall(t, env, "", 5*time.Minute)
		if first.code != 0 {
			t.Fatalf("first run: exit %d", first.code)
		}
		before := installState(t, gobinOf(t), filepath.Join(kernels, "kernels", "gonb"))
		r := runInstall(t, env, "", time.Minute)
		if r.code != 0 {
			t.Fatalf("exit %d", r.code)
		}
		checkAllSkipped(t, r)
		checkUnchanged(t, before, installState(t, gobinOf(t), filepath.Join(kernels, "kernels", "gonb")))
	})

	if testing.Short() {
		t.Log("-short: the slow install.sh cases are skipped (and not counted)")
		return
	}

	fault(t, "run twice into a fresh kernel folder", func(t *testing.T) {
		t.Parallel()
		kernels := t.TempDir()
		env := append(os.Environ(), "JUPYTER_DATA_DIR="+kernels)
		for _, k := range []string{"GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS"} { // undo TestMain's hiding
			env = append(env, k+"="+origEnv[k])
		}
		first := runInstall(t, env, "", 15*time.Minute)
		if first.code != 0 {
			t.Fatalf("first run: exit %d", first.code)
		}
		if !strings.Contains(first.out, `registered kernel "gonb"`) {
			t.Errorf("the first run did not register the kernel")
		}
		before := installState(t, gobinOf(t), filepath.Join(kernels, "kernels", "gonb"))
		second := runInstall(t, env, "", time.Minute)
		if second.code != 0 {
			t.Fatalf("second run: exit %d", second.code)
		}
		checkAllSkipped(t, second)
		checkUnchanged(t, before, installState(t, gobinOf(t), filepath.Join(kernels, "kernels", "gonb")))
	})

	fault(t, "offline with warm caches, fresh kernel folder", func(t *testing.T) {
		t.Parallel()
		if why := installed(t); why != "" {
			t.Skip("skipped: " + why)
		}
		r := runInstall(t, baseEnv(true, "JUPYTER_DATA_DIR="+t.TempDir()), "", 2*time.Minute)
		if r.timedOut {
			t.Fatalf("hung: still running after %v", r.took.Round(time.Second))
		}
		if r.code != 0 {
			lines := strings.Split(r.out, "\n")
			t.Fatalf("exit %d; from warm caches it must work offline (last line: %q)", r.code, lines[len(lines)-1])
		}
		if !strings.Contains(r.out, `registered kernel "gonb"`) {
			t.Errorf("the kernel was not registered")
		}
	})

	fault(t, "offline with a cold module cache", func(t *testing.T) {
		t.Parallel()
		home := t.TempDir()
		env := baseEnv(true, "HOME="+home, "GOMODCACHE="+filepath.Join(home, "modcache"), "JUPYTER_DATA_DIR="+filepath.Join(home, "jupyter"))
		r := runInstall(t, env, "", 2*time.Minute)
		if r.timedOut {
			t.Fatalf("hung: still running after %v", r.took.Round(time.Second))
		}
		if r.code == 0 {
			return // everything it needed was there after all
		}
		lines := strings.Split(r.out, "\n")
		last := lines[len(lines)-1]
		if !strings.HasPrefix(last, "install: error: ") || !strings.Contains(last, "GOPROXY") {
			t.Errorf("the last line does not say what is missing and what to do: %q", last)
		}
	})

	fault(t, "as a normal user (nobody), offline", func(t *testing.T) {
		t.Parallel()
		if os.Geteuid() != 0 {
			t.Skip("skipped: not root, so this run already is a normal user's")
		}
		if _, err := user.Lookup("nobody"); err != nil {
			t.Skip("skipped: no user nobody")
		}
		if _, err := exec.LookPath("runuser"); err != nil {
			t.Skip("skipped: no runuser")
		}
		if out, err := exec.Command("runuser", "-u", "nobody", "--", "env", "PATH="+origEnv["PATH"], "go", "version").CombinedOutput(); err != nil {
			t.Skipf("skipped: nobody cannot run this Go: %v: %s", err, out)
		}
		if why := installed(t); why != "" {
			t.Skip("skipped: " + why)
		}
		// nobody's own home, and the module metadata install.sh reads
		// (go.mod and .info files) copied where nobody can read them.
		tmp, err := os.MkdirTemp("", "juanji-nobody-") // not t.TempDir: its parent is private
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(tmp) })
		os.Chmod(tmp, 0o755)
		home, mc := filepath.Join(tmp, "home"), filepath.Join(tmp, "modcache")
		os.Mkdir(home, 0o755)
		if out, err := exec.Command("chown", "nobody", home).CombinedOutput(); err != nil {
			t.Skipf("skipped: chown: %v: %s", err, out)
		}
		if err := copyModuleMetadata(filepath.Join(origEnv["GOMODCACHE"], "cache", "download"), filepath.Join(mc, "cache", "download")); err != nil {
			t.Skipf("skipped: no module cache to copy: %v", err)
		}
		env := []string{"HOME=" + home, "PATH=" + origEnv["PATH"], "GOMODCACHE=" + mc, "GOPROXY=off", "GOFLAGS=-mod=mod", "LANG=C.UTF-8"}
		r := runInstall(t, env, "nobody", 2*time.Minute)
		if r.timedOut {
			t.Fatalf("hung: still running after %v", r.took.Round(time.Second))
		}
		if r.code != 0 {
			t.Fatalf("exit %d", r.code)
		}
		spec := filepath.Join(home, ".local", "share", "jupyter", "kernels", "gonb", "kernel.json")
		if _, err := os.Stat(spec); err != nil {
			t.Errorf("the kernel was not registered in nobody's home: %v", err)
		}
	})
}

// copyModuleMetadata copies the .mod and .info files of a module download
// cache, readable by all.
func copyModuleMetadata(from, to string) error {
	if _, err := os.Stat(from); err != nil {
		return err
	}
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".mod") || strings.HasSuffix(p, ".info")) {
			return nil
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}
