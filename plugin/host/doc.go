// Package host finds, verifies, launches and supervises sigmabridge plugins: external
// binaries named sigmabridge-plugin-NAME in a plugin directory, pinned by sha256 in its
// plugins.lock, and the built-in plugins served by the sigmabridge binary itself.
//
// Every call carries a deadline (a default one when the caller's context has none); a
// plugin that crashes, hangs or answers garbage fails its own work with an error naming
// it and the cause (a *PluginError), and is killed; other plugins carry on. Plugins die
// with the host: they are started with a parent-death signal from a thread that lives as
// long as they do, and Close or an interrupt kills them all.
package host
