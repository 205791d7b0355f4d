package gomlxpatch

import (
	"bytes"
	"io"
	"os"
	"sync"
)

// stdoutMu serializes the swaps of os.Stdout made here.
var stdoutMu sync.Mutex

// DropStdoutLines runs fn with os.Stdout pointing at a pipe, then writes what
// was printed meanwhile to the real standard output, less the lines that start
// with prefix (GoMLX code that prints with fmt.Printf, which a notebook would
// show).
//
// Care taken: only the os.Stdout variable is swapped (file descriptor 1 is
// untouched, so C code and child processes are unaffected); a mutex keeps two
// swaps from interleaving; the pipe is drained by a goroutine, so a large
// output cannot block fn; the original is restored even if fn panics; and
// anything another goroutine prints through os.Stdout during the swap is kept,
// only delayed until fn returns. If no pipe can be made, fn runs unfiltered.
func DropStdoutLines(prefix string, fn func()) {
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
		if kept := DropLines(<-captured, prefix); len(kept) > 0 {
			_, _ = orig.Write(kept)
		}
	}()
	fn()
}

// DropLines returns data without the lines that start with prefix.
func DropLines(data []byte, prefix string) []byte {
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
