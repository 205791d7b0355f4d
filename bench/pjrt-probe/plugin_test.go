package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// buildStub compiles bench/testdata/pjrt_stub.c into a shared library posing as a plugin built
// from PJRT headers 0.minor with funcs function pointers; it skips without a C compiler.
func buildStub(t *testing.T, minor, funcs int) string {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		if cc, err = exec.LookPath("cc"); err != nil {
			t.Skip("no C compiler to build the stub plugin")
		}
	}
	out := filepath.Join(t.TempDir(), "xla_cuda_plugin.so")
	cmd := exec.Command(cc, "-shared", "-fPIC", "-DSTUB_MINOR="+strconv.Itoa(minor), "-DSTUB_FUNCS="+strconv.Itoa(funcs),
		"-o", out, filepath.Join("..", "testdata", "pjrt_stub.c"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the stub plugin: %v\n%s", err, b)
	}
	return out
}

func TestInspectPluginNewerThanHeaders(t *testing.T) {
	info := inspectPlugin(buildStub(t, 95, 145))
	if !info.Loaded() || info.Major != 0 || info.Minor != 95 || info.APIStructSize != 1200 || info.VersionStructSize != 24 {
		t.Fatalf("inspectPlugin = %+v, want version 0.95, struct sizes 1200 and 24", info)
	}
	if got := info.Compare(); got != "plugin_newer" {
		t.Errorf("Compare() = %q, want plugin_newer", got)
	}
	line := info.Line()
	for _, want := range []string{"dlopen=ok", "plugin_api=0.95", "headers_api=0.83", "plugin_api_struct_size=1200", "headers_api_struct_size=1000", "compare=plugin_newer"} {
		if !strings.Contains(line, want) {
			t.Errorf("Line() = %q, want it to contain %q", line, want)
		}
	}
	if strings.Contains(line, "\n") {
		t.Errorf("Line() spans several lines: %q", line)
	}
}

func TestInspectPluginSameAsHeaders(t *testing.T) {
	info := inspectPlugin(buildStub(t, headersMinor, (headersAPIStructSize-40)/8))
	if got := info.Compare(); got != "same" {
		t.Errorf("Compare() = %q for a 0.83 plugin with a %d-byte table, want same (%+v)", got, headersAPIStructSize, info)
	}
}

func TestInspectPluginNotALibrary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "xla_cuda_plugin.so")
	if err := os.WriteFile(path, []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	info := inspectPlugin(path)
	if info.Loaded() || info.DlopenErr == "" {
		t.Fatalf("inspectPlugin(text file) = %+v, want a dlopen error", info)
	}
	if line := info.Line(); !strings.Contains(line, "dlopen=failed") || !strings.Contains(line, "xla_cuda_plugin.so") {
		t.Errorf("Line() = %q, want dlopen=failed with dlerror's message", line)
	}
}

func TestIsStructSizeError(t *testing.T) {
	for msg, want := range map[string]bool{
		"Unexpected PJRT_Client_Create_Args size: expected 96, got 88. Check installed software versions.": true,
		"INVALID_ARGUMENT: PJRT_ExecuteOptions struct_size 112 is smaller than 128":                        true,
		"failed to load PJRT plugin: libcudnn.so.9: cannot open shared object file":                        false,
		"out of memory while trying to allocate 1.2GiB":                                                    false,
	} {
		if got := isStructSizeError(msg); got != want {
			t.Errorf("isStructSizeError(%q) = %v, want %v", msg, got, want)
		}
	}
}

func TestPluginPath(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pjrt_c_api_cuda_plugin.so")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", "/nonexistent:"+dir)
	for cfg, want := range map[string]string{
		"xla:/abs/x.so,shared_buffers": "/abs/x.so",
		"xla:cuda":                     p,
		"xla:rocm":                     "",
		"go":                           "",
		"":                             "",
	} {
		if got := pluginPath(cfg); got != want {
			t.Errorf("pluginPath(%q) = %q, want %q", cfg, got, want)
		}
	}
}

// TestHeaderConstants checks headersMajor, headersMinor and headersAPIStructSize against
// go-xla's pjrt_c_api.h in the module cache (PJRT_Api: 40 bytes of head, 8 per function).
func TestHeaderConstants(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/gomlx/go-xla").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("go-xla's source is not in the module cache: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "pkg", "pjrt", "pjrt_c_api.h"))
	if err != nil {
		t.Skipf("reading go-xla's header: %v", err)
	}
	h := string(b)
	define := func(name string) int {
		m := regexp.MustCompile(`(?m)^#define ` + name + ` (\d+)`).FindStringSubmatch(h)
		if m == nil {
			t.Fatalf("no #define %s in pjrt_c_api.h", name)
		}
		v, _ := strconv.Atoi(m[1])
		return v
	}
	if major, minor := define("PJRT_API_MAJOR"), define("PJRT_API_MINOR"); major != headersMajor || minor != headersMinor {
		t.Errorf("go-xla's headers are PJRT %d.%d, the probe says %d.%d", major, minor, headersMajor, headersMinor)
	}
	start := strings.Index(h, "typedef struct PJRT_Api {")
	end := strings.Index(h[max(start, 0):], "} PJRT_Api;")
	if start < 0 || end < 0 {
		t.Fatal("no PJRT_Api struct in pjrt_c_api.h")
	}
	funcs := strings.Count(h[start:start+end], "_PJRT_API_STRUCT_FIELD(")
	if size := 40 + 8*funcs; size != headersAPIStructSize {
		t.Errorf("go-xla's PJRT_Api is %d bytes (%d functions), the probe says %d", size, funcs, headersAPIStructSize)
	}
}
