package dockercheck

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/juanji/juanji/internal/security"
)

// Finding is one broken rule, where it is broken.
type Finding struct {
	// Where is "file:line", or "file" when no line applies.
	Where string
	// Msg says what is wrong.
	Msg string
}

func (f Finding) String() string { return f.Where + ": " + f.Msg }

// Rule is one check of the image's files.
type Rule struct {
	// Name is short, for test names: "non-root-user".
	Name string
	// Doc says what the rule wants.
	Doc string
	// Check returns what breaks the rule (nothing when it holds).
	Check func(p *Project) []Finding
}

// Rules are all the rules, in the order they are reported.
var Rules = []Rule{
	{"install-script", "the image sets up GoNB with kernels/install.sh, the script README and CI use, and no other way", checkInstallScript},
	{"versions", "Go and module versions equal go.mod and kernels/tools/go.mod; Go's tarball sha256 is given", checkVersions},
	{"no-latest", "nothing is fetched @latest or tagged latest", checkNoLatest},
	{"no-piped-installer", "no curl|sh or wget|sh, no ADD from a URL", checkNoPipedInstaller},
	{"downloads-verified", "every RUN that downloads with curl or wget checks a sha256", checkDownloadsVerified},
	{"non-root-user", "a non-root USER before the ENTRYPOINT/CMD of the image; never --allow-root", checkNonRootUser},
	{"jupyter-token", "Jupyter starts with a token (never empty), generated when JUPYTER_TOKEN is unset, and an explicit --ip", checkJupyterToken},
	{"base-image-pinned", "every base image is pinned by a tag other than latest, or a digest", checkBaseImagePinned},
	{"no-secrets", "no keys, tokens or passwords written in docker/, kernels/, Makefile, .ci/", checkNoSecrets},
	{"image-basics", "HEALTHCHECK, EXPOSE 8888, a VOLUME at JUANJI_DATA, GoMLX auto-install off", checkImageBasics},
	{"dockerignore", ".dockerignore keeps data/, bin/ and .git out of the build context", checkDockerIgnore},
	{"entrypoint", "the scripts ENTRYPOINT/CMD run exist and are executable", checkEntrypoint},
	{"requirements-pinned", "every Python requirement is pinned with ==", checkRequirementsPinned},
}

// Check runs every rule and returns all findings, each prefixed by its rule's name.
func Check(p *Project) []string {
	var out []string
	for _, r := range Rules {
		for _, f := range r.Check(p) {
			out = append(out, r.Name+": "+f.String())
		}
	}
	return out
}

const dockerfilePath = "docker/Dockerfile"

func at(in Instruction) string { return fmt.Sprintf("%s:%d", dockerfilePath, in.Line) }

// scriptLine is one logical line of a shell script: continuation lines
// joined, comment lines dropped.
type scriptLine struct {
	where string
	text  string
}

// scriptLines returns the statements of every script of p (security.Statements).
func scriptLines(p *Project) []scriptLine {
	var out []scriptLine
	for _, name := range slices.Sorted(maps.Keys(p.Scripts)) {
		for _, l := range security.Statements(p.Scripts[name]) {
			out = append(out, scriptLine{fmt.Sprintf("%s:%d", name, l.Num), l.Text})
		}
	}
	return out
}

// commandTexts are the instructions that run commands (RUN, CMD, ENTRYPOINT,
// HEALTHCHECK) and the scripts' lines, each with where it is.
func commandTexts(p *Project) []scriptLine {
	var out []scriptLine
	for _, in := range p.Dockerfile.Instructions {
		switch in.Cmd {
		case "RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "ENV", "ARG", "ADD", "COPY", "FROM":
			out = append(out, scriptLine{at(in), in.Args})
		}
	}
	return append(out, scriptLines(p)...)
}

var (
	installScriptRE = regexp.MustCompile(`(^|[\s;&|(])(bash\s+|\./)?kernels/install\.sh($|[\s;&|)])`)
	ownGoNBSetupRE  = regexp.MustCompile(`janpfeifer/gonb|gonb\s+--install`)
)

func checkInstallScript(p *Project) []Finding {
	var out []Finding
	found := false
	for _, in := range p.Dockerfile.Each("RUN") {
		if installScriptRE.MatchString(in.Args) {
			found = found || in.Stage == p.Dockerfile.Final()
		}
		if ownGoNBSetupRE.MatchString(in.Args) {
			out = append(out, Finding{at(in), "sets up GoNB itself; kernels/install.sh does it, at kernels/tools/go.mod's versions"})
		}
	}
	if !found {
		out = append(out, Finding{dockerfilePath, "no RUN of kernels/install.sh in the image's stage: the image must use the same set-up script as README and CI"})
	}
	return out
}

// versionArgs are the Dockerfile ARGs that name a Go module's version, and the module.
var versionArgs = []struct{ arg, module string }{
	{"GOMLX_VERSION", "github.com/gomlx/gomlx"},
	{"GO_XLA_VERSION", "github.com/gomlx/go-xla"},
	{"GONB_VERSION", "github.com/janpfeifer/gonb"},
}

var (
	moduleAtVersionRE = regexp.MustCompile(`([a-z0-9][a-z0-9.-]*\.[a-z]{2,}(?:/[A-Za-z0-9._~-]+)+)@(v[0-9][^\s"'@]*)`)
	goVersionRE       = regexp.MustCompile(`^([0-9]+)\.([0-9]+)(?:\.([0-9]+))?$`)
	sha256HexRE       = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func checkVersions(p *Project) []Finding {
	var out []Finding
	df := p.Dockerfile
	for _, va := range versionArgs {
		got, ok := df.Args[va.arg]
		want := p.ModuleVersion(va.module)
		switch {
		case want == "":
			out = append(out, Finding{"go.mod", fmt.Sprintf("%s: no version in go.mod or go.sum", va.module)})
		case !ok:
			out = append(out, Finding{dockerfilePath, fmt.Sprintf("no ARG %s=%s (the %s version the image is labelled and checked with)", va.arg, want, va.module)})
		case got != want:
			out = append(out, Finding{dockerfilePath, fmt.Sprintf("ARG %s=%s, but go.mod builds %s %s", va.arg, got, va.module, want)})
		}
	}
	if tv, ok := p.ToolsGoMod["github.com/janpfeifer/gonb"]; ok && df.Args["GONB_VERSION"] != "" && df.Args["GONB_VERSION"] != tv {
		out = append(out, Finding{dockerfilePath, fmt.Sprintf("ARG GONB_VERSION=%s, but kernels/tools/go.mod pins the kernel at %s", df.Args["GONB_VERSION"], tv)})
	}

	// Go: the same minor release as go.mod's go line, and not older.
	goVersion, ok := df.Args["GO_VERSION"]
	gv, gm := goVersionRE.FindStringSubmatch(goVersion), goVersionRE.FindStringSubmatch(p.GoDirective)
	switch {
	case !ok:
		out = append(out, Finding{dockerfilePath, "no ARG GO_VERSION"})
	case gv == nil || gv[3] == "":
		out = append(out, Finding{dockerfilePath, fmt.Sprintf("ARG GO_VERSION=%q: want an exact release such as 1.26.8", goVersion)})
	case gm == nil:
		out = append(out, Finding{"go.mod", fmt.Sprintf("go directive %q not understood", p.GoDirective)})
	case gv[1] != gm[1] || gv[2] != gm[2]:
		out = append(out, Finding{dockerfilePath, fmt.Sprintf("ARG GO_VERSION=%s, but go.mod says go %s: use a %s.%s release", goVersion, p.GoDirective, gm[1], gm[2])})
	case atoi(gv[3]) < atoi(gm[3]):
		out = append(out, Finding{dockerfilePath, fmt.Sprintf("ARG GO_VERSION=%s is older than go.mod's go %s", goVersion, p.GoDirective)})
	}
	if strings.Contains(p.DockerfileText, "go.dev/dl/") && !sha256HexRE.MatchString(df.Args["GO_SHA256"]) {
		out = append(out, Finding{dockerfilePath, fmt.Sprintf("ARG GO_SHA256=%q: want the 64 hex digits go.dev publishes for the Go tarball", df.Args["GO_SHA256"])})
	}

	// module@version anywhere a command is written: the pinned version.
	for _, t := range commandTexts(p) {
		for _, m := range moduleAtVersionRE.FindAllStringSubmatch(df.Expand(t.text), -1) {
			want, where := pinnedVersion(p, m[1])
			if want != "" && want != m[2] {
				out = append(out, Finding{t.where, fmt.Sprintf("%s@%s, but %s pins %s", m[1], m[2], where, want)})
			}
		}
	}
	return out
}

// pinnedVersion returns the version go.mod (or kernels/tools/go.mod) pins
// for the module holding pkg (the longest module path that is a prefix).
func pinnedVersion(p *Project, pkg string) (version, where string) {
	best := ""
	for _, mods := range []struct {
		file string
		m    map[string]string
	}{{"go.mod", p.GoMod}, {"kernels/tools/go.mod", p.ToolsGoMod}} {
		for mod, v := range mods.m {
			if (pkg == mod || strings.HasPrefix(pkg, mod+"/")) && len(mod) > len(best) {
				best, version, where = mod, v, mods.file
			}
		}
	}
	return version, where
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func checkNoLatest(p *Project) []Finding {
	var out []Finding
	for _, t := range commandTexts(p) {
		if security.UsesLatest(t.text) {
			out = append(out, Finding{t.where, "uses \"latest\": pin an exact version"})
		}
	}
	for name, v := range p.Dockerfile.Args {
		if strings.EqualFold(v, "latest") || strings.HasSuffix(strings.ToLower(v), ":latest") || strings.HasSuffix(strings.ToLower(v), "@latest") {
			out = append(out, Finding{dockerfilePath, fmt.Sprintf("ARG %s=%s: pin an exact version", name, v)})
		}
	}
	return out
}

var urlRE = regexp.MustCompile(`(?i)\b(https?|ftp)://|\bgit@`)

func checkNoPipedInstaller(p *Project) []Finding {
	var out []Finding
	for _, t := range commandTexts(p) {
		if security.RunsDownload(t.text) {
			out = append(out, Finding{t.where, "runs a downloaded script (curl|sh): download to a file, check its sha256, then run it"})
		}
	}
	for _, in := range p.Dockerfile.Each("ADD") {
		if urlRE.MatchString(in.Args) {
			out = append(out, Finding{at(in), "ADD from a URL: download with a RUN that checks the file's sha256"})
		}
	}
	return out
}

var (
	downloadRE = regexp.MustCompile(`\b(curl|wget)\b`)
	verifyRE   = regexp.MustCompile(`\bsha256sum\s+(-c|--check)\b|\bgpg\s+--verify\b`)
)

func checkDownloadsVerified(p *Project) []Finding {
	var out []Finding
	for _, in := range p.Dockerfile.Each("RUN") {
		if downloadRE.MatchString(stripAptInstall(in.Args)) && !verifyRE.MatchString(in.Args) {
			out = append(out, Finding{at(in), "downloads with curl/wget without `sha256sum -c`"})
		}
	}
	return out
}

// stripAptInstall removes package lists of apt-get install (installing the
// curl package is not a download).
func stripAptInstall(s string) string {
	return regexp.MustCompile(`apt-get\s+install[^&;|]*`).ReplaceAllString(s, "")
}

var allowRootRE = regexp.MustCompile(`--allow-root\b|allow_root\s*=\s*True`)

func checkNonRootUser(p *Project) []Finding {
	var out []Finding
	df := p.Dockerfile
	final := df.Final()
	start := -1 // index of the last ENTRYPOINT/CMD of the final stage
	for i, in := range df.Instructions {
		if in.Stage == final && (in.Cmd == "ENTRYPOINT" || in.Cmd == "CMD") {
			start = i
		}
	}
	if start < 0 {
		out = append(out, Finding{dockerfilePath, "the image has no ENTRYPOINT or CMD"})
	} else {
		var user *Instruction
		for i := 0; i < start; i++ {
			if in := df.Instructions[i]; in.Stage == final && in.Cmd == "USER" {
				user = &df.Instructions[i]
			}
		}
		if user == nil {
			out = append(out, Finding{at(df.Instructions[start]), "no USER before it: the image would run as root"})
		} else {
			name, _, _ := strings.Cut(strings.TrimSpace(df.Expand(user.Args)), ":")
			if name == "root" || name == "0" || name == "" || strings.Contains(name, "$") {
				out = append(out, Finding{at(*user), fmt.Sprintf("USER %s: run as a non-root user (a name or a uid other than 0)", user.Args)})
			}
		}
	}
	for _, t := range commandTexts(p) {
		if allowRootRE.MatchString(t.text) {
			out = append(out, Finding{t.where, "--allow-root: Jupyter must not run as root"})
		}
	}
	return out
}

var (
	emptyTokenRE      = regexp.MustCompile(`(?i)(NotebookApp|ServerApp|IdentityProvider|PasswordIdentityProvider)\.(token|password|hashed_password)\s*=\s*(''|""|$|\s)`)
	disableAuthRE     = regexp.MustCompile(`(?i)disable_check_xsrf\s*=\s*True|allow_unauthenticated_access\s*=\s*True`)
	emptyEnvTokenRE   = regexp.MustCompile(`\bJUPYTER_TOKEN\s*=\s*(''|""|$|\s)`)
	jupyterLaunchRE   = regexp.MustCompile(`\bjupyter(-|\s+)(lab|notebook|server)\b`)
	explicitIPRE      = regexp.MustCompile(`--ip(=|\s+)\S+|--ServerApp\.ip=\S+`)
	randomTokenRE     = regexp.MustCompile(`JUPYTER_TOKEN=["']?\$\([^)]*(/dev/urandom|secrets\.token_|openssl\s+rand)`)
	notAServerFlagsRE = regexp.MustCompile(`--version|\s(list|stop|nbconvert|kernelspec)\b`)
)

func checkJupyterToken(p *Project) []Finding {
	var out []Finding
	launches := 0
	for _, t := range commandTexts(p) {
		if emptyTokenRE.MatchString(t.text) {
			out = append(out, Finding{t.where, "empty Jupyter token or password: token authentication must stay on"})
		}
		if disableAuthRE.MatchString(t.text) {
			out = append(out, Finding{t.where, "turns a Jupyter protection off"})
		}
		if emptyEnvTokenRE.MatchString(t.text) {
			out = append(out, Finding{t.where, "JUPYTER_TOKEN set empty: token authentication must stay on"})
		}
		if jupyterLaunchRE.MatchString(t.text) && !notAServerFlagsRE.MatchString(t.text) {
			launches++
			if !explicitIPRE.MatchString(t.text) {
				out = append(out, Finding{t.where, "starts Jupyter without an explicit --ip"})
			}
		}
	}
	if launches == 0 {
		out = append(out, Finding{dockerfilePath, "Jupyter is not started by the ENTRYPOINT/CMD or the scripts they run"})
	}
	// The script that starts Jupyter makes a random token when none is given.
	for name, text := range p.Scripts {
		if !jupyterLaunchRE.MatchString(text) {
			continue
		}
		if !randomTokenRE.MatchString(text) {
			out = append(out, Finding{name, "starts Jupyter but does not make a random JUPYTER_TOKEN when none is set"})
		}
	}
	return out
}

func checkBaseImagePinned(p *Project) []Finding {
	var out []Finding
	df := p.Dockerfile
	stages := map[string]bool{}
	for _, s := range df.Stages {
		image := df.Expand(s.Image)
		where := fmt.Sprintf("%s:%d", dockerfilePath, s.Line)
		switch {
		case stages[strings.ToLower(image)] || image == "scratch":
		case strings.Contains(image, "$"):
			out = append(out, Finding{where, fmt.Sprintf("FROM %s: the image is an ARG without a default", s.Image)})
		case strings.Contains(image, "@sha256:"):
		default:
			last := image[strings.LastIndex(image, "/")+1:]
			_, tag, ok := strings.Cut(last, ":")
			if !ok || tag == "" {
				out = append(out, Finding{where, fmt.Sprintf("FROM %s: no tag, pin one (and a digest where you can)", image)})
			} else if strings.EqualFold(tag, "latest") {
				out = append(out, Finding{where, fmt.Sprintf("FROM %s: latest is no pin", image)})
			}
		}
		if s.Name != "" {
			stages[strings.ToLower(s.Name)] = true
		}
	}
	return out
}

func checkNoSecrets(p *Project) []Finding {
	var out []Finding
	for _, name := range slices.Sorted(maps.Keys(p.SecretScan)) {
		for i, line := range strings.Split(p.SecretScan[name], "\n") {
			for _, what := range security.Secrets(line) {
				out = append(out, Finding{fmt.Sprintf("%s:%d", name, i+1), "looks like " + what + "; pass secrets at run time (docker build --secret, -e VAR), never in a file"})
			}
		}
	}
	return out
}

func checkImageBasics(p *Project) []Finding {
	var out []Finding
	df := p.Dockerfile
	final := df.Final()
	var health, expose, volume bool
	env := map[string]string{}
	var volumes []string
	for _, in := range df.Instructions {
		if in.Stage != final {
			continue
		}
		switch in.Cmd {
		case "HEALTHCHECK":
			health = !strings.EqualFold(strings.TrimSpace(in.Args), "NONE")
		case "EXPOSE":
			for _, port := range strings.Fields(in.Args) {
				expose = expose || strings.TrimSuffix(port, "/tcp") == "8888"
			}
		case "ENV":
			for _, kv := range regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)`).FindAllStringSubmatch(in.Args, -1) {
				env[kv[1]] = unquote(kv[2])
			}
		case "VOLUME":
			volumes = append(volumes, execWords(in.Args)...)
		}
	}
	if !health {
		out = append(out, Finding{dockerfilePath, "no HEALTHCHECK in the image"})
	}
	if !expose {
		out = append(out, Finding{dockerfilePath, "no EXPOSE 8888"})
	}
	data := env["JUANJI_DATA"]
	for _, v := range volumes {
		volume = volume || (data != "" && strings.TrimSuffix(v, "/") == strings.TrimSuffix(data, "/"))
	}
	if data == "" {
		out = append(out, Finding{dockerfilePath, "no ENV JUANJI_DATA: datasets would go into the checkout inside the container"})
	} else if !volume {
		out = append(out, Finding{dockerfilePath, fmt.Sprintf("no VOLUME at JUANJI_DATA=%s: datasets would be downloaded again in each container", data)})
	}
	if env["GOMLX_NO_AUTO_INSTALL"] == "" {
		out = append(out, Finding{dockerfilePath, "no ENV GOMLX_NO_AUTO_INSTALL: GoMLX would download PJRT plugins again at run time"})
	}
	return out
}

func checkDockerIgnore(p *Project) []Finding {
	if p.DockerIgnore == "" {
		return []Finding{{".dockerignore", "missing: the build context would carry data/, bin/ and .git"}}
	}
	have := map[string]bool{}
	for _, line := range strings.Split(p.DockerIgnore, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "!") {
			continue
		}
		have[strings.Trim(line, "/")] = true
	}
	var out []Finding
	for _, want := range []string{"data", "bin", ".git"} {
		if !have[want] && !have[want+"/**"] {
			out = append(out, Finding{".dockerignore", fmt.Sprintf("does not exclude %s/", want)})
		}
	}
	return out
}

func checkEntrypoint(p *Project) []Finding {
	var out []Finding
	if len(p.Scripts) == 0 {
		out = append(out, Finding{dockerfilePath, "ENTRYPOINT/CMD run no script of the checkout (" + checkoutPath + "docker/...)"})
	}
	for name := range p.Scripts {
		if !p.Executable[name] {
			out = append(out, Finding{name, "not executable (chmod +x, and commit the mode)"})
		}
		if !strings.HasPrefix(p.Scripts[name], "#!") {
			out = append(out, Finding{name, "no #! line"})
		}
	}
	return out
}

var requirementRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[0-9][A-Za-z0-9.+!-]*(\s+--hash=sha256:[0-9a-f]{64})*$`)

func checkRequirementsPinned(p *Project) []Finding {
	var out []Finding
	n := 0
	for i, line := range strings.Split(p.Requirements, "\n") {
		if j := strings.Index(line, "#"); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		n++
		if !requirementRE.MatchString(line) {
			out = append(out, Finding{fmt.Sprintf("docker/requirements.txt:%d", i+1), fmt.Sprintf("%q: pin an exact version (name==version)", line)})
		}
	}
	if n == 0 {
		out = append(out, Finding{"docker/requirements.txt", "no requirements"})
	}
	return out
}
