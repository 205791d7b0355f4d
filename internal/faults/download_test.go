package faults

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/juanji/juanji/pkg/data"
)

// TestDownloadFaults: each way a download goes wrong ends in an error that
// names the URL and the reason, within the timeout, and leaves nothing a
// later run would trust.
func TestDownloadFaults(t *testing.T) {
	t.Parallel()
	m := needMNIST(t)
	img := m.images
	flipped := bytes.Clone(img)
	for i := len(flipped) / 2; i < len(flipped)/2+64; i++ {
		flipped[i] ^= 0x5a
	}
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		file    string // which file misbehaves (default: the images)
		want    string
	}{
		{"cut mid-way", cutAfter(img, len(img)/2, len(img)), "", "cut short"},
		{"wrong checksum", func(w http.ResponseWriter, r *http.Request) { serve(w, flipped, 0, 0) }, "", "checksum mismatch"},
		{"wrong length: junk after the file", func(w http.ResponseWriter, r *http.Request) {
			serve(w, append(bytes.Clone(img), make([]byte, 1000)...), 0, 0)
		}, "", "checksum mismatch"},
		{"wrong length: Content-Length larger than the file", cutAfter(img, len(img), len(img)+1000), "", "cut short"},
		{"HTML error page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><body><h1>Rate limit exceeded</h1></body></html>")
		}, "", "HTML page"},
		{"HTML error page, status 503", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "<html>down for maintenance</html>")
		}, "", "HTTP 503"},
		{"XML error page sent as a file", func(w http.ResponseWriter, r *http.Request) {
			serve(w, []byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>`), 0, 0)
		}, "", "HTML or XML page"},
		{"no answer past the timeout", hang, "", "timed out"},
		{"stalls mid-way past the timeout", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(img)))
			w.Write(img[:len(img)/3])
			w.(http.Flusher).Flush()
			hang(w, r)
		}, "", "timed out"},
		{"labels cut after the images arrived", cutAfter(m.labels, len(m.labels)/2, len(m.labels)), mnistLabels, "cut short"},
	} {
		fault(t, tc.name, func(t *testing.T) {
			t.Parallel()
			mi := newMirror(t, m)
			file := tc.file
			if file == "" {
				file = mnistImages
			}
			mi.set(file, tc.handler)
			root := t.TempDir()
			// A short timeout where the server hangs; elsewhere a long one, so
			// that a busy machine cannot turn a good transfer into a timeout.
			timeout := 5 * time.Second
			if tc.want == "timed out" {
				timeout = 300 * time.Millisecond
			}
			_, err := loadMNIST(t, root, data.WithMirrors(mi.URL()), data.WithHTTPClient(mi.srv.Client()),
				data.WithTimeout(timeout))
			if err == nil {
				t.Fatal("loaded without error")
			}
			// Where the server hangs, "timed out" in the error is the loader's own
			// deadline cutting the transfer off (the server would wait 10 s).
			for _, want := range []string{mi.URL() + file, tc.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			checkTrust(t, root, m)
		})
	}

	fault(t, "first mirror refuses connections, the second is good", func(t *testing.T) {
		t.Parallel()
		mi := newMirror(t, m)
		root := t.TempDir()
		ds, err := loadMNIST(t, root, data.WithMirrors(closedPort(t), mi.URL()), data.WithTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if got := digest(ds); got != m.digest {
			corrupt(t, "loaded content %s, want %s", got, m.digest)
		}
		checkTrust(t, root, m)
	})

	fault(t, "only mirror refuses connections", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		u := closedPort(t)
		_, err := loadMNIST(t, root, data.WithMirrors(u), data.WithTimeout(2*time.Second))
		if err == nil || !strings.Contains(err.Error(), u+mnistImages) {
			t.Fatalf("want an error naming %s, got %v", u+mnistImages, err)
		}
		if !strings.Contains(err.Error(), "refused") {
			t.Errorf("the error does not say the connection was refused:\n%v", err)
		}
		checkTrust(t, root, m)
	})
}

// TestConcurrentLoaders: several loaders fetch the same dataset into the
// same folder at the same time, as goroutines and as processes; each gets
// the real data and the folder ends with the verified files only.
func TestConcurrentLoaders(t *testing.T) {
	t.Parallel()
	m := needMNIST(t)

	fault(t, "8 goroutines download into one folder", func(t *testing.T) {
		t.Parallel()
		const n = 8
		mi := newMirror(t, m)
		mi.gate, mi.chunk, mi.pause = n, 128<<10, time.Millisecond
		root := t.TempDir()
		var wg sync.WaitGroup
		digests := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				ds, err := loadMNIST(t, root, data.WithMirrors(mi.URL()), data.WithTimeout(10*time.Second))
				errs[i] = err
				if err == nil {
					digests[i] = digest(ds)
				}
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Errorf("loader %d: %v", i, errs[i])
			} else if digests[i] != m.digest {
				corrupt(t, "loader %d got content %s, want %s", i, digests[i], m.digest)
			}
		}
		if got := mi.arrived.Load(); got < n {
			t.Errorf("only %d of %d loaders downloaded at the same time", got, n)
		}
		checkTrust(t, root, m)
	})

	fault(t, "3 processes download into one folder", func(t *testing.T) {
		t.Parallel()
		const n = 3
		mi := newMirror(t, m)
		mi.gate, mi.chunk, mi.pause = n, 128<<10, time.Millisecond
		root := t.TempDir()
		var wg sync.WaitGroup
		outs := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			cmd := child(t, "mnist", childRoot+"="+root, childURL+"="+mi.URL())
			wg.Go(func() {
				out, err := cmd.CombinedOutput()
				outs[i], errs[i] = strings.TrimSpace(string(out)), err
			})
		}
		wg.Wait()
		for i := range n {
			switch {
			case errs[i] != nil:
				t.Errorf("process %d: %v: %s", i, errs[i], outs[i])
			case !strings.HasSuffix(outs[i], "OK "+m.digest):
				corrupt(t, "process %d loaded other content: %q, want OK %s", i, outs[i], m.digest)
			}
		}
		if got := mi.arrived.Load(); got < n {
			t.Errorf("only %d of %d processes downloaded at the same time", got, n)
		}
		checkTrust(t, root, m)
	})

	fault(t, "loader process killed mid-download", func(t *testing.T) {
		t.Parallel()
		mi := newMirror(t, m)
		halfSent, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		mi.set(mnistImages, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(m.images)))
			w.Write(m.images[:len(m.images)/2])
			w.(http.Flusher).Flush()
			once.Do(func() { close(halfSent) })
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		root := t.TempDir()
		cmd := child(t, "mnist", childRoot+"="+root, childURL+"="+mi.URL())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-halfSent:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the child never started downloading")
		}
		// Wait until the child has written part of the file, then kill it.
		raw := filepath.Join(root, "MNIST", "raw")
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if parts, _ := filepath.Glob(filepath.Join(raw, ".*.part")); len(parts) > 0 {
				if fi, err := os.Stat(parts[0]); err == nil && fi.Size() > 0 {
					break
				}
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		parts, _ := filepath.Glob(filepath.Join(raw, ".*.part"))
		t.Logf("killed mid-download; temporary files left: %d", len(parts))

		// Offline, the partial download is not trusted.
		if ds, err := loadMNIST(t, root, data.NoDownload()); err == nil && digest(ds) != m.digest {
			corrupt(t, "the partial download was trusted: %s", ds.Source)
		}
		// Online again, the next run downloads and gets the real data.
		mi.set(mnistImages, nil)
		ds, err := loadMNIST(t, root, data.WithMirrors(mi.URL()), data.WithTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if digest(ds) != m.digest {
			corrupt(t, "after the kill, loaded %s", digest(ds))
		}
		checkTrust(t, root, m, parts...)
	})
}

// childLoadMNIST loads the MNIST test split into root from mirror and prints
// "OK <digest>".
func childLoadMNIST(root, mirror string) error {
	ds, err := data.MNIST(root, false, data.WithMirrors(mirror), data.WithProgress(nil), data.WithTimeout(10*time.Second))
	if err != nil {
		return err
	}
	fmt.Println("OK " + digest(ds))
	return nil
}

// TestDamagedDatasetFiles: truncated, empty and random files where the
// datasets are looked for give an error naming the file (or the data comes
// from a verified source instead), never a panic.
func TestDamagedDatasetFiles(t *testing.T) {
	t.Parallel()
	m := needMNIST(t)
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	rawImages := filepath.Join("MNIST", "raw", mnistImages)
	for _, tc := range []struct {
		name, rel string
		content   []byte
	}{
		{"MNIST images truncated", rawImages, m.images[:len(m.images)/2]},
		{"MNIST images empty", rawImages, nil},
		{"MNIST images random bytes", rawImages, random(len(m.images))},
		{"MNIST labels truncated, in the top folder", mnistLabels, m.labels[:len(m.labels)-10]},
	} {
		fault(t, tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			path := filepath.Join(root, tc.rel)
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.rel != rawImages { // the images are fine: the labels file is what fails
				os.MkdirAll(filepath.Join(root, "MNIST", "raw"), 0o755)
				if err := os.WriteFile(filepath.Join(root, rawImages), m.images, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// Offline: an error naming the damaged file.
			_, err := loadMNIST(t, root, data.NoDownload())
			if err == nil {
				t.Fatal("the damaged file was accepted")
			}
			for _, want := range []string{path, "checksum mismatch"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			// Online: the data comes from a verified download instead.
			mi := newMirror(t, m)
			ds, err := loadMNIST(t, root, data.WithMirrors(mi.URL()), data.WithTimeout(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if digest(ds) != m.digest {
				corrupt(t, "loaded content %s from %s, want %s", digest(ds), ds.Source, m.digest)
			}
			placed := []string{path}
			if strings.HasPrefix(tc.rel, "MNIST") {
				placed = nil // it must have been replaced by the verified file
			}
			checkTrust(t, root, m, placed...)
		})
	}

	rec := 1 + 3*32*32
	randomRecords := random(4 * rec)
	randomRecords[0] = 200 // a label no CIFAR-10 record has
	batch := filepath.Join("cifar-10-batches-bin", "test_batch.bin")
	for _, tc := range []struct {
		name, rel string
		content   []byte
		want      string
	}{
		{"CIFAR-10 batch truncated", batch, random(2*rec + rec/2), "truncated record"},
		{"CIFAR-10 batch empty", batch, nil, "empty"},
		{"CIFAR-10 batch random bytes", batch, randomRecords, "out of range"},
		{"CIFAR-10 archive random bytes", "cifar-10-binary.tar.gz", random(5000), "checksum mismatch"},
	} {
		fault(t, tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			path := filepath.Join(root, tc.rel)
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			ds, err := noPanic(t, "data.CIFAR10", func() (*data.Dataset, error) {
				return data.CIFAR10(root, false, data.NoDownload(), data.WithProgress(nil))
			})
			if err == nil {
				corrupt(t, "the damaged file %s was loaded: %d images from %s", path, ds.N, ds.Source)
				return
			}
			for _, want := range []string{path, tc.want, "SyntheticCIFAR10"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

// TestUnwritableFolder: a data folder that cannot be created or written
// gives an error naming it, never a panic and never a partial file.
func TestUnwritableFolder(t *testing.T) {
	t.Parallel()
	m := needMNIST(t)

	// Fails even for root, which CI runs as.
	fault(t, "data folder under a regular file", func(t *testing.T) {
		t.Parallel()
		mi := newMirror(t, m)
		file := filepath.Join(t.TempDir(), "not-a-folder")
		if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		root := filepath.Join(file, "data")
		_, err := loadMNIST(t, root, data.WithMirrors(mi.URL()), data.WithTimeout(10*time.Second))
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{file, "not a directory"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
		if b, _ := os.ReadFile(file); string(b) != "x" {
			t.Errorf("the file in the way was changed")
		}
	})

	fault(t, "read-only data folder (chmod 0500)", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		if err := os.Chmod(root, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(root, 0o700) })
		if f, err := os.Create(filepath.Join(root, "probe")); err == nil {
			f.Close()
			t.Skip("skipped: running as root, chmod 0500 does not stop writing (the case above covers it)")
		}
		mi := newMirror(t, m)
		_, err := loadMNIST(t, root, data.WithMirrors(mi.URL()), data.WithTimeout(10*time.Second))
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{root, "permission denied"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	})
}

// lines reads a child's output line by line into a channel.
func lines(r interface{ Read([]byte) (int, error) }) <-chan string {
	ch := make(chan string, 1024)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}
