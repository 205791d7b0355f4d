package device

import (
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/juanji/juanji/internal/gomlxpatch"
)

// simpleGoChatter is the start of the line SimpleGo v0.26.0 prints to
// standard output (fmt.Printf) whenever its configuration sets parallelism.
const simpleGoChatter = "SimpleGo backend: parallelism set to "

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

// quietSimpleGo runs fn, hiding SimpleGo's "parallelism set to" line from
// standard output. It swaps os.Stdout for the time of fn: a process-wide
// patch, so it lives in internal/gomlxpatch with GoMLX's other patches.
func quietSimpleGo(fn func()) { gomlxpatch.DropStdoutLines(simpleGoChatter, fn) }
