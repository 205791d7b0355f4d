// Package faults is juanji's reliability and security test suite. Its tests
// (part of `go test ./...`) inject faults into the other packages and the
// set-up scripts, and count them: broken downloads, several loaders filling
// one folder at once, processes killed while writing a checkpoint or an event
// file, damaged dataset files, folders that cannot be written, wrong input
// shapes, NaN losses, interrupts, and kernels/install.sh run twice, offline
// and as a normal user. TestMain ends with one line,
//
//	faults: N injected, N survived, 0 files corrupted
//
// and fails unless every injected fault was survived and no file was left
// that a later run would trust wrongly.
//
// It also checks that the checkout is secure by default: `make lab` listens on
// 127.0.0.1 with a token, the Docker image keeps its token, datasets come
// only over HTTPS from documented hosts, no script pipes a download into a
// shell or installs @latest, and no tracked file holds a secret. The
// checkers for these rules are internal/security (shared with
// internal/dockercheck); the tests here run them on the checkout and feed them
// bad examples, so that every rule is seen to fail.
//
// Run it with
//
//	go test -short -count=1 -v ./internal/faults | grep -E '^(faults|security):'
//
// (go test shows a passing package's output only with -v or when run inside
// the package's folder). Without -short it also runs the slower shell-level
// cases of kernels/install.sh.
package faults
