package dockercheck

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Project is what the rules look at, read from a checkout by Load. Tests
// change its fields to show that a rule fails.
type Project struct {
	// Dockerfile is docker/Dockerfile.
	Dockerfile *Dockerfile
	// DockerfileText is its text.
	DockerfileText string
	// Scripts are the files the image runs as its entry point, by their path
	// in the checkout (docker/entrypoint.sh), as found in ENTRYPOINT and CMD.
	Scripts map[string]string
	// Executable tells, for each script, whether its file has an x bit.
	Executable map[string]bool
	// Requirements is docker/requirements.txt.
	Requirements string
	// DockerIgnore is .dockerignore (or docker/Dockerfile.dockerignore).
	DockerIgnore string
	// GoMod and ToolsGoMod map module paths to the versions go.mod and
	// kernels/tools/go.mod require.
	GoMod, ToolsGoMod map[string]string
	// GoDirective is the go line of go.mod (1.26.0).
	GoDirective string
	// GoSum is go.sum's text.
	GoSum string
	// SecretScan holds the text files where no secret may be: docker/,
	// kernels/, Makefile and .ci/, by path.
	SecretScan map[string]string
}

// checkoutPath is where the Dockerfile puts the checkout in the image: the
// ENTRYPOINT names scripts under it.
const checkoutPath = "/home/juanji/juanji/"

// Load reads the project at root (the checkout's top folder).
func Load(root string) (*Project, error) {
	p := &Project{Scripts: map[string]string{}, Executable: map[string]bool{}, SecretScan: map[string]string{}}
	read := func(rel string) (string, error) {
		b, err := os.ReadFile(filepath.Join(root, rel))
		return string(b), err
	}
	var err error
	if p.DockerfileText, err = read("docker/Dockerfile"); err != nil {
		return nil, err
	}
	if p.Dockerfile, err = ParseDockerfile(p.DockerfileText); err != nil {
		return nil, fmt.Errorf("docker/Dockerfile: %w", err)
	}
	if p.Requirements, err = read("docker/requirements.txt"); err != nil {
		return nil, err
	}
	for _, name := range []string{".dockerignore", "docker/Dockerfile.dockerignore"} {
		if text, err := read(name); err == nil {
			p.DockerIgnore = text
			break
		}
	}
	for _, in := range append(p.Dockerfile.Each("ENTRYPOINT"), p.Dockerfile.Each("CMD")...) {
		for _, w := range execWords(in.Args) {
			rel, ok := strings.CutPrefix(w, checkoutPath)
			if !ok {
				continue
			}
			text, err := read(rel)
			if err != nil {
				return nil, fmt.Errorf("docker/Dockerfile line %d runs %s: %w", in.Line, w, err)
			}
			p.Scripts[rel] = text
			if fi, err := os.Stat(filepath.Join(root, rel)); err == nil {
				p.Executable[rel] = fi.Mode()&0o111 != 0
			}
		}
	}
	gomod, err := read("go.mod")
	if err != nil {
		return nil, err
	}
	p.GoMod, p.GoDirective = parseGoMod(gomod)
	tools, err := read("kernels/tools/go.mod")
	if err != nil {
		return nil, err
	}
	p.ToolsGoMod, _ = parseGoMod(tools)
	if p.GoSum, err = read("go.sum"); err != nil {
		return nil, err
	}
	for _, rel := range []string{"docker", "kernels", "Makefile", ".ci"} {
		err := filepath.WalkDir(filepath.Join(root, rel), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if strings.IndexByte(string(b), 0) >= 0 {
				return nil // binary
			}
			r, _ := filepath.Rel(root, path)
			p.SecretScan[filepath.ToSlash(r)] = string(b)
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return p, nil
}

// parseGoMod returns the required modules' versions and the go directive.
func parseGoMod(text string) (map[string]string, string) {
	mods := map[string]string{}
	goDirective := ""
	inBlock := false
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "go" && len(f) == 2:
			goDirective = f[1]
		case f[0] == "require" && len(f) == 2 && f[1] == "(":
			inBlock = true
		case inBlock && f[0] == ")":
			inBlock = false
		case inBlock && len(f) == 2:
			mods[f[0]] = f[1]
		case f[0] == "require" && len(f) == 3:
			mods[f[1]] = f[2]
		}
	}
	return mods, goDirective
}

// goSumVersions returns the versions of module that go.sum holds a module
// (not only go.mod) hash for, sorted.
func goSumVersions(gosum, module string) []string {
	seen := map[string]bool{}
	for _, line := range strings.Split(gosum, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == module && !strings.HasSuffix(f[1], "/go.mod") {
			seen[f[1]] = true
		}
	}
	var out []string
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// ModuleVersion returns the version the project builds module at: go.mod's
// requirement, else the single version go.sum holds ("" if neither says).
func (p *Project) ModuleVersion(module string) string {
	if v, ok := p.GoMod[module]; ok {
		return v
	}
	if vs := goSumVersions(p.GoSum, module); len(vs) == 1 {
		return vs[0]
	}
	return ""
}
