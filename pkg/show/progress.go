package show

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// ProgressBar is a progress bar for the steps of one training epoch. It satisfies
// train.ProgressReporter, so it can be passed as FitConfig.Progress:
//
//	train.FitConfig{..., Progress: show.NewProgressBar()}
//
// In GoNB it is one HTML line replaced in place (and cleared when the epoch ends); in a
// terminal it is one line on stderr rewritten with '\r'; elsewhere (a log file, a test) it
// prints nothing. Updates are throttled to a few per second.
type ProgressBar struct {
	displayID string
	out       io.Writer // terminal output; nil when not a terminal
	last      time.Time
	every     time.Duration
}

// NewProgressBar returns a progress bar for the current environment.
func NewProgressBar() *ProgressBar {
	p := &ProgressBar{every: 250 * time.Millisecond}
	if gonbui.IsNotebook {
		p.displayID = "juanji-progress-" + gonbui.UniqueId()
	} else if isTerminal(os.Stderr) {
		p.out = os.Stderr
	}
	return p
}

// Update shows step of steps in epoch, with the running throughput.
func (p *ProgressBar) Update(epoch, step, steps int, imagesPerSec float64) {
	if step < steps && time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	line := progressLine(epoch, step, steps, imagesPerSec)
	switch {
	case p.displayID != "":
		gonbui.UpdateHTML(p.displayID, "<pre>"+line+"</pre>")
	case p.out != nil:
		fmt.Fprintf(p.out, "\r%s", line)
	}
}

// Done clears the bar at the end of an epoch. In a notebook it waits until GoNB has the
// update, so that a program ending right after it leaves no stale bar behind.
func (p *ProgressBar) Done() {
	switch {
	case p.displayID != "":
		gonbui.UpdateHTML(p.displayID, "")
		gonbui.Sync()
	case p.out != nil:
		fmt.Fprintf(p.out, "\r%s\r", strings.Repeat(" ", 72))
	}
}

// progressLine is "epoch 3 [=========>          ] 250/600 steps, 951.2 images/s".
func progressLine(epoch, step, steps int, imagesPerSec float64) string {
	const width = 30
	filled := 0
	if steps > 0 {
		filled = min(width, step*width/steps)
	}
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	return fmt.Sprintf("epoch %d [%s] %d/%d steps, %.1f images/s", epoch, bar, step, steps, imagesPerSec)
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
