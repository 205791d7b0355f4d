// Package lint holds checks of the source tree that go test runs: rules about
// how the code is written that no compiler enforces. Its tests are the checks.
//
// TestNoTimedAssertions: no test compares elapsed time with a limit. On a
// loaded machine (CI's) any such limit is a coin toss; a test asserts what the
// limit stood for instead (nothing was rebuilt, a deadline of the code under
// test was reached and named in its error), and speed lives in benchmarks.
package lint
