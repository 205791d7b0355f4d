package data

import (
	"io"
	"net/http"
	"os"
	"time"
)

// Option changes how MNIST, FashionMNIST and CIFAR10 find and read their files.
type Option func(*config)

// config collects the Options of one dataset load.
type config struct {
	transform  Transform
	client     *http.Client
	mirrors    []string // nil: the dataset's official hosts
	timeout    time.Duration
	progress   io.Writer
	noDownload bool

	// For tests only.
	checksums map[string]string // file name -> md5, replacing the pinned one
	noModule  bool              // skip the Go module source
}

// Default network limits: a connection must open within connectTimeout, and
// a download that receives nothing for stallTimeout is abandoned.
const (
	connectTimeout = 5 * time.Second
	stallTimeout   = 30 * time.Second
)

func newConfig(opts []Option) *config {
	c := &config{timeout: stallTimeout, progress: os.Stderr}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// WithTransform sets the transform the loaders apply to every image, like
// torchvision's transform= argument.
func WithTransform(t Transform) Option { return func(c *config) { c.transform = t } }

// WithHTTPClient sets the HTTP client used for downloads. The default one
// gives up connecting after 5 s.
func WithHTTPClient(client *http.Client) Option { return func(c *config) { c.client = client } }

// WithMirrors replaces the official download locations by these base URLs;
// each file's name is appended to them, and they are tried in order.
// WithMirrors() with no URL downloads from no host (MNIST may still come
// from the Go module proxy).
func WithMirrors(baseURLs ...string) Option {
	return func(c *config) { c.mirrors = append([]string{}, baseURLs...) }
}

// WithTimeout sets how long a download may go without receiving anything
// (connecting, waiting for the answer, or in the middle of the file) before
// it is abandoned and the next source is tried. The default is 30 s. It also
// caps the 5 s connect timeout of the default client.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithProgress sets where download progress bars go (default os.Stderr);
// nil silences them.
func WithProgress(w io.Writer) Option { return func(c *config) { c.progress = w } }

// NoDownload forbids any network access: only files already on disk (under
// root, or in the Go module cache for MNIST) are used.
func NoDownload() Option { return func(c *config) { c.noDownload = true } }

// withChecksums replaces the pinned md5 of the named files (tests only).
func withChecksums(md5s map[string]string) Option {
	return func(c *config) { c.checksums = md5s }
}

// withoutModule skips the Go module source (tests only).
func withoutModule() Option { return func(c *config) { c.noModule = true } }
