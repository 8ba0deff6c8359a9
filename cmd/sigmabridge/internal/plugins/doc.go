// Package plugins is the `sigmabridge plugins` command: `list` shows every built-in and
// external plugin with its kind, version, protocol, path, checksum, targets and formats,
// and `lock` pins external plugin binaries by sha256 in the plugin directory's lock file.
package plugins
