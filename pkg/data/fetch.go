package data

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/juanji/juanji/internal/atomicfile"
)

// remoteFile is one file of a dataset with its published checksums.
type remoteFile struct {
	name   string
	md5    string // hex; always set
	sha256 string // hex; set where known
}

// fetcher finds verified copies of a dataset's files (see the package
// documentation for the order of the sources) and remembers, for one load,
// which hosts could not be reached so they are not tried again.
type fetcher struct {
	cfg     *config
	dataset string    // "MNIST", for messages
	rawDir  string    // where downloads go, relative to root: "MNIST/raw" or ""
	mirrors []string  // official base URLs
	module  *goModule // Go module holding the files, or nil
	dead    []string  // hosts that failed to connect during this load
	client  *http.Client
}

// fetched is a verified file's content and where it came from.
type fetched struct {
	data   []byte
	path   string // file on disk
	origin string // human description of the source
}

// fetch returns the verified content of f, trying each source in turn. Its
// error lists everything that was tried.
func (fe *fetcher) fetch(root string, f remoteFile) (*fetched, error) {
	var tried []string
	if got := fe.fromDisk(root, f, &tried); got != nil {
		return got, nil
	}
	return fe.fromNetwork(root, f, &tried)
}

// note records a failed attempt.
func note(tried *[]string, where string, err error) {
	*tried = append(*tried, fmt.Sprintf("%s: %v", where, err))
}

// fromDisk looks for a verified copy of f under root, then (for MNIST) in
// the Go module cache, noting each failed attempt in tried.
func (fe *fetcher) fromDisk(root string, f remoteFile, tried *[]string) *fetched {
	var candidates []string
	if fe.rawDir != "" {
		candidates = append(candidates, filepath.Join(root, filepath.FromSlash(fe.rawDir), f.name))
	}
	candidates = append(candidates, filepath.Join(root, f.name))
	for _, p := range candidates {
		data, err := readVerified(p, f, fe.cfg)
		if err == nil {
			return &fetched{data: data, path: p, origin: p}
		}
		note(tried, p, err)
	}
	if fe.module != nil && !fe.cfg.noModule {
		for _, dir := range fe.module.cachedDirs() {
			p := filepath.Join(dir, f.name)
			data, err := readVerified(p, f, fe.cfg)
			if err == nil {
				return &fetched{data: data, path: p, origin: fe.module.describe(dir)}
			}
			note(tried, p, err)
		}
	}
	return nil
}

// fromNetwork downloads f from the official hosts (or the mirrors given)
// into root, then (for MNIST) tries `go mod download`. Unless it succeeds,
// it returns an error listing tried and its own attempts.
func (fe *fetcher) fromNetwork(root string, f remoteFile, tried *[]string) (*fetched, error) {
	if fe.cfg.noDownload {
		*tried = append(*tried, "downloads: skipped (NoDownload option)")
		return nil, fe.notFound(f, *tried)
	}
	mirrors := fe.mirrors
	if fe.cfg.mirrors != nil {
		mirrors = fe.cfg.mirrors
	}
	destDir := filepath.Join(root, filepath.FromSlash(fe.rawDir))
	for _, base := range mirrors {
		u := strings.TrimSuffix(base, "/") + "/" + f.name
		if host := hostOf(u); host != "" && contains(fe.dead, host) {
			note(tried, u, fmt.Errorf("skipped: %s could not be reached earlier", host))
			continue
		}
		got, err := fe.download(u, destDir, f)
		if err == nil {
			return got, nil
		}
		if isConnectError(err) {
			fe.dead = append(fe.dead, hostOf(u))
		}
		note(tried, u, err)
	}
	if fe.module != nil && !fe.cfg.noModule {
		dir, err := fe.module.download()
		if err == nil {
			p := filepath.Join(dir, f.name)
			data, err := readVerified(p, f, fe.cfg)
			if err == nil {
				return &fetched{data: data, path: p, origin: fe.module.describe(dir)}, nil
			}
			note(tried, p, err)
		} else {
			note(tried, "go mod download "+fe.module.path+"@"+fe.module.version, err)
		}
	}
	return nil, fe.notFound(f, *tried)
}

func (fe *fetcher) notFound(f remoteFile, tried []string) error {
	return fmt.Errorf("data: %s: no verified copy of %s; tried:\n  - %s",
		fe.dataset, f.name, strings.Join(tried, "\n  - "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// isConnectError reports whether err means the host could not be reached at
// all (name lookup, refused or timed-out connection), rather than a bad file.
func isConnectError(err error) bool {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) {
		return true
	}
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var stalled errStalled
	return errors.As(err, &stalled)
}

// checksumError is a file whose content does not match its published checksum.
type checksumError struct {
	algo, got, want string
}

func (e *checksumError) Error() string {
	return fmt.Sprintf("checksum mismatch: %s is %s, want %s", e.algo, e.got, e.want)
}

// verify checks data against f's pinned checksums.
func verify(data []byte, f remoteFile, cfg *config) error {
	return verifySums(md5.Sum(data), sha256.Sum256(data), f, cfg)
}

func verifySums(m [md5.Size]byte, s [sha256.Size]byte, f remoteFile, cfg *config) error {
	wantMD5, wantSHA := f.md5, f.sha256
	if over, ok := cfg.checksums[f.name]; ok {
		wantMD5, wantSHA = over, ""
	}
	if got := hex.EncodeToString(m[:]); got != wantMD5 {
		return &checksumError{"md5", got, wantMD5}
	}
	if wantSHA != "" {
		if got := hex.EncodeToString(s[:]); got != wantSHA {
			return &checksumError{"sha256", got, wantSHA}
		}
	}
	return nil
}

// readVerified reads the file at path and checks it against f's checksums.
func readVerified(path string, f remoteFile, cfg *config) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("not found")
	}
	if err != nil {
		return nil, err
	}
	if err := verify(data, f, cfg); err != nil {
		return nil, err
	}
	return data, nil
}

// httpClient returns the client for downloads: the one given with
// WithHTTPClient, or one that gives up connecting after connectTimeout.
func (fe *fetcher) httpClient() *http.Client {
	if fe.cfg.client != nil {
		return fe.cfg.client
	}
	if fe.client == nil {
		connect := connectTimeout
		if fe.cfg.timeout > 0 && fe.cfg.timeout < connect {
			connect = fe.cfg.timeout
		}
		dialer := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
		fe.client = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         dialer.DialContext,
			TLSHandshakeTimeout: connect,
			ForceAttemptHTTP2:   true,
			MaxIdleConns:        4,
			IdleConnTimeout:     30 * time.Second,
		}}
	}
	return fe.client
}

// maxDownload bounds a download (the largest file, CIFAR-10's archive, is
// about 170 MB), so a misbehaving server cannot fill memory or disk.
const maxDownload = 1 << 29

// errStalled is the cause given to a download's context when no data arrived
// for the configured timeout.
type errStalled struct{ d time.Duration }

func (e errStalled) Error() string { return fmt.Sprintf("timed out: nothing received for %v", e.d) }

// download fetches rawURL into destDir/f.name: written to a unique temporary
// file in destDir (internal/atomicfile), verified, then renamed into place. On any failure the
// temporary file is removed and nothing is left behind.
func (fe *fetcher) download(rawURL, destDir string, f remoteFile) (_ *fetched, err error) {
	timeout := fe.cfg.timeout
	if timeout <= 0 {
		timeout = stallTimeout
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	timer := time.AfterFunc(timeout, func() { cancel(errStalled{timeout}) })
	defer timer.Stop()
	// cause replaces a context error by the reason the context was cancelled.
	cause := func(err error) error {
		if c := context.Cause(ctx); c != nil && ctx.Err() != nil {
			return c
		}
		return err
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := fe.httpClient().Do(req)
	if err != nil {
		var ue *url.Error // its message repeats the URL, which the caller already gives
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, cause(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
		return nil, fmt.Errorf("the server sent an HTML page (Content-Type %q), not the file", ct)
	}

	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return nil, err
	}
	final := filepath.Join(destDir, f.name)
	atomicfile.RemoveStale(final, max(staleAfter, 2*timeout))
	tmp, err := atomicfile.Create(final, 0o644)
	if err != nil {
		return nil, err
	}
	defer tmp.Abort()

	bar := newProgressBar(fe.cfg.progress, fmt.Sprintf("Downloading %s to %s", rawURL, final), resp.ContentLength)
	var buf bytes.Buffer
	if resp.ContentLength > 0 && resp.ContentLength < 1<<31 {
		buf.Grow(int(resp.ContentLength))
	}
	h5, h256 := md5.New(), sha256.New()
	body := &stallReader{r: resp.Body, timer: timer, d: timeout}
	n, copyErr := io.Copy(io.MultiWriter(tmp, &buf, h5, h256, bar), io.LimitReader(body, maxDownload+1))
	bar.finish(copyErr == nil && n <= maxDownload)
	if copyErr != nil {
		return nil, fmt.Errorf("download cut short after %d bytes: %w", n, cause(copyErr))
	}
	if n > maxDownload {
		return nil, fmt.Errorf("more than %d bytes, larger than any file of these datasets", maxDownload)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return nil, fmt.Errorf("download cut short: got %d of %d bytes", n, resp.ContentLength)
	}
	if err := verifySums(sum16(h5), sum32(h256), f, fe.cfg); err != nil {
		if bytes.HasPrefix(bytes.TrimSpace(buf.Bytes()), []byte("<")) {
			return nil, fmt.Errorf("%w (the server sent an HTML or XML page, not the file)", err)
		}
		return nil, err
	}
	if err := tmp.Commit(); err != nil {
		// Where renaming over a file fails (Windows, while another process
		// reads it), a verified copy left by that process will do.
		if data, vErr := readVerified(final, f, fe.cfg); vErr == nil {
			return &fetched{data: data, path: final, origin: rawURL + " (saved to " + final + ")"}, nil
		}
		return nil, err
	}
	return &fetched{data: buf.Bytes(), path: final, origin: rawURL + " (saved to " + final + ")"}, nil
}

func sum16(h hash.Hash) (s [md5.Size]byte)    { copy(s[:], h.Sum(nil)); return }
func sum32(h hash.Hash) (s [sha256.Size]byte) { copy(s[:], h.Sum(nil)); return }

// staleAfter is how long a partial download may go unmodified before a later download of the
// same file removes it: far beyond stallTimeout, so only files of killed processes qualify.
const staleAfter = time.Hour

// stallReader restarts the download's timer each time data arrives.
type stallReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.d)
	}
	return n, err
}
