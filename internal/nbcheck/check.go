package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/juanji/juanji/internal/excerpt"
)

// Expect is what one executed notebook must show, on top of having no errors.
type Expect struct {
	// Text holds regexps (Go syntax, multi-line mode: ^ and $ match at line
	// ends) each of which some text output must match. Text outputs are the
	// stdout stream and the text/plain, text/markdown and text/html of
	// displayed data.
	Text []string
	// Images is the least number of image outputs (image/png, image/svg+xml,
	// image/jpeg, image/gif) in the notebook.
	Images int
	// Floors are numbers the notebook prints that must reach a floor, like
	// accuracy.
	Floors []Floor
}

// Floor checks a number the notebook prints: Pattern is a regexp whose first
// group captures the number (a percentage sign after it is ignored), and the
// last match in the notebook's text outputs must be at least Min, or QuickMin
// in quick mode.
type Floor struct {
	Pattern  string
	Min      float64
	QuickMin float64
}

// Notebook is the part of an nbformat 4 notebook that the checks read.
type Notebook struct {
	Cells []Cell `json:"cells"`
}

// Cell is one notebook cell.
type Cell struct {
	CellType       string    `json:"cell_type"`
	Source         multiline `json:"source"`
	ExecutionCount *int      `json:"execution_count"`
	Outputs        []Output  `json:"outputs"`
}

// Output is one output of a code cell.
type Output struct {
	OutputType string               `json:"output_type"` // stream, display_data, execute_result, error
	Name       string               `json:"name"`        // stream: stdout or stderr
	Text       multiline            `json:"text"`        // stream
	Data       map[string]multiline `json:"data"`        // display_data, execute_result
	EName      string               `json:"ename"`       // error
	EValue     string               `json:"evalue"`      // error
	Traceback  []string             `json:"traceback"`   // error
}

// multiline is nbformat's text: a string or a list of strings to concatenate.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multiline(s)
		return nil
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", excerpt.Truncate(string(b), 40))
	}
	*m = multiline(strings.Join(parts, ""))
	return nil
}

// Parse reads an nbformat 4 notebook.
func Parse(data []byte) (*Notebook, error) {
	var nb Notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("not a notebook: %w", err)
	}
	return &nb, nil
}

// crash matches what a failed Go program or shell command leaves on stderr
// under GoNB: a panic and its stack trace, a runtime fatal error, and the
// "exit status N" line GoNB adds when a program or ! command exits non-zero.
var crash = regexp.MustCompile(`(?m)(^panic: |^fatal error: |^goroutine \d+ \[|^exit status [1-9]\d*$|^signal: [a-z ]+$)`)

// gonbErr matches a compiler error in the HTML GoNB displays for a cell that
// fails to build: the cell line, then the message.
var gonbErr = regexp.MustCompile(`<span class="gonb-cell-line-info">([^<]*)</span>\s*<span class="gonb-err-location">[^<]*</span>\s*([^<\n]*)`)

// ansi matches terminal colour codes, which tracebacks carry.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

var imageTypes = []string{"image/png", "image/svg+xml", "image/jpeg", "image/gif"}
var textTypes = []string{"text/plain", "text/markdown", "text/html"}

// Check returns the problems of an executed notebook against exp, each naming
// the cell it is in. quick selects the floors of quick mode.
func Check(nb *Notebook, exp Expect, quick bool) []string {
	var problems []string
	var texts []string // every text output, in order
	images := 0
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		where := fmt.Sprintf("cell %d", i)
		if c.ExecutionCount != nil {
			where += fmt.Sprintf(" (In [%d])", *c.ExecutionCount)
		} else if strings.TrimSpace(string(c.Source)) != "" {
			problems = append(problems, fmt.Sprintf("%s: not executed: %s", where, firstLine(string(c.Source))))
		}
		var compileErrs []string // what GoNB's HTML error display says
		for _, o := range c.Outputs {
			if html, ok := o.Data["text/html"]; ok {
				for _, m := range gonbErr.FindAllStringSubmatch(string(html), 3) {
					compileErrs = append(compileErrs, strings.TrimSpace(m[1])+": "+strings.TrimSpace(m[2]))
				}
			}
		}
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "error":
				msg := o.EName
				if o.EValue != "" {
					msg += ": " + o.EValue
				}
				if msg == "" && len(o.Traceback) > 0 {
					msg = o.Traceback[0]
				}
				msg = excerpt.Truncate(clean(msg), 300)
				if len(compileErrs) > 0 {
					msg += "; " + strings.Join(compileErrs, "; ")
				}
				problems = append(problems, fmt.Sprintf("%s: error output: %s", where, msg))
			case "stream":
				text := clean(string(o.Text))
				if o.Name == "stderr" {
					if loc := crash.FindStringIndex(text); loc != nil {
						problems = append(problems, fmt.Sprintf("%s: stderr shows a crash: %s", where, excerpt.Truncate(text[loc[0]:], 300)))
					}
					continue
				}
				texts = append(texts, text)
			case "display_data", "execute_result":
				for _, mime := range imageTypes {
					if _, ok := o.Data[mime]; ok {
						images++
						break
					}
				}
				for _, mime := range textTypes {
					if t, ok := o.Data[mime]; ok {
						texts = append(texts, clean(string(t)))
					}
				}
			}
		}
	}
	all := strings.Join(texts, "\n")

	for _, pattern := range exp.Text {
		re, err := regexp.Compile("(?m)" + pattern)
		if err != nil {
			problems = append(problems, fmt.Sprintf("expectation %q is not a valid regexp: %v", pattern, err))
			continue
		}
		if !re.MatchString(all) {
			problems = append(problems, fmt.Sprintf("no text output matches %q", pattern))
		}
	}
	if images < exp.Images {
		problems = append(problems, fmt.Sprintf("%d image output(s), want at least %d", images, exp.Images))
	}
	for _, f := range exp.Floors {
		re, err := regexp.Compile("(?m)" + f.Pattern)
		if err != nil || re.NumSubexp() < 1 {
			problems = append(problems, fmt.Sprintf("floor pattern %q must be a regexp with a group capturing the number (%v)", f.Pattern, err))
			continue
		}
		matches := re.FindAllStringSubmatch(all, -1)
		if len(matches) == 0 {
			problems = append(problems, fmt.Sprintf("no text output matches floor pattern %q", f.Pattern))
			continue
		}
		last := strings.TrimSuffix(strings.TrimSpace(matches[len(matches)-1][1]), "%")
		v, err := strconv.ParseFloat(last, 64)
		if err != nil {
			problems = append(problems, fmt.Sprintf("floor pattern %q captured %q, not a number", f.Pattern, last))
			continue
		}
		floor, mode := f.Min, "full"
		if quick {
			floor, mode = f.QuickMin, "quick"
		}
		if v < floor {
			problems = append(problems, fmt.Sprintf("%q: last value %g is below the %s-mode floor %g", f.Pattern, v, mode, floor))
		}
	}
	return problems
}

func clean(s string) string { return ansi.ReplaceAllString(s, "") }

// firstLine is a cell's first line, as a problem report quotes it.
func firstLine(s string) string { return excerpt.Truncate(excerpt.FirstLine(s), 80) }
