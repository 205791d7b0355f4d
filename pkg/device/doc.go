// Package device chooses where the notebooks compute: a GPU when there is one,
// else the CPU, and it reports on the machine like the document's `!nvidia-smi`
// cell.
//
// It reproduces the document's helpers:
//
//	def try_gpu(i=0): ...          ->  backend := device.TryGPU()
//	print(try_gpu())               ->  (TryGPU prints the same line: cuda:0, or a cpu line)
//	f"calculate on {device}"       ->  fmt.Sprintf("calculate on %s", device.Describe(backend))
//	!nvidia-smi                    ->  device.PrintReport()
//
// # The choice, in order
//
//  1. JUANJI_DEVICE, when set to go, cpu or cuda (auto, or unset, means the
//     order below). It wins over GOMLX_BACKEND when both are set.
//  2. GOMLX_BACKEND, GoMLX's own variable ("<backend>[:<config>]", e.g.
//     "xla:cuda", "xla:/path/to/pjrt_c_api_cuda_plugin.so", "go"), used as
//     GoMLX uses it, with two changes: "go" always gets parallelism=-1 (below),
//     and GoMLX's automatic plugin download is turned off.
//  3. cuda: the XLA backend with a CUDA PJRT plugin, tried only when an NVIDIA
//     GPU is present (a /dev/nvidia0-like device file, or `nvidia-smi -L`
//     listing a GPU). Plugins are looked for where go-xla installs them
//     (PJRT_PLUGIN_LIBRARY_PATH if set, else ~/.local/lib/go-xla[/nvidia],
//     /usr/local/lib/go-xla[/nvidia], the older .../gomlx/pjrt folders and
//     LD_LIBRARY_PATH: file pjrt_c_api_cuda_plugin.so), then in any JAX
//     install (jax_plugins/xla_cuda*/xla_cuda_plugin.so in Python's
//     site-packages: the usual /usr, /usr/local, ~/.local, $VIRTUAL_ENV,
//     $CONDA_PREFIX and /opt/conda folders, and, if none of those has one,
//     what `python3 -c "import site, sys"` prints within 3 seconds).
//  4. cpu: the XLA backend with the CPU PJRT plugin (pjrt_c_api_cpu_plugin.so
//     in the same go-xla folders), when it is installed.
//  5. go: GoMLX's pure-Go backend ("SimpleGo"), which needs nothing installed.
//
// A choice that fails (a plugin that does not load, a forced choice that
// cannot be met) prints one line saying why, and the next one is tried:
// TryGPU always returns a working backend. [Select] returns the failure of a
// forced choice as an error instead.
//
// # What each choice needs
//
//   - JUANJI_DEVICE=go: nothing. Runs on all cores. It cannot compute the
//     gradients of GoMLX's convolution and pooling ops (see pkg/nn).
//   - JUANJI_DEVICE=cpu: the XLA PJRT CPU plugin, e.g. installed by
//     `go run ./docker/pjrtinstall -dir ~/.local/lib` (go-xla's installer at the version go.sum pins) into
//     ~/.local/lib/go-xla, and a build with cgo.
//   - JUANJI_DEVICE=cuda: an NVIDIA GPU with its driver, a CUDA PJRT plugin
//     with its NVIDIA libraries (go-xla's installer puts them in
//     ~/.local/lib/go-xla/nvidia; a JAX install with jax-cuda12/13-pjrt works
//     as is), and a build with cgo.
//
// # Nothing is downloaded
//
// GoMLX's XLA backend downloads missing PJRT plugins by default (CPU plugin
// from GitHub, CUDA from PyPI). This package never lets it: it loads plugins by
// absolute path, which skips the download, and when GOMLX_BACKEND names a
// plugin it turns the download off process-wide (xla.EnableAutoInstall(false)).
// Offline, the choice therefore takes milliseconds, not a network timeout.
//
// # CUDA settings made for you
//
// go-xla v0.1.4, after loading a CUDA plugin that has an nvidia/ folder beside
// it, sets XLA_FLAGS=--xla_gpu_cuda_data_dir to a path from its author's
// machine (/home/janpf/...). Before loading a CUDA plugin this package
// therefore sets GOPJRT_CUDA_CHECKS=0 (unless the user set it), which turns that
// code off, and, unless XLA_FLAGS is set already, sets
// XLA_FLAGS=--xla_gpu_cuda_data_dir=DIR where DIR is the real folder holding
// nvvm/libdevice (e.g. site-packages/nvidia/cu13 for JAX, or go-xla's
// nvidia/ folder). What was set is listed in [Device].Env.
//
// # The pure-Go backend
//
// It is always created with the configuration "go:parallelism=-1". With
// SimpleGo's default worker pool, GoMLX v0.26.0 deadlocks on graphs with
// parallel branches (a training step with two independent branches was seen
// waiting forever in workersPool.WaitToStart). SimpleGo prints
// "SimpleGo backend: parallelism set to -1" when given that option; this
// package hides that one line (quiet.go, through internal/gomlxpatch, which
// owns every process-wide patch of GoMLX) so a notebook shows only
// its own.
//
// # Building without XLA
//
// The XLA backend (github.com/gomlx/gomlx/backends/xla) needs cgo. It is
// compiled in on linux/amd64 and darwin when cgo is on; importing it loads no
// plugin and reads no network. Build with the tag noxla (or CGO_ENABLED=0) to
// leave it out: then only the pure-Go backend can be chosen.
package device
