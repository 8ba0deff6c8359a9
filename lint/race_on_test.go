//go:build race

package lint

// raceDetector slows everything down; time bounds are scaled by it.
const raceDetector = true
