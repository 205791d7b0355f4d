package device

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
)

// simpleGoChatter is the start of the line SimpleGo v0.26.0 prints to
// standard output (fmt.Printf) whenever its configuration sets parallelism.
const simpleGoChatter = "SimpleGo backend: parallelism set to "

// stdoutMu serializes the swaps of os.Stdout made here.
var stdoutMu sync.Mutex

// newQuietBackend creates a backend from config like
// backends.NewWithConfig, hiding SimpleGo's "parallelism set to" line.
func newQuietBackend(config string) (backends.Backend, error) {
	if !strings.HasPrefix(config, "go:") || !strings.Contains(config, "parallelism=") {
		return backends.NewWithConfig(config)
	}
	var (
		b   backends.Backend
		err error
	)
	quietSimpleGo(func() { b, err = backends.NewWithConfig(config) })
	return b, err
}

// quietSimpleGo runs fn with os.Stdout pointing at a pipe, then writes what
// was printed meanwhile to the real standard output, less SimpleGo's
// "parallelism set to" line.
//
// Care taken: only the os.Stdout variable is swapped (file descriptor 1 is
// untouched, so C code and child processes are unaffected); a mutex keeps two
// swaps from interleaving; the pipe is drained by a goroutine, so a large
// output cannot block fn; the original is restored even if fn panics; and
// anything another goroutine prints through os.Stdout during the swap (a
// fraction of a millisecond) is kept, only delayed until fn returns. If no
// pipe can be made, fn runs unfiltered.
func quietSimpleGo(fn func()) {
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	r, w, err := os.Pipe()
	if err != nil {
		fn()
		return
	}
	orig := os.Stdout
	captured := make(chan []byte, 1)
	go func() {
		data, _ := io.ReadAll(r)
		_ = r.Close()
		captured <- data
	}()
	os.Stdout = w
	defer func() {
		os.Stdout = orig
		_ = w.Close()
		if kept := dropLines(<-captured, simpleGoChatter); len(kept) > 0 {
			_, _ = orig.Write(kept)
		}
	}()
	fn()
}

// dropLines returns data without the lines that start with prefix.
func dropLines(data []byte, prefix string) []byte {
	var out bytes.Buffer
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		if !bytes.HasPrefix(line, []byte(prefix)) {
			out.Write(line)
		}
	}
	return out.Bytes()
}
