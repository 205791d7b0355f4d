package faults

// The checkers of the security rules. Each returns the problems it found, one
// line each, empty when the input is fine; security_test.go runs them on the
// checkout and on bad examples, so that every rule is seen to fail.

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
	for _, line := range logicalLines(content) {
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
	// A download piped into a shell: curl ... | sh, wget -O- ... | sudo bash.
	pipeToShell = regexp.MustCompile(`\b(curl|wget|fetch)\b[^|]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+(\S+=\S*\s+)*)?(/\S*/)?(ba|z|k|da|fi)?sh\b`)
	// A shell running a download: sh -c "$(curl ...)", bash <(wget ...).
	shellOfDownload = regexp.MustCompile(`\b(ba|z|k|da)?sh\b\s+(-c\s+)?["']?(\$\(|<\()\s*(curl|wget)\b`)
	atLatest        = regexp.MustCompile(`@latest\b`)
)

// CheckScript checks a script, Makefile or Dockerfile: nothing downloaded is
// run straight by a shell, and nothing is installed @latest. Whole-line
// comments are not checked; lines continued with a backslash are joined.
func CheckScript(name, content string) []string {
	var problems []string
	for i, line := range logicalLines(content) {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") || t == "" {
			continue
		}
		if pipeToShell.MatchString(line) || shellOfDownload.MatchString(line) {
			problems = append(problems, fmt.Sprintf("%s: statement %d runs a download in a shell: %s", name, i+1, clip(line)))
		}
		if atLatest.MatchString(line) {
			problems = append(problems, fmt.Sprintf("%s: statement %d installs @latest (pin a version): %s", name, i+1, clip(line)))
		}
	}
	return problems
}

// logicalLines splits content into lines, joining those continued with a
// trailing backslash.
func logicalLines(content string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range strings.Split(content, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.HasSuffix(l, `\`) {
			cur.WriteString(strings.TrimSuffix(l, `\`))
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(l)
		out = append(out, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// secretPatterns are what a committed credential looks like.
var secretPatterns = []struct {
	what string
	re   *regexp.Regexp
}{
	{"an AWS access key id", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"a private key", regexp.MustCompile(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`)},
	{"a GitHub token", regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b`)},
	{"a Slack token", regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`)},
	{"a Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}\b`)},
	// A password, secret, token or key name given a quoted value of 8+ characters.
	{"a password or token literal", regexp.MustCompile(`(?i)\b\w*(password|passwd|secret|token|api[_-]?key|access[_-]?key)\w*["']?\s*(:=|=|:)\s*["']([^"'\s$%{}<>]{8,})["']`)},
	// The same name assigned an unquoted value of 12+ characters (shell, env files, URL queries).
	{"a password or token assignment", regexp.MustCompile(`(?i)(\b\w*(password|passwd|secret|token|api_key)\w*|[?&](password|token))=([A-Za-z0-9_+/\-]{12,})`)},
}

// CheckSecrets checks a file's content for credentials. Placeholders
// ("...", "<token>", "$TOKEN", "${TOKEN}") are not values.
func CheckSecrets(name, content string) []string {
	var problems []string
	for i, line := range strings.Split(content, "\n") {
		for _, p := range secretPatterns {
			if p.re.MatchString(line) {
				problems = append(problems, fmt.Sprintf("%s:%d: looks like %s: %s", name, i+1, p.what, redact(clip(line))))
			}
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
