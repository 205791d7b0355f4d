// Package gomlxpatch owns every process-wide change juanji makes to GoMLX:
// the changes that affect any program linking pkg/nn or pkg/device, not only
// the code that asked for them. They live here, listed, so that they can be
// found, and checked against the GoMLX version they were written for.
//
// The patches (see [Patches]):
//
//   - Gradient of DotGeneral (vjp.go): GoMLX v0.26.0 differentiates it by
//     broadcast-multiply-reduce, materialising a tensor as large as
//     batch × both cross sizes × contracted size; replaced by two matrix
//     products, for every DotGeneral of every graph.
//   - Gradient of Slice (vjp.go): GoMLX's rule needs the Pad op, which its
//     pure-Go backend lacks; replaced by the same zero padding written with
//     Concatenate. The portable convolution and pooling of pkg/nn/functional
//     rely on it.
//   - Standard output while a pure-Go backend is created (stdout.go):
//     SimpleGo prints a line when given a parallelism; os.Stdout is swapped for
//     a pipe for that moment and the line dropped.
//
// Both gradient rules read op parameters from GoMLX's unexported node structs
// by reflection, and the stdout patch matches a line GoMLX prints: all three
// depend on GoMLX's internals, so [WrittenFor] names the version they were
// written against and TestWrittenForThisGoMLX fails when go.mod or the build
// uses another. When it fails: check each patch against the new version
// (its tests: pkg/nn's TestDotGeneralVJPMatchesLibrary, TestSliceVJP and the
// finite-difference tests; pkg/device's TestQuietSimpleGo), drop those the new
// version makes unnecessary, then update WrittenFor.
//
// Importing the package installs the gradient rules (an init function);
// pkg/nn and pkg/nn/functional import it.
package gomlxpatch

import (
	"fmt"
	"os"

	"github.com/juanji/juanji/internal/buildinfo"
)

// Module is GoMLX's module path.
const Module = "github.com/gomlx/gomlx"

// WrittenFor is the GoMLX version the patches were written and checked against.
const WrittenFor = "v0.26.0"

// Patch describes one process-wide change to GoMLX.
type Patch struct {
	What string // what is changed
	Why  string
}

// Patches lists the changes this package makes.
var Patches = []Patch{
	{"graph.VJPRegistration[NodeTypeDotGeneral]", "two matrix products instead of broadcast-multiply-reduce"},
	{"graph.VJPRegistration[NodeTypeSlice]", "zero padding with Concatenate, since the pure-Go backend has no Pad"},
	{"os.Stdout while a pure-Go backend is created", `hides SimpleGo's "parallelism set to" line`},
}

// A program built with another GoMLX says so once, on standard error, when it
// starts; the patches still apply (each falls back to GoMLX's own rule where it
// cannot read what it needs).
func init() {
	if err := Check(); err != nil {
		fmt.Fprintln(os.Stderr, "warning:", err)
	}
}

// BuiltWith returns the GoMLX version this program was built with, read from
// its build information ("" when the program carries none).
func BuiltWith() string { return buildinfo.ModuleVersion(Module) }

// Check returns an error when this program was built with a GoMLX other than
// WrittenFor (nothing when the version cannot be known).
func Check() error {
	if v := BuiltWith(); v != "" && v != WrittenFor {
		return fmt.Errorf("gomlxpatch: built with %s %s, but its patches of GoMLX were written for %s: check them (see internal/gomlxpatch)", Module, v, WrittenFor)
	}
	return nil
}
