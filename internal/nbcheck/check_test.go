package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A small executed notebook, as nbconvert writes it: a markdown cell, a set-up
// cell, a cell printing text (source and text as lists of lines), a cell
// displaying a PNG.
const good = `{
 "nbformat": 4, "nbformat_minor": 5, "metadata": {},
 "cells": [
  {"cell_type": "markdown", "metadata": {}, "source": "# Hello"},
  {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "!bash ../kernels/nbsetup.sh",
   "outputs": [{"output_type": "stream", "name": "stdout", "text": "juanji: set up\n"}]},
  {"cell_type": "code", "execution_count": 2, "metadata": {}, "source": ["%%\n", "fmt.Println(1)"],
   "outputs": [
    {"output_type": "stream", "name": "stdout", "text": ["juanji | mode: quick\n", "epoch 1, test acc 0.51\n", "epoch 2, test acc 97.5%\n"]},
    {"output_type": "stream", "name": "stderr", "text": "I1127 warning: slow backend\n"}
   ]},
  {"cell_type": "code", "execution_count": 3, "metadata": {}, "source": "%%\nshow()",
   "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<image>"}}]},
  {"cell_type": "code", "execution_count": null, "metadata": {}, "source": "", "outputs": []}
 ]
}`

var goodExpect = Expect{
	Text:   []string{`^juanji \| mode: (full|quick)$`, `epoch \d+`},
	Images: 1,
	Floors: []Floor{{Pattern: `test acc ([0-9.]+%?)`, Min: 98, QuickMin: 90}},
}

// edit returns good with old replaced by new, failing the test when old is
// not there (so a case cannot silently test nothing).
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(good, old) {
		t.Fatalf("test notebook has no %q", old)
	}
	return strings.Replace(good, old, new, 1)
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		json  string
		exp   Expect
		quick bool
		want  []string // regexps, one per expected problem; none: must pass
	}{
		{name: "good notebook passes", json: good, exp: goodExpect, quick: true},
		{name: "no expectations, no errors", json: good, exp: Expect{}},
		{
			name: "error output",
			json: edit(t, `{"output_type": "stream", "name": "stdout", "text": "juanji: set up\n"}`,
				`{"output_type": "error", "ename": "ERROR", "evalue": "failed to run \"go get\"", "traceback": ["\u001b[31mboom"]}`),
			want: []string{`^cell 1 \(In \[1\]\): error output: ERROR: failed to run "go get"$`},
		},
		{
			name: "compile error shown by GoNB",
			json: edit(t, `{"output_type": "stream", "name": "stdout", "text": "juanji: set up\n"}`,
				`{"output_type": "display_data", "metadata": {}, "data": {"text/html": ["<style>.gonb-err-location {}</style>\n", "<span class=\"gonb-cell-line-info\">Cell[2]: Line 2</span>\n", "<span class=\"gonb-err-location\">./main.go:10:6: </span> undefined: undefinedThing\n"]}},
				 {"output_type": "error", "ename": "ERROR", "evalue": "failed to run \"go build\": exit status 1", "traceback": []}`),
			want: []string{`^cell 1 \(In \[1\]\): error output: ERROR: failed to run "go build": exit status 1; Cell\[2\]: Line 2: undefined: undefinedThing$`},
		},
		{
			name: "panic on stderr",
			json: edit(t, `"I1127 warning: slow backend\n"`,
				`"panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n"`),
			want: []string{`^cell 2 \(In \[2\]\): stderr shows a crash: panic: runtime error: index out of range`},
		},
		{
			name: "stack trace alone on stderr",
			json: edit(t, `"I1127 warning: slow backend\n"`, `"goroutine 7 [chan receive]:\n"`),
			want: []string{`stderr shows a crash: goroutine 7`},
		},
		{
			name: "non-zero exit of a ! command",
			json: edit(t, `"I1127 warning: slow backend\n"`, `"nbsetup: no go.mod\nexit status 1\n"`),
			want: []string{`cell 2 .*stderr shows a crash: exit status 1`},
		},
		{
			name: "panic on stdout is not a crash",
			json: edit(t, `"epoch 1, test acc 0.51\n"`, `"epoch 1, test acc 0.51, don't panic: fine\n"`),
			exp:  goodExpect, quick: true,
		},
		{
			name: "cell not executed",
			json: edit(t, `"execution_count": 3`, `"execution_count": null`),
			want: []string{`^cell 3: not executed: %% \.\.\.$`},
		},
		{
			name: "missing image",
			json: edit(t, `"image/png": "iVBORw0KGgo=", `, ``),
			exp:  goodExpect, quick: true,
			want: []string{`0 image output\(s\), want at least 1`},
		},
		{
			name: "missing text",
			json: edit(t, `"juanji | mode: quick\n", `, ``),
			exp:  goodExpect, quick: true,
			want: []string{`no text output matches "\^juanji`},
		},
		{
			name: "floor missed in full mode",
			json: good, exp: goodExpect, quick: false,
			want: []string{`last value 97.5 is below the full-mode floor 98`},
		},
		{
			name: "floor pattern never printed",
			json: good, exp: Expect{Floors: []Floor{{Pattern: `train acc ([0-9.]+)`}}},
			want: []string{`no text output matches floor pattern`},
		},
		{
			name: "floor pattern without a group",
			json: good, exp: Expect{Floors: []Floor{{Pattern: `test acc`}}},
			want: []string{`must be a regexp with a group`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nb, err := Parse([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			got := Check(nb, tc.exp, tc.quick)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problem(s), want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				if !regexp.MustCompile(w).MatchString(got[i]) {
					t.Errorf("problem %d = %q, want it to match %q", i, got[i], w)
				}
			}
		})
	}
}

func TestParseRejectsJunk(t *testing.T) {
	for _, junk := range []string{`not json`, `{"cells": [{"cell_type": "code", "source": 3}]}`} {
		if _, err := Parse([]byte(junk)); err == nil {
			t.Errorf("Parse(%q) succeeded", junk)
		}
	}
}

func TestName(t *testing.T) {
	for path, want := range map[string]string{
		"notebooks/00_hello.ipynb":        "00_hello",
		"/tmp/x/01_lenet.nbconvert.ipynb": "01_lenet",
		"02_resnet.ipynb":                 "02_resnet",
	} {
		if got := Name(path); got != want {
			t.Errorf("Name(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestCheckFileFailsOnUnknownNotebook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "99_unknown.ipynb")
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	got := checkFile(path, true)
	if len(got) != 1 || !strings.Contains(got[0], "add a line to internal/nbcheck/expect.go") {
		t.Errorf("checkFile(unknown notebook) = %q", got)
	}

	// Its errors are still reported.
	bad := strings.Replace(good, `"I1127 warning: slow backend\n"`, `"exit status 1\n"`, 1)
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := checkFile(path, true); len(got) != 2 || !strings.Contains(got[1], "exit status 1") {
		t.Errorf("checkFile(unknown notebook with a failed cell) = %q", got)
	}
}

// TestExpectations checks the table itself: its regexps compile, floors have
// a group, and every notebook in notebooks/ has an entry.
func TestExpectations(t *testing.T) {
	for name, exp := range expectations {
		for _, p := range exp.Text {
			if _, err := regexp.Compile("(?m)" + p); err != nil {
				t.Errorf("%s: text %q: %v", name, p, err)
			}
		}
		for _, f := range exp.Floors {
			re, err := regexp.Compile("(?m)" + f.Pattern)
			if err != nil || re.NumSubexp() < 1 {
				t.Errorf("%s: floor %q must compile and capture the number (%v)", name, f.Pattern, err)
			}
		}
	}
	for _, path := range committedNotebooks(t) {
		if _, ok := expectations[Name(path)]; !ok {
			t.Errorf("%s has no entry in internal/nbcheck/expect.go", path)
		}
	}
}

// TestCommittedNotebooks checks that the notebooks in notebooks/ were saved
// from a run that went through: every code cell executed, no error or crash.
func TestCommittedNotebooks(t *testing.T) {
	for _, path := range committedNotebooks(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		nb, err := Parse(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		for _, p := range Check(nb, Expect{}, false) {
			t.Errorf("%s: %s (commit the notebook as executed by a run that passed)", path, p)
		}
	}
}

func committedNotebooks(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "notebooks", "*.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	return paths
}
