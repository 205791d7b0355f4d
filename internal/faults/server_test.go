package faults

import (
	"bytes"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/juanji/juanji/pkg/data"
)

// mirror is a local download server for the MNIST test split (the real
// files), in the manner of pkg/data's test servers: a handler per file name
// may replace the normal one to misbehave, and files are streamed in chunks
// so that concurrent downloads overlap.
type mirror struct {
	srv      *httptest.Server
	files    map[string][]byte
	mu       sync.Mutex
	special  map[string]http.HandlerFunc
	requests atomic.Int64

	chunk int           // bytes per write (0: all at once)
	pause time.Duration // between chunks

	// gate, when set, holds each request for images until this many have
	// arrived (or 5 s passed), so that downloads run at the same time.
	gate    int
	arrived atomic.Int64
	opened  chan struct{}
	once    sync.Once
}

func newMirror(t *testing.T, m *mnistFiles) *mirror {
	mi := &mirror{
		files:   map[string][]byte{mnistImages: m.images, mnistLabels: m.labels},
		special: map[string]http.HandlerFunc{},
		opened:  make(chan struct{}),
	}
	mi.srv = httptest.NewServer(mi)
	t.Cleanup(mi.srv.Close)
	return mi
}

// URL is the mirror's base URL, as WithMirrors takes it.
func (mi *mirror) URL() string { return mi.srv.URL + "/" }

// set replaces the handler for a file name (nil restores the normal one).
func (mi *mirror) set(name string, h http.HandlerFunc) {
	mi.mu.Lock()
	defer mi.mu.Unlock()
	if h == nil {
		delete(mi.special, name)
	} else {
		mi.special[name] = h
	}
}

func (mi *mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mi.requests.Add(1)
	name := filepath.Base(r.URL.Path)
	mi.mu.Lock()
	h := mi.special[name]
	mi.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	b, ok := mi.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if mi.gate > 0 && name == mnistImages {
		if mi.arrived.Add(1) >= int64(mi.gate) {
			mi.once.Do(func() { close(mi.opened) })
		}
		select {
		case <-mi.opened:
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
			return
		}
	}
	serve(w, b, mi.chunk, mi.pause)
}

// serve writes b as a file download, in chunks with a pause between them.
func serve(w http.ResponseWriter, b []byte, chunk int, pause time.Duration) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if chunk <= 0 {
		w.Write(b)
		return
	}
	for len(b) > 0 {
		n := min(chunk, len(b))
		if _, err := w.Write(b[:n]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		b = b[n:]
		time.Sleep(pause)
	}
}

// cutAfter sends the headers of a whole file, n bytes of it, then drops the
// connection.
func cutAfter(b []byte, n int, declared int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(declared))
		w.Write(b[:n])
		w.(http.Flusher).Flush()
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}
}

// closedPort returns the base URL of a local port nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/"
}

// loadMNIST loads the MNIST test split under root, from the mirrors given,
// never panicking.
func loadMNIST(t *testing.T, root string, opts ...data.Option) (*data.Dataset, error) {
	t.Helper()
	opts = append([]data.Option{data.WithProgress(nil)}, opts...)
	return noPanic(t, "data.MNIST", func() (*data.Dataset, error) { return data.MNIST(root, false, opts...) })
}

// checkTrust checks what a fault left under root: no temporary file, every
// dataset file byte-identical to the real one (else it is counted as
// corrupted), and a second load with NoDownload either fails or gives the
// real data. placed lists files the test itself put there (not judged).
func checkTrust(t *testing.T, root string, m *mnistFiles, placed ...string) {
	t.Helper()
	real := map[string][]byte{mnistImages: m.images, mnistLabels: m.labels}
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		for _, p := range placed {
			if p == path {
				return nil
			}
		}
		name := d.Name()
		switch want, known := real[name]; {
		case strings.Contains(name, ".part"):
			t.Errorf("temporary file left behind: %s", path)
		case known:
			if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
				corrupt(t, "%s left with %d bytes that are not the real file", path, len(got))
			}
		default:
			t.Errorf("unexpected file left behind: %s", path)
		}
		return nil
	})
	ds, err := loadMNIST(t, root, data.NoDownload())
	if err == nil {
		if got := digest(ds); got != m.digest {
			corrupt(t, "a later offline load trusts %s: content %s, want %s", ds.Source, got, m.digest)
		}
		return
	}
	if !strings.Contains(err.Error(), "no verified copy") {
		t.Errorf("offline load after the fault: unclear error: %v", err)
	}
}
