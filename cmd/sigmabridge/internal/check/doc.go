// Package check implements `sigmabridge check`, the one gate that says a rule is ready:
// it lints, it converts through every backend plugin, and its samples fire (and its near
// misses stay silent) through the detector plugin.
//
// Everything crosses the plugin boundary exactly as a third-party plugin would; a plugin
// that crashes, hangs or is refused fails its own work, named, and the rest still runs.
package check
