// Package pluginserve is the hidden `sigmabridge plugin serve NAME` command, through which
// the sigmabridge binary serves its own backends and detector as go-plugin plugins. The
// host launches it; a person running it by hand is told that it is a plugin.
package pluginserve
