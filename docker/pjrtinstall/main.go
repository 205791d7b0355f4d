// Command pjrtinstall installs the XLA PJRT plugins that the juanji Docker
// image ships, with go-xla's own installer library
// (github.com/gomlx/go-xla/pkg/installer) at the go-xla version this module's
// go.sum pins, the one GoMLX uses; nothing is fetched @latest:
//
//   - the CPU plugin at the version that go-xla release pins
//     (installer.CPUAutoInstall: gomlx/pjrt-cpu-binaries, v0.83.3 for go-xla
//     v0.1.4), into DIR/go-xla;
//   - with -cuda13 VERSION, the CUDA 13 plugin from JAX's jax-cuda13-pjrt wheel
//     of that exact version, and the NVIDIA libraries it needs, into
//     DIR/go-xla/nvidia (installer.CudaInstall: the wheels' sha256 are checked
//     against pypi.org). It installs without a GPU: the image is built on any
//     machine and finds the GPU when run with `docker run --gpus all`.
//
// DIR/go-xla and DIR/go-xla/nvidia are where go-xla searches for plugins by
// default when DIR is /usr/local/lib. Then it prints each installed plugin file
// with its size and sha256, so that a build log records what went in.
//
// The Dockerfile runs it from the checkout, so that go.sum decides the go-xla
// version:
//
//	go run ./docker/pjrtinstall -dir /usr/local/lib -cuda13 0.8.1 -expect-go-xla v0.1.4
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/gomlx/go-xla/pkg/installer"
	"github.com/juanji/juanji/internal/buildinfo"
)

// goXLAModule is the module whose installer this program uses.
const goXLAModule = "github.com/gomlx/go-xla"

// installers are the go-xla calls run does, replaced in tests.
type installers struct {
	// cpu installs the CPU plugin at go-xla's pinned version into goxlaDir.
	cpu func(goxlaDir string) error
	// cuda13 installs jax-cuda13-pjrt at version, and the NVIDIA libraries, into goxlaDir/nvidia.
	cuda13 func(version, goxlaDir string) error
}

// goXLA is what the command runs: go-xla's installer, printing one line per
// step (Verbose), without keeping downloads in a cache folder.
var goXLA = installers{
	cpu: func(goxlaDir string) error {
		return installer.CPUAutoInstall(goxlaDir, false, installer.Verbose)
	},
	cuda13: func(version, goxlaDir string) error {
		return installer.CudaInstall("cuda13", version, goxlaDir, false, installer.Verbose)
	},
}

func main() {
	if err := run(os.Args[1:], os.Stdout, goXLA, buildinfo.ModuleVersion); err != nil {
		fmt.Fprintf(os.Stderr, "pjrtinstall: %v\n", err)
		os.Exit(1)
	}
}

// versionRE is what a pinned JAX version looks like: 0.8.1, 0.12.0.1.
var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(\.[0-9]+)?$`)

// run parses args, checks them, installs and reports. moduleVersion returns
// the version of a module this program was built with ("" when unknown).
func run(args []string, out io.Writer, inst installers, moduleVersion func(string) string) error {
	fs := flag.NewFlagSet("pjrtinstall", flag.ContinueOnError)
	fs.SetOutput(out)
	dir := fs.String("dir", "/usr/local/lib", "library folder: plugins go to DIR/go-xla, the CUDA plugin and NVIDIA libraries to DIR/go-xla/nvidia")
	cpu := fs.Bool("cpu", true, "install the CPU plugin at the version go-xla pins")
	cuda13 := fs.String("cuda13", "", `version of JAX's jax-cuda13-pjrt wheel to install, e.g. 0.8.1 ("" or "none": no CUDA plugin)`)
	expect := fs.String("expect-go-xla", "", "fail unless this program was built with this go-xla version (the Dockerfile passes its GO_XLA_VERSION)")
	cpuSHA := fs.String("cpu-sha256", "", "if set, the sha256 the installed CPU plugin file must have")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	got := moduleVersion(goXLAModule)
	if *expect != "" && got != *expect {
		return fmt.Errorf("built with %s %s, but -expect-go-xla is %s: align docker/Dockerfile's GO_XLA_VERSION with go.mod/go.sum", goXLAModule, orUnknown(got), *expect)
	}
	withCUDA := *cuda13 != "" && *cuda13 != "none"
	if withCUDA && !versionRE.MatchString(*cuda13) {
		return fmt.Errorf("-cuda13 %q: want an exact JAX version such as 0.8.1 (never \"latest\"), or \"none\"", *cuda13)
	}
	if *cpuSHA != "" && !sha256RE.MatchString(*cpuSHA) {
		return fmt.Errorf("-cpu-sha256 %q: want 64 hexadecimal digits", *cpuSHA)
	}
	if !*cpu && !withCUDA {
		return errors.New("nothing to install: -cpu=false and no -cuda13 version")
	}

	goxlaDir := filepath.Join(*dir, "go-xla")
	fmt.Fprintf(out, "pjrtinstall: go-xla %s installer, into %s\n", orUnknown(got), goxlaDir)
	var plugins []string
	if *cpu {
		if err := inst.cpu(goxlaDir); err != nil {
			return fmt.Errorf("CPU plugin: %w", err)
		}
		// pjrt_c_api_cpu_plugin.so links to the versioned file installed.
		p, err := filepath.EvalSymlinks(filepath.Join(goxlaDir, "pjrt_c_api_cpu_plugin.so"))
		if err != nil {
			return fmt.Errorf("CPU plugin: installed, but %w", err)
		}
		if *cpuSHA != "" {
			sum, _, err := fileSHA256(p)
			if err != nil {
				return err
			}
			if sum != strings.ToLower(*cpuSHA) {
				return fmt.Errorf("CPU plugin %s: sha256 %s, want %s", p, sum, *cpuSHA)
			}
		}
		plugins = append(plugins, p)
	}
	if withCUDA {
		if err := inst.cuda13(*cuda13, goxlaDir); err != nil {
			return fmt.Errorf("CUDA 13 plugin (jax-cuda13-pjrt %s): %w", *cuda13, err)
		}
		plugins = append(plugins, filepath.Join(goxlaDir, "nvidia", "pjrt_c_api_cuda_plugin.so"))
	}
	for _, p := range plugins {
		sum, size, err := fileSHA256(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "pjrtinstall: installed %s (%d bytes, sha256 %s)\n", p, size, sum)
	}
	return nil
}

var sha256RE = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// fileSHA256 returns the hex sha256 and the size of the file at path.
func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func orUnknown(v string) string {
	if v == "" {
		return "(unknown version)"
	}
	return v
}
