// Package notebook holds what every juanji notebook shares, so that no notebook
// defines a helper of its own (d2l keeps its shared code in one library the
// same way): quick mode (so that tests run the notebooks in minutes), where
// datasets are kept, the device chosen once, Must for cells, CIFAR-10 or its
// quick-mode stand-in, and the first line a notebook prints.
//
// A notebook declares what its cells share next to its imports, and its first
// cell prints the banner:
//
//	var (
//		backend   = notebook.Backend() // the document's try_gpu(), chosen once, silently
//		dataTrain = notebook.Must(data.MNIST(notebook.DataDir(), true))
//		epochs    = notebook.Pick(16, 1) // 16 epochs, 1 in quick mode
//	)
//
//	%%
//	notebook.PrintBanner(notebook.Source(dataTrain)) // mode, dataset and device, once
package notebook

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Environment variables read by this package.
const (
	// QuickEnv set to 1 (or true, yes, on) turns quick mode on.
	QuickEnv = "JUANJI_QUICK"
	// DataEnv, when set, is the folder datasets are kept in, instead of the
	// checkout's data/ folder.
	DataEnv = "JUANJI_DATA"
	// RootEnv, when set, is the checkout's folder, instead of the one found
	// from this package's source or the working directory.
	RootEnv = "JUANJI_ROOT"
)

// Module is the Go module path of the juanji checkout.
const Module = "github.com/juanji/juanji"

// Quick reports whether the notebook runs in quick mode: JUANJI_QUICK=1 (or
// true, yes, on). In quick mode notebooks shrink their data and epochs so that
// `make test` runs every notebook in minutes; the numbers they print then only
// show that the code works, not how well the model learns.
func Quick() bool {
	v := strings.TrimSpace(strings.ToLower(os.Getenv(QuickEnv)))
	switch v {
	case "yes", "y", "on":
		return true
	}
	b, err := strconv.ParseBool(v)
	return err == nil && b
}

// Pick returns full normally and quick in quick mode, for the sizes a notebook
// shrinks when tested:
//
//	epochs := notebook.Pick(16, 1)
//	trainSize := notebook.Pick(60_000, 2_000)
func Pick[T any](full, quick T) T {
	if Quick() {
		return quick
	}
	return full
}

// Mode names the current mode: "quick" or "full".
func Mode() string {
	if Quick() {
		return "quick"
	}
	return "full"
}

// Root returns the folder of the juanji checkout: JUANJI_ROOT if set, else the
// checkout this package was compiled from (notebooks build it from the
// checkout, see kernels/nbsetup.sh), else the nearest folder at or above the
// working directory whose go.mod declares the juanji module. It returns ""
// when none is found.
func Root() string {
	if r := os.Getenv(RootEnv); r != "" {
		return absolute(r)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		// file is <root>/pkg/notebook/notebook.go.
		if r := filepath.Dir(filepath.Dir(filepath.Dir(file))); isCheckout(r) {
			return r
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if isCheckout(dir) {
				return dir
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return ""
}

// DataDir returns the folder datasets are downloaded to and read from, so that
// each is fetched once: JUANJI_DATA if set, else the checkout's data/ folder
// (ignored by git), else juanji/data in the user's cache folder. The folder
// may not exist yet; whoever writes to it creates it.
func DataDir() string {
	if d := os.Getenv(DataEnv); d != "" {
		return absolute(d)
	}
	if r := Root(); r != "" {
		return filepath.Join(r, "data")
	}
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "juanji", "data")
	}
	return filepath.Join(os.TempDir(), "juanji", "data")
}

// Banner returns the line a notebook prints first, saying which mode it runs
// in, on which dataset and, once Backend has chosen one, on which device,
// followed by any extra "name: value" parts:
//
//	juanji | mode: full | dataset: MNIST | device: cpu (pure Go backend "go", 2 cores)
//	juanji | mode: quick (JUANJI_QUICK=1) | dataset: MNIST
//
// An empty dataset is left out.
func Banner(dataset string, extra ...string) string {
	mode := "mode: full"
	if Quick() {
		mode = "mode: quick (" + QuickEnv + "=1)"
	}
	parts := []string{"juanji", mode}
	if dataset != "" {
		parts = append(parts, "dataset: "+dataset)
	}
	if d := chosenDevice(); d != nil {
		parts = append(parts, "device: "+d.Summary())
	}
	parts = append(parts, extra...)
	return strings.Join(parts, " | ")
}

// PrintBanner prints Banner(dataset, extra...) on its own line.
func PrintBanner(dataset string, extra ...string) {
	fmt.Println(Banner(dataset, extra...))
}

// isCheckout reports whether dir holds a go.mod declaring the juanji module.
func isCheckout(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == Module
		}
	}
	return false
}

// absolute makes p absolute against the working directory, keeping p as it is
// when that fails.
func absolute(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
