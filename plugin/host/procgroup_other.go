//go:build !unix

package host

import "os/exec"

// setProcessGroup: process groups are a Unix notion.
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup: process groups are a Unix notion.
func killProcessGroup(int) {}
