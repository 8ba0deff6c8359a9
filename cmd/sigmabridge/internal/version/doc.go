// Package version is `sigmabridge version` and the root's --version: the module version,
// the VCS commit the binary was built from, the Go version and the plugin protocol version,
// all read from the binary's build information.
package version
