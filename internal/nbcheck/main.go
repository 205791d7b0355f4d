// Command nbcheck checks notebooks that Jupyter has executed (`jupyter
// nbconvert --to notebook --execute`): it fails when a cell has an error
// output, when stderr shows a Go panic, stack trace or non-zero exit, when a
// code cell did not run, or when the outputs that notebook must show are
// missing (the table in expect.go, keyed by file name).
//
// Usage:
//
//	go run ./internal/nbcheck [-quick] executed.ipynb...
//
// Quick mode (-quick, or JUANJI_QUICK=1 as `make test` sets) applies the
// quick-mode floors. It prints one line per notebook and ends with
// "nbcheck: N passed, M failed"; the exit status is 1 when any failed.
// Problems name the cell by its 0-based index in the notebook and, when it ran,
// its execution count: "cell 4 (In [3]): ...".
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/juanji/juanji/pkg/notebook"
)

func main() {
	quick := flag.Bool("quick", notebook.Quick(), "apply quick-mode floors (default from JUANJI_QUICK)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/nbcheck [-quick] executed.ipynb...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	passed, failed := 0, 0
	for _, path := range flag.Args() {
		problems := checkFile(path, *quick)
		if len(problems) == 0 {
			fmt.Printf("ok   %s\n", path)
			passed++
			continue
		}
		failed++
		fmt.Printf("FAIL %s\n", path)
		for _, p := range problems {
			fmt.Printf("     %s: %s\n", Name(path), indent(p, 12))
		}
	}
	fmt.Printf("nbcheck: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

// checkFile reads and checks one executed notebook.
func checkFile(path string, quick bool) []string {
	var problems []string
	exp, ok := expectations[Name(path)]
	if !ok {
		problems = append(problems, fmt.Sprintf("no expectations for %q: add a line to internal/nbcheck/expect.go", Name(path)))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return append(problems, err.Error())
	}
	nb, err := Parse(data)
	if err != nil {
		return append(problems, err.Error())
	}
	return append(problems, Check(nb, exp, quick)...)
}

// indent keeps the first lines of a multi-line message, indented under the
// first one.
func indent(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = append(parts[:lines], "...")
	}
	return strings.Join(parts, "\n          ")
}

// Name is the notebook's key in the expectations table: its file name
// without ".ipynb" (and without the ".nbconvert" nbconvert may add).
func Name(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), ".ipynb")
	return strings.TrimSuffix(base, ".nbconvert")
}
