//go:build unix

package host

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

const nonBlock = syscall.O_NONBLOCK

// checkOwnerAndMode refuses a file or directory that someone other than the current user
// or root owns, or that group or others may write. A parent directory (parent true) may be
// group- or world-writable when its sticky bit is set.
func checkOwnerAndMode(what, path string, info fs.FileInfo, parent bool) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	uid := os.Geteuid()
	if owner := int(st.Uid); owner != uid && owner != 0 {
		return &UnsafeError{What: what, Path: path,
			Reason: fmt.Sprintf("it is owned by uid %d, neither by you (uid %d) nor by root", owner, uid)}
	}
	perm := info.Mode().Perm()
	if perm&0o022 == 0 || parent && info.Mode()&fs.ModeSticky != 0 {
		return nil
	}
	who := "group-writable"
	if perm&0o002 != 0 {
		who = "world-writable"
	}
	return &UnsafeError{What: what, Path: path,
		Reason: fmt.Sprintf("it is %s (mode %04o); run: chmod go-w %s", who, perm, path)}
}
