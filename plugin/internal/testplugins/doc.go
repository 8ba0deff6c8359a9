// Package testplugins holds plugin binaries that misbehave on purpose, built by the host's
// fault tests. They are not shipped.
package testplugins
