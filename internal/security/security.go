// Package security holds the project's security rules as code: checkers for
// how Jupyter is started (loopback only, a random token, protections on),
// where datasets may come from, and what scripts, Dockerfiles and tracked
// files must never hold (a download piped into a shell, @latest, a
// credential).
//
// The rules on shell text are written once here and used by both suites that
// enforce them: internal/faults (TestSecurity: the checkout, and bad examples
// each checker must catch) and internal/dockercheck (the Docker image's files).
// Each checker returns the problems it found, one line each, empty when the
// input is fine.
package security

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/juanji/juanji/internal/excerpt"
)

// loopback reports whether host (as given to Jupyter's --ip) only listens
// on this machine.
func loopback(host string) bool {
	switch strings.Trim(host, `"'[]`) {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}

var (
	ipFlag = regexp.MustCompile(`--(?:\w+\.)?ip=("[^"]*"|'[^']*'|[^\s;)]*)`)
	// A token or password option set to nothing: --ServerApp.token='' and the like.
	emptyAuthFlag = regexp.MustCompile(`--\w+\.(token|password)=(''|""|"[,\]]|\s|$|;|\))`)
	// An environment assignment of an empty token: JUPYTER_TOKEN= or JUPYTER_TOKEN="".
	emptyTokenEnv = regexp.MustCompile(`\bJUPYTER_TOKEN=(''|""|\s|$|;)`)
	// Options that switch off Jupyter's other protections.
	unsafeFlag = regexp.MustCompile(`--\w+\.(disable_check_xsrf=True|allow_origin=['"]?\*)`)
	// Where a random token can come from.
	randomSource = regexp.MustCompile(`/dev/urandom|secrets\.token_|openssl rand|uuidgen`)
)

// CheckLabRecipe checks the shell commands `make -n lab` prints: Jupyter
// must listen on a loopback address only, get a token from a random source
// (unless JUPYTER_TOKEN is set), and never be started with an empty token or
// password, nor with its cross-site protections off.
func CheckLabRecipe(recipe string) []string {
	problems := checkListenAddress(recipe,
		"no --ip option: Jupyter's listening address is not pinned to 127.0.0.1",
		"Jupyter listens on %s, not on 127.0.0.1 only")
	if !strings.Contains(recipe, "JUPYTER_TOKEN") && !strings.Contains(recipe, ".token=") {
		problems = append(problems, "no token is given to Jupyter (neither JUPYTER_TOKEN nor --*.token=)")
	}
	if !randomSource.MatchString(recipe) {
		problems = append(problems, "the default token does not come from a random source (/dev/urandom, secrets, openssl rand)")
	}
	problems = append(problems, checkNoEmptyAuth(recipe)...)
	return problems
}

// checkListenAddress flags a missing --ip option (with missing) and every --ip that is not
// a loopback address (with wrongf, given the address).
func checkListenAddress(text, missing, wrongf string) []string {
	var problems []string
	ips := ipFlag.FindAllStringSubmatch(text, -1)
	if len(ips) == 0 {
		problems = append(problems, missing)
	}
	for _, m := range ips {
		if !loopback(m[1]) {
			problems = append(problems, fmt.Sprintf(wrongf, m[1]))
		}
	}
	return problems
}

// checkNoEmptyAuth flags an empty token or password and disabled protections.
func checkNoEmptyAuth(text string) []string {
	var problems []string
	for _, re := range []*regexp.Regexp{emptyAuthFlag, emptyTokenEnv, unsafeFlag} {
		for _, m := range re.FindAllString(text, -1) {
			problems = append(problems, fmt.Sprintf("Jupyter's authentication is switched off: %q", strings.TrimSpace(m)))
		}
	}
	return problems
}

// CheckJupyterRun checks how Jupyter was actually started: its arguments and
// the JUPYTER_TOKEN it was given.
func CheckJupyterRun(args []string, tokenEnv string) []string {
	joined := strings.Join(args, " ")
	problems := checkListenAddress(joined, "started without --ip", "started listening on %s")
	tokenArg := false
	for _, a := range args {
		if strings.Contains(a, ".token=") {
			tokenArg = true
		}
	}
	if tokenEnv == "" && !tokenArg {
		problems = append(problems, "started with an empty token")
	} else if tokenEnv != "" && len(tokenEnv) < 16 {
		problems = append(problems, fmt.Sprintf("started with a %d-character token (16 at least)", len(tokenEnv)))
	}
	problems = append(problems, checkNoEmptyAuth(joined)...)
	return problems
}

// CheckDockerAuth checks a Dockerfile or entrypoint script: the token (or
// password) is never set empty, by option or environment.
func CheckDockerAuth(content string) []string {
	var problems []string
	for _, line := range LogicalLines(content) {
		line := line.Text
		problems = append(problems, checkNoEmptyAuth(line)...)
		if m := regexp.MustCompile(`^\s*ENV\s+.*\bJUPYTER_TOKEN\s*=?\s*(""|''|$)`).FindString(line); m != "" {
			problems = append(problems, fmt.Sprintf("the image sets an empty JUPYTER_TOKEN: %q", strings.TrimSpace(m)))
		}
	}
	return problems
}

// FoundURL is a URL found in a Go string literal.
type FoundURL struct {
	Where string // file:line
	URL   string
}

var urlInText = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s"'<>` + "`" + `]+`)

// GoLiteralURLs returns the URLs in the string literals of the non-test Go
// files of dir (comments are not code, so they are not read).
func GoLiteralURLs(dir string) ([]FoundURL, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var found []FoundURL
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, u := range urlInText.FindAllString(s, -1) {
				p := fset.Position(lit.Pos())
				found = append(found, FoundURL{fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line), u})
			}
			return true
		})
	}
	return found, nil
}

// CheckDownloadURLs checks that every URL is HTTPS to a host of allowed.
func CheckDownloadURLs(urls []FoundURL, allowed []string) []string {
	var problems []string
	for _, f := range urls {
		u, err := url.Parse(f.URL)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %q is not a valid URL: %v", f.Where, f.URL, err))
		case u.Scheme != "https":
			problems = append(problems, fmt.Sprintf("%s: %s is fetched over %s, not HTTPS", f.Where, f.URL, u.Scheme))
		case !slices.Contains(allowed, u.Hostname()):
			problems = append(problems, fmt.Sprintf("%s: %s: host %s is not one of the documented hosts %v", f.Where, f.URL, u.Hostname(), allowed))
		}
	}
	return problems
}

var (
	// A download piped into a shell or interpreter: curl ... | sh, wget -O- ... | sudo bash,
	// curl ... | python3.
	pipeToShell = regexp.MustCompile(`\b(curl|wget|fetch)\b[^|;&]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+(\S+=\S*\s+)*)?(/\S*/)?((ba|z|k|da|fi)?sh|python3?|perl|ruby|node)\b`)
	// A shell running a download: sh -c "$(curl ...)", bash <(wget ...), sh -c "`curl ...`".
	shellOfDownload = regexp.MustCompile(`\b(ba|z|k|da)?sh\b\s+(-c\s+)?["']?(\$\(|<\(|` + "`" + `)\s*(curl|wget)\b`)
	// Something fetched or tagged latest: module@latest, image:latest, pkg==latest, VERSION=latest.
	latest = regexp.MustCompile(`(?i)(@|:|=)["']?latest($|[\s"',;&|)])`)
)

// RunsDownload reports whether a command line runs something it downloads
// (curl|sh and the like) instead of saving it, checking it, then running it.
func RunsDownload(command string) bool {
	return pipeToShell.MatchString(command) || shellOfDownload.MatchString(command)
}

// UsesLatest reports whether a command line fetches or tags something "latest"
// instead of an exact version.
func UsesLatest(command string) bool { return latest.MatchString(command) }

// Line is one logical line of a script: its physical lines continued with a
// trailing backslash joined by single spaces.
type Line struct {
	Num  int // the number of its first physical line, from 1
	Text string
}

// LogicalLines splits a shell script, Makefile recipe or Dockerfile into
// logical lines (see [Line]), blank and comment lines included.
func LogicalLines(content string) []Line {
	var out []Line
	lines := strings.Split(content, "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := strings.TrimSpace(lines[i])
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSpace(strings.TrimSuffix(line, `\`)) + " " + strings.TrimSpace(lines[i])
		}
		out = append(out, Line{start, strings.TrimSpace(strings.TrimSuffix(line, `\`))})
	}
	return out
}

// Statements is LogicalLines without blank lines and whole-line comments:
// the lines that run.
func Statements(content string) []Line {
	var out []Line
	for _, l := range LogicalLines(content) {
		if l.Text != "" && !strings.HasPrefix(l.Text, "#") {
			out = append(out, l)
		}
	}
	return out
}

// CheckScript checks a script, Makefile or Dockerfile: nothing downloaded is
// run straight by a shell, and nothing is installed @latest. Whole-line
// comments are not checked; lines continued with a backslash are joined.
func CheckScript(name, content string) []string {
	var problems []string
	for _, line := range Statements(content) {
		if RunsDownload(line.Text) {
			problems = append(problems, fmt.Sprintf("%s:%d: runs a download in a shell: %s", name, line.Num, clip(line.Text)))
		}
		if UsesLatest(line.Text) {
			problems = append(problems, fmt.Sprintf("%s:%d: installs latest (pin a version): %s", name, line.Num, clip(line.Text)))
		}
	}
	return problems
}

func clip(s string) string { return excerpt.OneLine(s, 120) }

// secretPatterns are what a credential written in a file looks like.
var secretPatterns = []struct {
	what string
	re   *regexp.Regexp
}{
	{"an AWS access key id", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"an AWS secret access key", regexp.MustCompile(`(?i)aws_?secret_?access_?key\s*[:=]\s*["']?[A-Za-z0-9/+]{40}`)},
	{"a private key", regexp.MustCompile(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`)},
	{"a GitHub token", regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b`)},
	{"a Slack token", regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`)},
	{"a Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}\b`)},
	// A password, secret, token or key name given a quoted value of 8+ characters.
	{"a password or token literal", regexp.MustCompile(`(?i)\b\w*(password|passwd|secret|token|api[_-]?key|access[_-]?key)\w*["']?\s*(:=|=|:)\s*["']([^"'\s$%{}<>]{8,})["']`)},
	// The same name assigned an unquoted value of 12+ characters (shell, env files, URL queries).
	{"a password or token assignment", regexp.MustCompile(`(?i)(\b\w*(password|passwd|secret|token|api_key)\w*|[?&](password|token))=([A-Za-z0-9_+/\-]{12,})`)},
	// NAME = value with a digit in it, 8+ characters, quoted or not: a word or a
	// VARIABLE_NAME after "token:" is prose, secrets have digits.
	{"a token, password or secret assigned a literal value", regexp.MustCompile(
		`(?i)\b[a-z0-9_.-]*(token|passw(or)?d|secret|api_?key|access_?key)[a-z0-9_]*["']?\s*(:=|\?=|=|:)\s*["']?([A-Za-z0-9_\-/+.~]*[0-9][A-Za-z0-9_\-/+.~]*)`)},
}

// minLiteralSecret is the shortest value the last pattern counts as a secret.
const minLiteralSecret = 8

// Secrets returns what the line looks like it holds ("a GitHub token", ...),
// one entry for each pattern it matches; nothing for a clean line.
// Placeholders ("...", "<token>", "$TOKEN", "${TOKEN}") are not values.
func Secrets(line string) []string {
	var found []string
	for i, p := range secretPatterns {
		m := p.re.FindStringSubmatch(line)
		if m == nil || (i == len(secretPatterns)-1 && len(m[len(m)-1]) < minLiteralSecret) {
			continue
		}
		found = append(found, p.what)
	}
	return found
}

// CheckSecrets checks a file's content for credentials (see [Secrets]).
func CheckSecrets(name, content string) []string {
	var problems []string
	for i, line := range strings.Split(content, "\n") {
		for _, what := range Secrets(line) {
			problems = append(problems, fmt.Sprintf("%s:%d: looks like %s: %s", name, i+1, what, redact(clip(line))))
		}
	}
	return problems
}

// redact hides most of a line that may hold a secret.
func redact(s string) string {
	if len(s) <= 24 {
		return s[:len(s)/2] + "…"
	}
	return s[:24] + "…"
}
