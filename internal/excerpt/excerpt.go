// Package excerpt shortens text for error messages and reports: a command's
// output, a notebook cell, a line of a script. One rule everywhere: trimmed,
// cut at a rune boundary, and an ellipsis where something was left out.
package excerpt

import (
	"strings"
	"unicode/utf8"
)

// Ellipsis marks where text was left out.
const Ellipsis = "..." // ASCII: reports go to any terminal and CI log

// Truncate returns s trimmed of surrounding space and cut to at most n bytes
// (at a rune boundary), with Ellipsis appended when it was cut.
func Truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + Ellipsis
}

// FirstLine returns the first non-empty line of s, trimmed, with Ellipsis
// appended when more text follows (GoMLX errors carry stack traces, cells
// many lines; a report wants the first).
func FirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i]) + " " + Ellipsis
	}
	return s
}

// OneLine folds all runs of white space in s, newlines included, into single
// spaces and truncates the result to n bytes: a multi-line statement shown on
// one line.
func OneLine(s string, n int) string {
	return Truncate(strings.Join(strings.Fields(s), " "), n)
}
