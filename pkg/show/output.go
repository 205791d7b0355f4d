package show

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
	"github.com/juanji/juanji/internal/atomicfile"
)

// FiguresDir is the directory where pictures are written when the program
// does not run inside a GoNB notebook. It defaults to the environment
// variable JUANJI_FIGURES, or "figures" (relative to the working directory)
// when that is not set. Change it before showing anything.
var FiguresDir = defaultFiguresDir()

func defaultFiguresDir() string {
	if dir := os.Getenv("JUANJI_FIGURES"); dir != "" {
		return dir
	}
	return "figures"
}

// picture is one figure, in the formats we have it in.
type picture struct {
	name string // file name without extension, e.g. "images-001"
	png  []byte
	svg  []byte // optional
}

// present is the one place that decides where a picture goes.
//
// Inside GoNB it is displayed inline as a PNG. If displayID is not empty,
// the output block with that id is created the first time and replaced on
// later calls (used by LiveCurves).
//
// Outside GoNB the PNG (and the SVG, if any) are written into FiguresDir,
// replacing files of the same name, and their paths are returned.
func present(p picture, displayID string) (paths []string, err error) {
	if gonbui.IsNotebook {
		data := &protocol.DisplayData{
			Data:      map[protocol.MIMEType]any{protocol.MIMEImagePNG: p.png},
			DisplayID: displayID,
		}
		gonbui.SendData(data)
		// Wait until GoNB has the picture, so that text printed next
		// (the label matrix) appears below it, as in the document.
		gonbui.Sync()
		return nil, gonbui.Error()
	}

	if err := os.MkdirAll(FiguresDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating figures directory: %w", err)
	}
	files := []struct {
		ext  string
		data []byte
	}{{".png", p.png}, {".svg", p.svg}}
	for _, f := range files {
		if f.data == nil {
			continue
		}
		path := filepath.Join(FiguresDir, p.name+f.ext)
		// Atomic, so that a viewer watching path never sees a half-written picture.
		if err := atomicfile.Write(path, f.data, 0o644); err != nil {
			return paths, fmt.Errorf("writing %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// presentAndReport presents a picture and, outside a notebook, prints
// where its files were written.
func presentAndReport(p picture) error {
	paths, err := present(p, "")
	for _, path := range paths {
		fmt.Println("figure saved to", path)
	}
	return err
}

var (
	countersMu sync.Mutex
	counters   = map[string]int{}
)

// nextName returns prefix-001, prefix-002, ...: a new file name for each
// picture of that kind shown by this program.
func nextName(prefix string) string {
	countersMu.Lock()
	defer countersMu.Unlock()
	counters[prefix]++
	return fmt.Sprintf("%s-%03d", prefix, counters[prefix])
}
