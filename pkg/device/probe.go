package device

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/juanji/juanji/pkg/gocpu"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"
)

// probe is everything the choice looks at or does to the machine, as
// functions, so that tests can run the choice on a made-up machine.
type probe struct {
	lookupEnv func(key string) (string, bool)
	setenv    func(key, value string) error
	homeDir   func() (string, error)
	// gpuPresent tells whether an NVIDIA GPU is present.
	gpuPresent func() bool
	// pythonPaths returns the folders Python searches for packages (asked of
	// python3, with a timeout); used only when the usual folders hold no JAX
	// CUDA plugin.
	pythonPaths func() []string
	// prefixes are the system install prefixes searched for Python
	// site-packages (/usr, /usr/local, /opt/conda).
	prefixes []string
	// systemLibDirs are the system "lib" folders go-xla installs into
	// (/usr/local/lib).
	systemLibDirs []string
	// newBackend creates a GoMLX backend from a GOMLX_BACKEND-style config.
	newBackend func(config string) (backends.Backend, error)
	// xla tells whether the XLA backend is compiled in.
	xla bool
	// disableAutoInstall turns GoMLX's PJRT plugin download off.
	disableAutoInstall func()
	numCPU             func() int

	// For Report.
	lookPath   func(file string) (string, error)
	run        func(timeout time.Duration, name string, args ...string) ([]byte, error)
	readFile   func(path string) ([]byte, error)
	gomaxprocs func() int

	reg registry
	mu  sync.Mutex        // serializes choices
	own map[string]string // environment variables set here, with their values
}

// newSystemProbe returns the probe of the real machine.
func newSystemProbe() *probe {
	p := &probe{
		lookupEnv:          os.LookupEnv,
		setenv:             os.Setenv,
		homeDir:            os.UserHomeDir,
		prefixes:           []string{"/usr/local", "/usr", "/opt/conda"},
		systemLibDirs:      []string{"/usr/local/lib"},
		newBackend:         newQuietBackend,
		xla:                xlaCompiled,
		disableAutoInstall: disableXLAAutoInstall,
		numCPU:             runtime.NumCPU,
		lookPath:           exec.LookPath,
		run:                runTimeout,
		readFile:           os.ReadFile,
		gomaxprocs:         func() int { return runtime.GOMAXPROCS(0) },
	}
	p.gpuPresent = sync.OnceValue(func() bool { return nvidiaGPUPresent(p.lookPath, p.run) })
	p.pythonPaths = func() []string { return pythonSysPaths(p.lookPath, p.run) }
	return p
}

// runTimeout runs a command and returns its standard output and error,
// killing it after timeout.
func runTimeout(timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, fmt.Errorf("%s: no answer within %s", name, timeout)
	}
	if err != nil {
		return out, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return out, nil
}

// nvidiaGPUPresent tells whether an NVIDIA GPU is present: a /dev/nvidia0-like
// device file, or else `nvidia-smi -L` listing a GPU within 5 seconds.
func nvidiaGPUPresent(lookPath func(string) (string, error), run func(time.Duration, string, ...string) ([]byte, error)) bool {
	if m, _ := filepath.Glob("/dev/nvidia[0-9]*"); len(m) > 0 {
		return true
	}
	smi, err := lookPath("nvidia-smi")
	if err != nil {
		return false
	}
	out, err := run(5*time.Second, smi, "-L")
	return err == nil && strings.Contains(string(out), "GPU ")
}

// pythonSysPaths asks python3 for its package folders, within 3 seconds.
func pythonSysPaths(lookPath func(string) (string, error), run func(time.Duration, string, ...string) ([]byte, error)) []string {
	py, err := lookPath("python3")
	if err != nil {
		return nil
	}
	const script = `import site, sys
paths = list(getattr(site, "getsitepackages", lambda: [])())
try:
    paths.append(site.getusersitepackages())
except Exception:
    pass
print("\n".join(paths + sys.path))`
	out, err := run(3*time.Second, py, "-c", script)
	if err != nil {
		return nil
	}
	var paths []string
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); filepath.IsAbs(line) {
			paths = append(paths, line)
		}
	}
	return paths
}

// choose makes the choice for GPU number index. With strict, a forced choice
// that fails is an error; otherwise it becomes a note and the automatic
// choice follows.
func (p *probe) choose(index int, strict bool) (Device, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if index < 0 {
		return Device{}, fmt.Errorf("device: GPU index %d: must be 0 or more", index)
	}
	var notes []string
	skip := map[string]bool{}
	forced := strings.ToLower(envValue(p.lookupEnv, EnvDevice))
	switch forced {
	case "", "auto":
		if cfg := envValue(p.lookupEnv, EnvBackend); cfg != "" {
			source := EnvBackend + "=" + cfg
			d, ok, err := tryForced(source, strict, &notes, func() (Device, error) { return p.tryConfig(cfg, index, source) })
			if ok || err != nil {
				return p.finish(d, notes, err)
			}
			// Nothing is skipped below: the automatic choice finds plugins
			// by path, where GoMLX looks them up by name.
		}
	case KindEngine, KindGo, KindCPU, KindCUDA:
		source := EnvDevice + "=" + forced
		d, ok, err := tryForced(source, strict, &notes, func() (Device, error) { return p.tryKind(forced, index, source) })
		if ok || err != nil {
			return p.finish(d, notes, err)
		}
		skip[forced] = true
	default:
		err := fmt.Errorf("device: %s=%q: want gocpu, go, cpu, cuda or auto", EnvDevice, forced)
		if strict {
			return Device{}, err
		}
		notes = append(notes, err.Error()+"; choosing automatically")
	}

	// The automatic order: cuda (when a GPU is present), cpu (when the plugin
	// is installed), juanji's engine, GoMLX's pure Go.
	if !skip[KindCUDA] && p.xla && p.gpuPresent() {
		d, err := p.tryCUDA(index, "auto")
		if err == nil {
			return p.done(d, notes), nil
		}
		notes = append(notes, fmt.Sprintf("device: NVIDIA GPU present, but %v; using the CPU", err))
	}
	if !skip[KindCPU] && p.xla {
		if plugin := p.findCPUPlugin(); plugin != "" {
			d, err := p.tryCPU(plugin, "auto")
			if err == nil {
				return p.done(d, notes), nil
			}
			notes = append(notes, fmt.Sprintf("device: XLA CPU plugin %s failed: %v; using juanji's CPU engine", plugin, err))
		}
	}
	if !skip[KindEngine] {
		d, err := p.tryEngine("auto")
		if err == nil {
			return p.done(d, notes), nil
		}
		notes = append(notes, fmt.Sprintf("device: juanji's CPU engine failed: %v; using the pure Go backend", err))
	}
	d, err := p.tryGo("auto")
	if err != nil {
		return Device{}, fmt.Errorf("device: no backend works, not even the pure Go one: %w", err)
	}
	return p.done(d, notes), nil
}

// tryForced tries a choice the environment forces (source names the variable). It reports
// ok when the choice works; when it fails, the error under strict, else a note in notes so
// that the automatic choice follows.
func tryForced(source string, strict bool, notes *[]string, try func() (Device, error)) (d Device, ok bool, err error) {
	d, err = try()
	if err == nil {
		return d, true, nil
	}
	err = fmt.Errorf("device: %s: %w", source, err)
	if strict {
		return Device{}, false, err
	}
	*notes = append(*notes, err.Error()+"; choosing automatically")
	return Device{}, false, nil
}

// finish ends a forced choice: the error if there is one, else the device, recorded.
func (p *probe) finish(d Device, notes []string, err error) (Device, error) {
	if err != nil {
		return Device{}, err
	}
	return p.done(d, notes), nil
}

// done records a successful choice.
func (p *probe) done(d Device, notes []string) Device {
	d.Notes = append(notes, d.Notes...)
	p.reg.record(d)
	return d
}

// configKind guesses the Kind of a GOMLX_BACKEND configuration.
func configKind(cfg string) string {
	name, rest, _ := strings.Cut(cfg, ":")
	switch {
	case name == gocpu.BackendName:
		return KindEngine
	case name == "go":
		return KindGo
	case strings.Contains(strings.ToLower(rest), "cuda"):
		return KindCUDA
	case strings.HasPrefix(rest, "cpu") || strings.Contains(filepath.Base(rest), "_cpu"):
		return KindCPU
	}
	return ""
}

// tryKind makes a choice forced by JUANJI_DEVICE.
func (p *probe) tryKind(kind string, index int, source string) (Device, error) {
	switch kind {
	case KindEngine:
		return p.tryEngine(source) // any index: try_gpu(i) falls back to the CPU
	case KindGo:
		return p.tryGo(source) // any index: try_gpu(i) falls back to the CPU
	case KindCPU:
		if !p.xla {
			return Device{}, errNoXLA
		}
		plugin := p.findCPUPlugin()
		if plugin == "" {
			return Device{}, fmt.Errorf("no XLA PJRT CPU plugin (pjrt_c_api_cpu_plugin.so) %s; install one with "+
				"`go run ./docker/pjrtinstall -dir ~/.local/lib` in a juanji checkout", p.whereGoXLA())
		}
		return p.tryCPU(plugin, source)
	case KindCUDA:
		if !p.xla {
			return Device{}, errNoXLA
		}
		d, err := p.tryCUDA(index, source)
		if err != nil && !p.gpuPresent() {
			err = fmt.Errorf("%w (and no NVIDIA GPU was detected)", err)
		}
		return d, err
	}
	return Device{}, fmt.Errorf("unknown device kind %q", kind)
}

// errNoXLA says the XLA backend is not part of this build.
var errNoXLA = errors.New("the XLA backend is not compiled in (built with the noxla tag or without cgo)")

// tryEngine creates juanji's CPU engine.
func (p *probe) tryEngine(source string) (Device, error) {
	b, err := p.open(gocpu.BackendName)
	if err != nil {
		return Device{}, err
	}
	return Device{Name: "cpu", Kind: KindEngine, BackendName: gocpu.BackendName, Engine: engineDescription(b),
		Config: gocpu.BackendName, Source: source, Backend: b}, nil
}

// tryGo creates the pure-Go backend.
func (p *probe) tryGo(source string) (Device, error) {
	b, err := p.open(GoConfig)
	if err != nil {
		return Device{}, err
	}
	return Device{Name: "cpu", Kind: KindGo, BackendName: "go", Engine: goEngine(p.numCPU()),
		Config: GoConfig, Source: source, Backend: b}, nil
}

// tryCPU creates the XLA backend with the CPU plugin at path.
func (p *probe) tryCPU(plugin, source string) (Device, error) {
	// A plugin given by path is not known as "cpu" to GoMLX, which then does
	// not advertise shared buffers: ask for them, as GoMLX does for "cpu".
	config := "xla:" + plugin + ",shared_buffers"
	b, err := p.open(config)
	if err != nil {
		return Device{}, err
	}
	return Device{Name: "cpu", Kind: KindCPU, BackendName: "xla", Engine: "XLA PJRT CPU plugin",
		Plugin: plugin, Config: config, Source: source, Backend: b}, nil
}

// tryCUDA creates the XLA backend with the first CUDA plugin that loads and
// has GPU number index.
func (p *probe) tryCUDA(index int, source string) (Device, error) {
	plugins := p.findCUDAPlugins()
	if len(plugins) == 0 {
		return Device{}, fmt.Errorf("no CUDA PJRT plugin found (neither go-xla's pjrt_c_api_cuda_plugin.so %s, "+
			"nor JAX's jax_plugins/xla_cuda*/xla_cuda_plugin.so in Python's site-packages)", p.whereGoXLA())
	}
	var errs []string
	for _, plugin := range plugins {
		env := p.prepareCUDA(plugin)
		config := "xla:" + plugin
		b, err := p.open(config)
		if err != nil {
			errs = append(errs, fmt.Sprintf("CUDA plugin %s: %v", plugin, err))
			continue
		}
		if n := b.NumDevices(); index >= n {
			p.release(config, b)
			errs = append(errs, fmt.Sprintf("CUDA plugin %s sees %d GPU(s), none numbered %d", plugin, n, index))
			continue
		}
		return Device{Name: fmt.Sprintf("cuda:%d", index), Kind: KindCUDA, Index: index, BackendName: "xla",
			Engine: cudaEngine(plugin), Plugin: plugin, Config: config, Source: source, Env: env, Backend: b}, nil
	}
	return Device{}, errors.New(strings.Join(errs, "; "))
}

// cudaEngine describes a CUDA plugin by where it comes from.
func cudaEngine(plugin string) string {
	if strings.Contains(plugin, string(filepath.Separator)+"jax_plugins"+string(filepath.Separator)) {
		return "XLA PJRT CUDA plugin from JAX"
	}
	return "XLA PJRT CUDA plugin"
}

// tryConfig creates the backend a GOMLX_BACKEND configuration names.
func (p *probe) tryConfig(cfg string, index int, source string) (Device, error) {
	name, rest, _ := strings.Cut(cfg, ":")
	switch name {
	case gocpu.BackendName:
		return p.tryEngine(source)
	case "go":
		config := goConfig(rest)
		b, err := p.open(config)
		if err != nil {
			return Device{}, err
		}
		return Device{Name: "cpu", Kind: KindGo, BackendName: "go", Engine: goEngine(p.numCPU()),
			Config: config, Source: source, Backend: b}, nil
	case "xla", "stablehlo", "hlo", "shlo":
		if !p.xla {
			return Device{}, errNoXLA
		}
		plugin, _, _ := strings.Cut(rest, ",")
		if !filepath.IsAbs(plugin) {
			// GoMLX would download a missing plugin by name: never here.
			p.disableAutoInstall()
		}
		d := Device{Name: "cpu", BackendName: "xla", Engine: "XLA PJRT plugin " + strings.TrimSpace(plugin),
			Plugin: plugin, Config: cfg, Source: source}
		if plugin == "" {
			d.Engine = "XLA PJRT plugin (GoMLX's default)"
		}
		kind := configKind(cfg)
		if kind == KindCUDA || plugin == "" {
			// "xla" alone lets GoMLX pick its preferred plugin, "cuda" first.
			path := plugin
			if !filepath.IsAbs(path) {
				path = p.findGoXLAPlugin(cmp.Or(plugin, KindCUDA))
			}
			if kind == KindCUDA || path != "" {
				d.Env = p.prepareCUDA(path) // "" sets GOPJRT_CUDA_CHECKS only
			}
		}
		b, err := p.open(cfg)
		if err != nil {
			return Device{}, err
		}
		d.Backend = b
		if kind == "" && strings.Contains(strings.ToLower(b.Description()), "cuda") {
			kind = KindCUDA
		}
		switch kind {
		case KindCUDA:
			if n := b.NumDevices(); index >= n {
				p.release(cfg, b)
				return Device{}, fmt.Errorf("it sees %d GPU(s), none numbered %d", n, index)
			}
			d.Name, d.Kind, d.Index, d.Engine = fmt.Sprintf("cuda:%d", index), KindCUDA, index, cudaEngine(plugin)
		case KindCPU:
			d.Kind, d.Engine = KindCPU, "XLA PJRT CPU plugin"
		}
		return d, nil
	}
	b, err := p.open(cfg)
	if err != nil {
		return Device{}, err
	}
	return Device{Name: "cpu", BackendName: name, Engine: b.Description(), Config: cfg, Source: source, Backend: b}, nil
}

// goConfig returns the pure-Go backend's configuration for the options
// given, adding parallelism=-1 unless a parallelism is given.
func goConfig(options string) string {
	var opts []string
	hasParallelism := false
	for _, o := range strings.Split(options, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if strings.HasPrefix(o, "parallelism=") {
			hasParallelism = true
		}
		opts = append(opts, o)
	}
	if !hasParallelism {
		opts = append([]string{"parallelism=-1"}, opts...)
	}
	return "go:" + strings.Join(opts, ",")
}

// open returns the backend for config, reusing one created earlier. A panic
// of the constructor (GoMLX panics on an unknown backend name) is an error.
func (p *probe) open(config string) (b backends.Backend, err error) {
	if b, ok := p.reg.cached(config); ok {
		return b, nil
	}
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("creating backend %q: %v", config, r)
		}
	}()
	b, err = p.newBackend(config)
	if err != nil {
		return nil, fmt.Errorf("creating backend %q: %s", config, firstLine(err.Error()))
	}
	if b == nil {
		return nil, fmt.Errorf("creating backend %q: constructor returned nil", config)
	}
	p.reg.keep(config, b)
	return b, nil
}

// release finalizes a backend created for a choice that was not made, so
// that it does not hold a GPU's memory, unless an earlier choice handed it
// out.
func (p *probe) release(config string, b backends.Backend) {
	if _, handedOut := p.reg.lookup(b); handedOut {
		return
	}
	p.reg.forget(config)
	b.Finalize()
}

// firstLine returns s up to its first newline: GoMLX errors carry stack
// traces that a notebook should not show.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// goXLADirs returns the folders go-xla v0.1.4 searches for PJRT plugins:
// those of PJRT_PLUGIN_LIBRARY_PATH when it is set, else its defaults
// (without the /etc/ld.so.conf folders, where no plugin is installed).
func (p *probe) goXLADirs() []string {
	if v, ok := p.lookupEnv("PJRT_PLUGIN_LIBRARY_PATH"); ok {
		return splitPathList(v)
	}
	var dirs []string
	if home, err := p.homeDir(); err == nil && home != "" {
		d := filepath.Join(home, ".local", "lib", "go-xla")
		dirs = append(dirs, d, filepath.Join(d, "nvidia"), filepath.Join(home, ".local", "lib", "gomlx", "pjrt"))
	}
	for _, lib := range p.systemLibDirs {
		d := filepath.Join(lib, "go-xla")
		dirs = append(dirs, d, filepath.Join(d, "nvidia"), filepath.Join(lib, "gomlx", "pjrt"))
	}
	if v, ok := p.lookupEnv("LD_LIBRARY_PATH"); ok {
		dirs = append(dirs, splitPathList(v)...)
	}
	return dirs
}

// whereGoXLA says, for a message, where go-xla plugins were looked for.
func (p *probe) whereGoXLA() string {
	if v, ok := p.lookupEnv("PJRT_PLUGIN_LIBRARY_PATH"); ok {
		return fmt.Sprintf("in PJRT_PLUGIN_LIBRARY_PATH=%q", v)
	}
	return "in ~/.local/lib/go-xla[/nvidia], /usr/local/lib/go-xla[/nvidia] or LD_LIBRARY_PATH"
}

// splitPathList splits a ":"-separated list, keeping absolute paths only.
func splitPathList(v string) []string {
	var out []string
	for _, d := range strings.Split(v, ":") {
		if d != "" && filepath.IsAbs(d) {
			out = append(out, d)
		}
	}
	return out
}

// findPlugins returns the existing files matching the patterns in the
// go-xla folders, in search order, without duplicates.
func (p *probe) findPlugins(patterns ...string) []string {
	var found []string
	seen := map[string]bool{}
	for _, dir := range p.goXLADirs() {
		for _, pattern := range patterns {
			matches, _ := filepath.Glob(filepath.Join(dir, pattern))
			found = appendNewFiles(found, seen, matches)
		}
	}
	return found
}

// appendNewFiles appends to found the paths of files not seen yet, comparing by the real
// path (symlinks resolved), and marks them seen.
func appendNewFiles(found []string, seen map[string]bool, paths []string) []string {
	for _, m := range paths {
		real := m
		if r, err := filepath.EvalSymlinks(m); err == nil {
			real = r
		}
		if seen[real] || !isFile(m) {
			continue
		}
		seen[real] = true
		found = append(found, m)
	}
	return found
}

// findCPUPlugin returns the path of the XLA PJRT CPU plugin, "" if none.
func (p *probe) findCPUPlugin() string {
	found := p.findPlugins("pjrt_c_api_cpu_plugin.so", "pjrt_c_api_cpu_*_plugin.so",
		"pjrt_c_api_cpu_plugin.dylib", "pjrt_c_api_cpu_*_plugin.dylib")
	if len(found) == 0 {
		return ""
	}
	return found[0]
}

// findGoXLAPlugin returns the path of the plugin go-xla knows by name, "" if
// none.
func (p *probe) findGoXLAPlugin(name string) string {
	found := p.findPlugins("pjrt_c_api_"+name+"_plugin.so", "pjrt-plugin-"+name+".so", "pjrt_plugin_"+name+".so")
	if len(found) == 0 {
		return ""
	}
	return found[0]
}

// findCUDAPlugins returns the CUDA PJRT plugins found: go-xla's first, then
// JAX's (newest CUDA first).
func (p *probe) findCUDAPlugins() []string {
	found := p.findPlugins("pjrt_c_api_cuda_plugin.so", "pjrt_c_api_cuda*_plugin.so")
	jax := p.findJAXCUDAPlugins(p.siteDirs())
	if len(jax) == 0 {
		jax = p.findJAXCUDAPlugins(p.pythonPaths())
	}
	return append(found, jax...)
}

// siteDirs returns the Python package folders worth a look, most specific
// first: the active virtualenv, conda, the user's, then the system's.
func (p *probe) siteDirs() []string {
	var prefixes []string
	for _, key := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if v := envValue(p.lookupEnv, key); v != "" {
			prefixes = append(prefixes, v)
		}
	}
	if home, err := p.homeDir(); err == nil && home != "" {
		prefixes = append(prefixes, filepath.Join(home, ".local"))
	}
	prefixes = append(prefixes, p.prefixes...)
	var dirs []string
	for _, prefix := range prefixes {
		for _, pattern := range []string{"lib/python3*/site-packages", "lib/python3*/dist-packages",
			"lib/python3/dist-packages", "lib64/python3*/site-packages"} {
			matches, _ := filepath.Glob(filepath.Join(prefix, pattern))
			sort.Sort(sort.Reverse(sort.StringSlice(matches))) // python3.12 before python3.11
			dirs = append(dirs, matches...)
		}
	}
	return dirs
}

// findJAXCUDAPlugins returns the JAX CUDA plugins in the given site-packages
// folders, newest CUDA first within a folder, without duplicates.
func (p *probe) findJAXCUDAPlugins(dirs []string) []string {
	var found []string
	seen := map[string]bool{}
	for _, dir := range dirs {
		matches, _ := filepath.Glob(filepath.Join(dir, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so"))
		sort.Sort(sort.Reverse(sort.StringSlice(matches))) // xla_cuda13 before xla_cuda12
		found = appendNewFiles(found, seen, matches)
	}
	return found
}

// prepareCUDA sets, before a CUDA plugin is loaded, GOPJRT_CUDA_CHECKS=0 (so
// that go-xla v0.1.4 does not write its author's path into XLA_FLAGS) and
// XLA_FLAGS=--xla_gpu_cuda_data_dir=DIR pointing at the plugin's real NVIDIA
// folder. A variable the user set is left alone; one set here for another
// plugin is set again. It returns the variables set here, as NAME=value.
func (p *probe) prepareCUDA(plugin string) []string {
	p.setOwn("GOPJRT_CUDA_CHECKS", "0")
	if plugin != "" {
		if dir := cudaDataDir(plugin); dir != "" {
			p.setOwn("XLA_FLAGS", "--xla_gpu_cuda_data_dir="+dir)
		}
	}
	var set []string
	for _, key := range []string{"GOPJRT_CUDA_CHECKS", "XLA_FLAGS"} {
		if v, ok := p.lookupEnv(key); ok && p.own[key] == v {
			set = append(set, key+"="+v)
		}
	}
	return set
}

// setOwn sets an environment variable unless the user has set it (it is
// set, and not by this package).
func (p *probe) setOwn(key, value string) {
	if v, ok := p.lookupEnv(key); ok && p.own[key] != v {
		return
	}
	if err := p.setenv(key, value); err != nil {
		return
	}
	if p.own == nil {
		p.own = map[string]string{}
	}
	p.own[key] = value
}

// cudaDataDir returns the folder to give XLA as --xla_gpu_cuda_data_dir for
// the CUDA plugin at path: the first folder holding nvvm/libdevice among the
// NVIDIA folders next to it (go-xla's layout: lib/go-xla/nvidia/ holds the
// plugin; JAX's: site-packages/nvidia/{cu13,cuda_nvcc,cu12}, two levels above
// jax_plugins/xla_cuda13/). Failing that, the first such NVIDIA folder that
// exists (what go-xla meant to set); "" if there is none.
func cudaDataDir(plugin string) string {
	pluginDir := filepath.Dir(plugin)
	var roots []string
	if filepath.Base(pluginDir) == "nvidia" {
		roots = append(roots, pluginDir)
	}
	roots = append(roots,
		filepath.Join(filepath.Dir(pluginDir), "nvidia"),
		filepath.Join(filepath.Dir(filepath.Dir(pluginDir)), "nvidia"))
	var existing []string
	seen := map[string]bool{}
	for _, root := range roots {
		if seen[root] || !isDir(root) {
			continue
		}
		seen[root] = true
		existing = append(existing, root)
		for _, sub := range []string{"cu13", "cuda_nvcc", "cu12", ""} {
			cand := filepath.Join(root, sub)
			if isDir(filepath.Join(cand, "nvvm", "libdevice")) {
				return cand
			}
		}
	}
	if len(existing) > 0 {
		return existing[0]
	}
	return ""
}

// isDir tells whether path is a folder (following links).
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// isFile tells whether path is a regular file (following links).
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
