// Package host finds, verifies, launches and supervises sigmabridge plugins: external
// binaries named sigmabridge-plugin-NAME in a plugin directory, pinned by sha256 in its
// plugins.lock, and the built-in plugins served by the sigmabridge binary itself.
//
// External plugins are trusted in three steps. The plugin directory, every directory
// above it, plugins.lock and each binary must be owned by the user or root and not be
// writable by group or others (CheckDir has the exact rule), or the plugins are refused
// with an *UnsafeError naming the path. Only binaries that plugins.lock names are read,
// and none over MaxBinarySize. At launch the binary is opened once and copied into a
// sealed memfd (Linux) or a private directory; that copy is hashed, compared with the pin
// and executed, so a writer racing the launch cannot get unverified bytes run (see
// verify.go). Built-in plugins are run by path, as part of the sigmabridge executable.
//
// Every call carries a deadline (a default one when the caller's context has none); a
// plugin that crashes, hangs or answers garbage fails its own work with an error naming
// it and the cause (a *PluginError), and is killed; other plugins carry on. Plugins die
// with the host: they are started with a parent-death signal from a thread that lives as
// long as they do, and Close or an interrupt kills them all. Each plugin leads a process
// group of its own, and the whole group is killed with it, so the processes a plugin
// starts die too; when the host itself is SIGKILLed, only the plugin gets the
// parent-death signal, and processes it started may outlive it.
package host
