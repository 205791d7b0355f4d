//go:build race

package kernels

// raceEnabled trims the test shapes under the race detector, which makes
// the reference loops and kernels many times slower.
const raceEnabled = true
