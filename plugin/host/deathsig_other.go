//go:build !linux

package host

import "os/exec"

// setParentDeathSignal is Linux-only; elsewhere plugins served by plugin.Serve exit on
// their own when their parent process changes.
func setParentDeathSignal(*exec.Cmd) {}
