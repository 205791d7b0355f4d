//go:build !race

package device

// raceEnabled tells whether the tests run under the race detector.
const raceEnabled = false
