package data

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressBar draws a one-line download progress bar, redrawn in place with
// '\r' at most every progressEvery. A nil writer draws nothing.
type progressBar struct {
	w     io.Writer
	total int64 // -1 when unknown
	done  int64
	last  time.Time
}

const (
	progressEvery = 200 * time.Millisecond
	progressWidth = 30
)

func newProgressBar(w io.Writer, title string, total int64) *progressBar {
	p := &progressBar{w: w, total: total}
	if w != nil {
		fmt.Fprintln(w, title)
		p.draw()
	}
	return p
}

// Write counts bytes; it never fails.
func (p *progressBar) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.w != nil && time.Since(p.last) >= progressEvery {
		p.draw()
	}
	return len(b), nil
}

func (p *progressBar) draw() {
	p.last = time.Now()
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r  %s", megabytes(p.done))
		return
	}
	frac := min(1, float64(p.done)/float64(p.total))
	n := int(frac * progressWidth)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", progressWidth-n)
	fmt.Fprintf(p.w, "\r  %3.0f%% [%s] %s / %s", 100*frac, bar, megabytes(p.done), megabytes(p.total))
}

// finish draws the final state and ends the line.
func (p *progressBar) finish(ok bool) {
	if p.w == nil {
		return
	}
	p.draw()
	if ok {
		fmt.Fprintln(p.w, "  done")
	} else {
		fmt.Fprintln(p.w, "  failed")
	}
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
