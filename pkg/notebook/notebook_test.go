package notebook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuick(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"", false},
		{"0", false},
		{"false", false},
		{"no", false},
		{"nonsense", false},
		{"1", true},
		{"true", true},
		{"TRUE", true},
		{" yes ", true},
		{"on", true},
	} {
		t.Setenv(QuickEnv, tc.value)
		if got := Quick(); got != tc.want {
			t.Errorf("%s=%q: Quick() = %v, want %v", QuickEnv, tc.value, got, tc.want)
		}
	}
}

func TestPickAndMode(t *testing.T) {
	t.Setenv(QuickEnv, "")
	if got := Pick(16, 1); got != 16 {
		t.Errorf("full mode: Pick(16, 1) = %d, want 16", got)
	}
	if got := Mode(); got != "full" {
		t.Errorf("full mode: Mode() = %q", got)
	}
	t.Setenv(QuickEnv, "1")
	if got := Pick(16, 1); got != 1 {
		t.Errorf("quick mode: Pick(16, 1) = %d, want 1", got)
	}
	if got := Pick("all", "some"); got != "some" {
		t.Errorf("quick mode: Pick(all, some) = %q", got)
	}
	if got := Mode(); got != "quick" {
		t.Errorf("quick mode: Mode() = %q", got)
	}
}

func TestRoot(t *testing.T) {
	t.Setenv(RootEnv, "")
	root := Root()
	if root == "" {
		t.Fatal("Root() found no checkout from the package's own source")
	}
	if !isCheckout(root) {
		t.Errorf("Root() = %q, which has no go.mod declaring %s", root, Module)
	}
	if _, err := os.Stat(filepath.Join(root, "pkg", "notebook")); err != nil {
		t.Errorf("Root() = %q: %v", root, err)
	}

	other := t.TempDir()
	t.Setenv(RootEnv, other)
	if got := Root(); got != other {
		t.Errorf("with %s=%q: Root() = %q", RootEnv, other, got)
	}
}

func TestIsCheckout(t *testing.T) {
	dir := t.TempDir()
	if isCheckout(dir) {
		t.Error("a folder with no go.mod is not a checkout")
	}
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("module example.com/other\n")
	if isCheckout(dir) {
		t.Error("another module's go.mod is not a checkout")
	}
	write("// juanji\nmodule " + Module + "\n\ngo 1.26.0\n")
	if !isCheckout(dir) {
		t.Error("juanji's go.mod not recognised")
	}
}

func TestDataDir(t *testing.T) {
	t.Setenv(DataEnv, "")
	t.Setenv(RootEnv, "")
	want := filepath.Join(Root(), "data")
	if got := DataDir(); got != want {
		t.Errorf("DataDir() = %q, want the checkout's %q", got, want)
	}

	elsewhere := t.TempDir()
	t.Setenv(DataEnv, elsewhere)
	if got := DataDir(); got != elsewhere {
		t.Errorf("with %s=%q: DataDir() = %q", DataEnv, elsewhere, got)
	}

	t.Setenv(DataEnv, "relative/data")
	if got := DataDir(); !filepath.IsAbs(got) || !strings.HasSuffix(got, filepath.Join("relative", "data")) {
		t.Errorf("with %s=relative/data: DataDir() = %q, want it made absolute", DataEnv, got)
	}
}

func TestBanner(t *testing.T) {
	for _, tc := range []struct {
		quick, dataset string
		extra          []string
		want           string
	}{
		{"", "MNIST", nil, "juanji | mode: full | dataset: MNIST"},
		{"1", "CIFAR-10", nil, "juanji | mode: quick (JUANJI_QUICK=1) | dataset: CIFAR-10"},
		{"", "", nil, "juanji | mode: full"},
		{"", "MNIST", []string{"backend: go"}, "juanji | mode: full | dataset: MNIST | backend: go"},
	} {
		t.Setenv(QuickEnv, tc.quick)
		if got := Banner(tc.dataset, tc.extra...); got != tc.want {
			t.Errorf("quick=%q Banner(%q, %q) = %q, want %q", tc.quick, tc.dataset, tc.extra, got, tc.want)
		}
	}
}
