package bench

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// runScript runs a bench script with extra environment variables and returns its combined
// output and exit status.
func runScript(t *testing.T, script string, env ...string) (string, int) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	}
	t.Fatalf("running %s: %v\n%s", script, err, out.String())
	return "", -1
}

// TestGPUCheckStopsWithoutBinaries: a missing, broken or damaged binary stops the run at
// once with exit status 3 and one FATAL line, before any step.
func TestGPUCheckStopsWithoutBinaries(t *testing.T) {
	write := func(dir, name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	broken := t.TempDir()
	for _, name := range []string{"juanji-bench", "pjrt-probe", "pkg__nn.test"} {
		write(broken, name, "#!/bin/sh\necho 'version `GLIBC_2.34'\"'\"' not found (fake)' >&2\nexit 1\n")
	}
	damaged := t.TempDir()
	write(damaged, "juanji-bench", "#!/bin/sh\necho '  -models string'\n")
	write(damaged, "MANIFEST", "# built (fake)\nfile=juanji-bench mib=0.0 sha256=0000 glibc_needed=2.34 built=never\n")
	for _, tc := range []struct {
		name, bin, want string
	}{
		{"missing", t.TempDir(), "FATAL missing"},
		{"does not run", broken, "does not run here"},
		{"damaged", damaged, "is damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			got, rc := runScript(t, "gpu-check.sh", "BENCH_BIN="+tc.bin, "OUT="+out, "PLUGIN=/nonexistent")
			if rc != 3 {
				t.Fatalf("exit status %d, want 3; output:\n%s", rc, got)
			}
			if n := strings.Count(got, "FATAL"); n != 1 || !strings.Contains(got, tc.want) {
				t.Errorf("want one FATAL line containing %q; output:\n%s", tc.want, got)
			}
			if strings.Contains(got, "step name=") {
				t.Errorf("a step ran before the binaries were checked:\n%s", got)
			}
			report, err := os.ReadFile(filepath.Join(out, "report.txt"))
			if err != nil || !strings.Contains(string(report), "FATAL") {
				t.Errorf("report.txt lacks the FATAL line (%v):\n%s", err, report)
			}
		})
	}
}

// TestGPUCheckRehearsal builds what a GPU run carries (bench/build.sh, unstripped so that
// `go test`'s build cache serves), runs bench/rehearse.sh (fake nvidia-smi, fake
// site-packages, JUANJI_DEVICE=go) with the budget pretended spent after the GPU models, and
// checks the report: every section in order, the plugin's version line, the XLA test's skip
// reported as not passed, the CPU steps reported as cut, the summary lines, exit status 1.
// Without -short, PyTorch runs too (where it is installed), and so do the GPU run's own paths
// against the stub plugin (the probe's crash reported, the rest completed).
func TestGPUCheckRehearsal(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	trackInputs(t)
	bin, out := t.TempDir(), t.TempDir()
	build, rc := runScript(t, "build.sh", "BENCH_BIN="+bin, "BUILD_PLAIN=1", "PACK_OVER_MIB=100000")
	if rc != 0 {
		t.Fatalf("bench/build.sh: exit status %d\n%s", rc, build)
	}
	env := []string{"BENCH_BIN=" + bin, "OUT=" + out, "REHEARSE_SPEND=gpu-lenet-go:1000"}
	if testing.Short() {
		env = append(env, "PT_SKIP=1")
	}
	got, rc := runScript(t, "rehearse.sh", env...)
	b, err := os.ReadFile(filepath.Join(out, "report.txt"))
	if err != nil {
		t.Fatalf("no report: %v\n%s", err, got)
	}
	report := string(b)
	if rc != 1 {
		t.Errorf("exit status %d, want 1 (steps cut, XLA test not passed)", rc)
	}
	defer func() {
		if t.Failed() {
			t.Logf("report:\n%s", report)
		}
	}()

	// Sections, in this order.
	pos := 0
	for _, s := range []string{"# juanji gpu-check ", "== preflight", "== facts", "== env", "== probe", "== xla-test",
		"== gpu models", "== cpu models", "== probe-no-ldpath", "== ratios", "== summary", "# done "} {
		i := strings.Index(report[pos:], s)
		if i < 0 {
			t.Fatalf("report lacks %q after byte %d", s, pos)
		}
		pos += i
	}
	want := []string{
		`(?m)^# juanji gpu-check .* mode=rehearsal .*budget_s=380$`,
		`(?m)^plan step_timeouts_sum_s=(\d+) budget_s=380`,
		`(?m)^bin name=juanji-bench exec=ok `,
		`(?m)^bin name=pjrt-probe exec=ok `,
		`(?m)^bin name=pkg__nn.test exec=ok `,
		`(?m)^facts glibc=\d+\.\d+ `,
		`(?m)^facts driver=0.0.rehearsal driver_cuda=0.0$`,
		`(?m)^facts jax_gpu_devices=\['FakeCudaDevice\(id=0\)'\]$`,
		`(?m)^env XLA_FLAGS=--xla_gpu_cuda_data_dir=\S+/site-packages/nvidia/cu13$`,
		`(?m)^env PATH=\S+/nvidia/cu13/bin:\$PATH$`,
		`(?m)^env LD_LIBRARY_PATH=[^:\s]+/nvidia/cu13/lib:[^:\s]+/nvidia/cudnn/lib$`,
		`(?m)^step name=probe status=ok `,
		`(?m)^probe verdict=ok `,
		`(?m)^step name=xla-test status=not_passed `,
		`(?m)^--- SKIP: TestNativeMatchesPortableGradientsOnXLA`,
		`(?m)^xla-test NOT PASSED`,
		`(?m)^step name=gpu-lenet-go status=ok `,
		`(?m)^bench section=gpu framework=gomlx model=lenet device=cpu backend=go .*sync=step params=61706$`,
		`(?m)^rehearsal spent_s=1000 after=gpu-lenet-go `,
		`(?m)^step name=cpu-lenet-go status=cut reason=budget `,
		`(?m)^step name=probe-no-ldpath status=cut reason=budget `,
		`(?m)^probe: verdict=ok `,
		`(?m)^gpu: lenet go=[0-9.]+ pytorch=\S+ ratio=\S+`,
		`(?m)^cpu: lenet go=none pytorch=none ratio=none$`,
		`(?m)^steps ok=\d+ failed=1 cut=\d+ skipped=\d+ not_passed=\S*xla-test:not_passed\S*cpu-lenet-go:cut\S*$`,
		`(?m)^# done elapsed_s=\d+ exit=1 `,
	}
	if _, err := exec.LookPath("gcc"); err == nil {
		want = append(want, `(?m)^probe pjrt plugin="\S+/jax_plugins/xla_cuda13/xla_cuda_plugin.so" dlopen=ok plugin_api=0.95 headers_api=0.83 plugin_api_struct_size=1200 headers_api_struct_size=1000 compare=plugin_newer$`)
	}
	for _, re := range want {
		if !regexp.MustCompile(re).MatchString(report) {
			t.Errorf("report lacks a line matching %s", re)
		}
	}
	if m := regexp.MustCompile(`(?m)^plan step_timeouts_sum_s=(\d+)`).FindStringSubmatch(report); m != nil {
		if n, _ := strconv.Atoi(m[1]); n > 380 {
			t.Errorf("the per-step timeouts add up to %d s, more than the 380 s budget", n)
		}
	}
	if regexp.MustCompile(`(?m)^step name=(cpu-\S+|probe-no-ldpath) status=ok`).MatchString(report) {
		t.Error("a step after the pretended spending ran instead of being cut")
	}
	if testing.Short() {
		return
	}

	// The GPU run's own paths against the stub plugin, whose PJRT functions are all NULL: the
	// probe dies in go-xla's first call, which the report names; the Go GPU steps are skipped,
	// the rest runs and the report is complete.
	if _, err := exec.LookPath("gcc"); err != nil {
		return
	}
	out2 := t.TempDir()
	got2, rc2 := runScript(t, "rehearse.sh", "BENCH_BIN="+bin, "OUT="+out2, "REHEARSAL=0", "GO_DEVICE=cuda", "PT_SKIP=1", "CPU_MODELS=")
	b2, err := os.ReadFile(filepath.Join(out2, "report.txt"))
	if err != nil {
		t.Fatalf("no report from the GPU paths: %v\n%s", err, got2)
	}
	report2 := string(b2)
	if rc2 != 1 {
		t.Errorf("GPU paths: exit status %d, want 1", rc2)
	}
	for _, re := range []string{
		`(?m)^# juanji gpu-check .* mode=gpu `,
		`(?m)^step name=probe status=failed `,
		`(?m)^probe verdict=crashed plugin_api=0.95 headers_api=0.83 signal=SIGSEGV in=PJRT_Plugin_Initialize$`,
		`(?m)^step name=xla-test status=skipped reason=probe_failed$`,
		`(?m)^step name=gpu-lenet-go status=skipped reason=probe_failed$`,
		`(?m)^gpu: lenet go=none pytorch=none ratio=none$`,
		`(?m)^# done elapsed_s=\d+ exit=1 `,
	} {
		if !regexp.MustCompile(re).MatchString(report2) {
			t.Errorf("GPU paths: report lacks a line matching %s\n%s", re, report2)
		}
	}
}

// trackInputs stats every source file the rehearsal depends on (the scripts, the module's Go
// and C files, go.mod, go.sum), so that `go test`'s cache keeps this test's result only while
// none of them has changed: the script and the binaries it builds are read by other
// processes, which the cache does not see.
func trackInputs(t *testing.T) {
	t.Helper()
	_, _ = os.Stat(filepath.Join("..", "go.mod"))
	_, _ = os.Stat(filepath.Join("..", "go.sum"))
	for _, dir := range []string{"../bench", "../cmd", "../pkg", "../internal"} {
		_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				if d != nil && d.IsDir() && (d.Name() == "bin" || strings.HasPrefix(d.Name(), "out")) {
					return filepath.SkipDir
				}
				return nil
			}
			switch filepath.Ext(path) {
			case ".go", ".sh", ".py", ".c", ".s", ".h":
				_, _ = os.Stat(path)
			}
			return nil
		})
	}
}
