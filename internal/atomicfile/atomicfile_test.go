package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// leftovers lists the temporary files of path.
func leftovers(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(TempGlob(path))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWriteReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "model.ckpt")
	for _, content := range []string{"first", "second, longer"} {
		if err := Write(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	if l := leftovers(t, path); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
}

func TestAbortLeavesTheOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := Write(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half of the new")
	if l := leftovers(t, path); len(l) != 1 {
		t.Fatalf("while writing: temporary files %v, want one", l)
	}
	f.Abort()
	f.Abort() // twice is fine
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("after Abort: %q, want the old content", got)
	}
	if l := leftovers(t, path); len(l) > 0 {
		t.Errorf("after Abort: temporary files left: %v", l)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestCommitFailureRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "target")
	if err := os.Mkdir(path, 0o755); err != nil { // a folder cannot be renamed over
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("data"), 0o644); err == nil {
		t.Fatal("writing over a non-empty folder succeeded")
	}
	if l := leftovers(t, path); len(l) > 0 {
		t.Errorf("temporary files left after a failed commit: %v", l)
	}
}

func TestCreateInUnusableFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if err := Write(filepath.Join(file, "under-a-file"), []byte("x"), 0o644); err == nil {
		t.Error("writing under a regular file succeeded")
	}
}

func TestIsTemp(t *testing.T) {
	for _, tc := range []struct {
		dest, name string
		want       bool
	}{
		{"a.gz", ".a.gz.123.part", true},
		{"a.gz", ".a.gz..part", false},
		{"a.gz", "a.gz", false},
		{"a.gz", ".b.gz.123.part", false},
		{"a.gz", ".a.gz.123.tmp", false},
	} {
		if got := IsTemp(tc.dest, tc.name); got != tc.want {
			t.Errorf("IsTemp(%q, %q) = %v, want %v", tc.dest, tc.name, got, tc.want)
		}
	}
	// The names Create makes are the ones IsTemp knows.
	path := filepath.Join(t.TempDir(), "m.ckpt")
	f, err := Create(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	if !IsTemp("m.ckpt", filepath.Base(f.Name())) {
		t.Errorf("IsTemp does not know Create's name %q", f.Name())
	}
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.gz")
	stale, live, other := filepath.Join(dir, ".a.gz.1.part"), filepath.Join(dir, ".a.gz.2.part"), filepath.Join(dir, ".b.gz.3.part")
	for _, p := range []string{stale, live, other} {
		os.WriteFile(p, []byte("x"), 0o644)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	os.Chtimes(other, old, old)
	RemoveStale(path, time.Hour)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("the stale temporary file is still there")
	}
	for _, p := range []string{live, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
}
