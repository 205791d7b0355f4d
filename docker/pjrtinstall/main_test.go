package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/juanji/juanji/internal/buildinfo"
)

// fakeInstallers write small files where go-xla's installer writes the
// plugins, and record what they were asked.
func fakeInstallers(t *testing.T, calls *[]string) installers {
	t.Helper()
	return installers{
		cpu: func(goxlaDir string) error {
			*calls = append(*calls, "cpu "+goxlaDir)
			if err := os.MkdirAll(goxlaDir, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(goxlaDir, "pjrt_c_api_cpu_v0.83.3_plugin.so"), []byte("cpu"), 0o644); err != nil {
				return err
			}
			return os.Symlink("pjrt_c_api_cpu_v0.83.3_plugin.so", filepath.Join(goxlaDir, "pjrt_c_api_cpu_plugin.so"))
		},
		cuda13: func(version, goxlaDir string) error {
			*calls = append(*calls, "cuda13 "+version+" "+goxlaDir)
			nvidia := filepath.Join(goxlaDir, "nvidia")
			if err := os.MkdirAll(nvidia, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(nvidia, "pjrt_c_api_cuda_plugin.so"), []byte("cuda"), 0o644)
		},
	}
}

func version(v string) func(string) string {
	return func(module string) string {
		if module == goXLAModule {
			return v
		}
		return ""
	}
}

func TestRunInstallsAndReports(t *testing.T) {
	dir := t.TempDir()
	var calls []string
	var out bytes.Buffer
	err := run([]string{"-dir", dir, "-cuda13", "0.8.1", "-expect-go-xla", "v0.1.4"}, &out, fakeInstallers(t, &calls), version("v0.1.4"))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	goxla := filepath.Join(dir, "go-xla")
	want := []string{"cpu " + goxla, "cuda13 0.8.1 " + goxla}
	if strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Errorf("installer calls = %q, want %q", calls, want)
	}
	for _, s := range []string{
		"go-xla v0.1.4 installer",
		"pjrt_c_api_cpu_v0.83.3_plugin.so (3 bytes, sha256 ",
		"nvidia/pjrt_c_api_cuda_plugin.so (4 bytes, sha256 ",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
}

func TestRunCPUOnly(t *testing.T) {
	for _, cuda := range []string{"", "none"} {
		var calls []string
		var out bytes.Buffer
		if err := run([]string{"-dir", t.TempDir(), "-cuda13", cuda}, &out, fakeInstallers(t, &calls), version("v0.1.4")); err != nil {
			t.Fatalf("-cuda13 %q: %v", cuda, err)
		}
		if len(calls) != 1 || !strings.HasPrefix(calls[0], "cpu ") {
			t.Errorf("-cuda13 %q: calls %q, want the CPU plugin only", cuda, calls)
		}
	}
}

func TestRunRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, wantErr string
		args          []string
	}{
		{"latest", "never \"latest\"", []string{"-cuda13", "latest"}},
		{"range", "exact JAX version", []string{"-cuda13", ">=0.8"}},
		{"go-xla drift", "align docker/Dockerfile's GO_XLA_VERSION", []string{"-expect-go-xla", "v0.1.3"}},
		{"nothing", "nothing to install", []string{"-cpu=false"}},
		{"bad sha", "64 hexadecimal digits", []string{"-cpu-sha256", "abc"}},
		{"wrong sha", "sha256", []string{"-cpu-sha256", strings.Repeat("0", 64)}},
		{"stray argument", "unexpected arguments", []string{"latest"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			var out bytes.Buffer
			args := append([]string{"-dir", t.TempDir()}, tc.args...)
			err := run(args, &out, fakeInstallers(t, &calls), version("v0.1.4"))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tc.args, err, tc.wantErr)
			}
		})
	}
}

func TestRunChecksCPUSum(t *testing.T) {
	var calls []string
	var out bytes.Buffer
	dir := t.TempDir()
	p := filepath.Join(t.TempDir(), "x")
	if err := os.WriteFile(p, []byte("cpu"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, _, err := fileSHA256(p) // the fake CPU plugin holds "cpu" too
	if err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-dir", dir, "-cpu-sha256", strings.ToUpper(sum)}, &out, fakeInstallers(t, &calls), version("v0.1.4")); err != nil {
		t.Fatalf("with the right sha256: %v", err)
	}
}

// The test binary is built with the go-xla that go.mod pins; buildinfo.ModuleVersion must
// find it, or the Dockerfile's -expect-go-xla check could never pass.
func TestBuiltWith(t *testing.T) {
	if v := buildinfo.ModuleVersion(goXLAModule); !strings.HasPrefix(v, "v") {
		t.Errorf("ModuleVersion(%q) = %q, want a version", goXLAModule, v)
	}
	if v := buildinfo.ModuleVersion("example.com/not/a/dependency"); v != "" {
		t.Errorf("ModuleVersion(unknown) = %q, want \"\"", v)
	}
}
