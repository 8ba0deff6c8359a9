//go:build unix

package host

import (
	"os/exec"
	"syscall"
)

// setProcessGroup starts the plugin as the leader of a process group of its own, so that
// killProcessGroup reaches the processes it starts too. (It also keeps a terminal's ^C
// away from plugins: the host handles the signal and kills them itself.)
func setProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// killProcessGroup SIGKILLs every process left in the group of the plugin whose pid is
// pgid. The group id stays reserved while any member lives, so it cannot name someone
// else's processes unless the group died out and the id was reused as a new group's in
// between, which needs the whole pid space to wrap around.
func killProcessGroup(pgid int) {
	if pgid > 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}
