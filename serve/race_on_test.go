//go:build race

package serve_test

// raceFactor scales the bound of parallel against sequential time: the race detector
// instruments every synchronisation, which costs concurrent code more than sequential code
// (measured here: 2.3x with it, 1.2x without).
const raceFactor = 2
