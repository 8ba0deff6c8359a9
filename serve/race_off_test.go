//go:build !race

package serve_test

// raceFactor: see race_on_test.go.
const raceFactor = 1
