package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// MaxBinarySize is the largest external plugin binary the host reads. A pinned binary
// that is larger is refused from its size alone, without reading a byte of it; so is a
// binary that grows past it while it is being read. (Go plugins are tens of MB.)
const MaxBinarySize = 512 << 20

// maxLockSize is the largest plugins.lock the host reads.
const maxLockSize = 1 << 20

// UnsafeError says why a plugin directory, one of its parents, its plugins.lock or a
// plugin binary is not trusted: it could have been written by someone other than the
// user running sigmabridge (or root). The rules are in checkOwnerAndMode.
type UnsafeError struct {
	// What is "plugin directory", "parent directory", "lock file" or "plugin binary".
	What string
	// Path is the file or directory at fault.
	Path string
	// Reason says what is wrong and how to fix it.
	Reason string
}

func (e *UnsafeError) Error() string {
	return fmt.Sprintf("unsafe %s %s: %s", e.What, e.Path, e.Reason)
}

// CheckDir applies the trust rules to the plugin directory dir, to each of its parents up
// to the root, and to dir/plugins.lock, and returns the first violation as an
// *UnsafeError. A missing directory or lock file is no violation (there is nothing to
// trust yet). Symbolic links in dir are resolved first and the real directories checked,
// as ssh's StrictModes does; the resolved path is returned (also with an *UnsafeError),
// and is what the host opens from then on.
//
// The rules, on Unix: the plugin directory, plugins.lock and every plugin binary must be
// owned by the current user or by root and must not be writable by group or others. A
// parent directory must be owned by the current user or root and must not be writable by
// group or others unless its sticky bit is set (as /tmp's is: there nobody can rename or
// remove an entry someone else owns). On other systems only the size limits apply.
func CheckDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return abs, nil
	}
	if err != nil {
		return "", err
	}
	info, err := os.Lstat(real)
	if err != nil {
		return "", err
	}
	if !info.IsDir() {
		return real, &UnsafeError{What: "plugin directory", Path: real, Reason: "it is not a directory"}
	}
	if err := checkOwnerAndMode("plugin directory", real, info, false); err != nil {
		return real, err
	}
	for p := filepath.Dir(real); ; p = filepath.Dir(p) {
		info, err := os.Lstat(p)
		if err != nil {
			return "", err
		}
		if err := checkOwnerAndMode("parent directory", p, info, true); err != nil {
			return real, err
		}
		if filepath.Dir(p) == p {
			break
		}
	}
	lock := filepath.Join(real, LockFileName)
	info, err = os.Stat(lock)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", err
	default:
		if err := checkLockInfo(lock, info); err != nil {
			return real, err
		}
	}
	return real, nil
}

func checkLockInfo(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return &UnsafeError{What: "lock file", Path: path, Reason: "it is not a regular file"}
	}
	if info.Size() > maxLockSize {
		return &UnsafeError{What: "lock file", Path: path,
			Reason: fmt.Sprintf("it is %d bytes, over the limit of %d", info.Size(), maxLockSize)}
	}
	return checkOwnerAndMode("lock file", path, info, false)
}

// checkBinaryInfo applies the trust rules and the size limit to a plugin binary.
func checkBinaryInfo(path string, info fs.FileInfo) error {
	switch {
	case !info.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	case runtime.GOOS != "windows" && info.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("%s is not executable", path)
	case info.Size() > MaxBinarySize:
		return &UnsafeError{What: "plugin binary", Path: path,
			Reason: fmt.Sprintf("it is %d bytes, over the limit of %d (MaxBinarySize); it was not read", info.Size(), MaxBinarySize)}
	}
	return checkOwnerAndMode("plugin binary", path, info, false)
}

// openBinary opens the plugin binary at path for reading and checks the open file (not
// the path, which could change in between): a regular, executable file within
// MaxBinarySize that passes the trust rules. The path is checked first too, so that a
// FIFO or a device is not even opened; O_NONBLOCK keeps one swapped in between the two
// from blocking the open (it changes nothing for a regular file).
func openBinary(path string) (*os.File, fs.FileInfo, error) {
	if info, err := os.Stat(path); err != nil {
		return nil, nil, err
	} else if err := checkBinaryInfo(path, info); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err == nil {
		err = checkBinaryInfo(path, info)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}
