package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// NotRegularError reports a target that exists and is not a regular file (a FIFO, a device,
// a directory, a socket, or a symbolic link to one of those or to nothing). Replacing it
// with a regular file would not give the writer what it named, so it is refused.
type NotRegularError struct {
	Path string // the path as given
	// Resolved is where the path's symbolic links lead, "" when it is not a link.
	Resolved string
	Kind     string // what the file is: "a named pipe (FIFO)", "a character device", ...
}

func (e *NotRegularError) Error() string {
	if e.Kind == "missing" {
		return fmt.Sprintf("%s is a symbolic link to %s, which does not exist: refusing to replace it", e.Path, e.Resolved)
	}
	if e.Resolved != "" {
		return fmt.Sprintf("%s is a symbolic link to %s, which is %s, not a regular file: refusing to replace it", e.Path, e.Resolved, e.Kind)
	}
	return fmt.Sprintf("%s is %s, not a regular file: refusing to replace it", e.Path, e.Kind)
}

// Check reports whether Write may replace path: nothing there yet (a nil FileInfo), a
// regular file, or a symbolic link to one (its target's FileInfo). Anything else is a
// *NotRegularError.
func Check(path string) (fs.FileInfo, error) {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if info.Mode()&fs.ModeSymlink == 0 {
		if !info.Mode().IsRegular() {
			return nil, &NotRegularError{Path: path, Kind: kind(info.Mode())}
		}
		return info, nil
	}
	// A descriptor link is refused even when the descriptor is a regular file: the link
	// (/dev/stdout itself) would be replaced, not the file the process has open.
	if fd := descriptorLink(path); fd != "" {
		e := &NotRegularError{Path: path, Kind: fdKind}
		if fd != path {
			e.Resolved = fd
		}
		return nil, e
	}
	// os.Stat follows the links in the kernel, which also follows its own (/proc/self/fd/1
	// to a pipe) and applies its protections (fs.protected_symlinks); EvalSymlinks is
	// only used to name the destination in a message.
	shown, _ := os.Readlink(path)
	info, err = os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &NotRegularError{Path: path, Resolved: shown, Kind: "missing"}
	}
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		if r, err := filepath.EvalSymlinks(path); err == nil {
			shown = r
		}
		return nil, &NotRegularError{Path: path, Resolved: shown, Kind: kind(info.Mode())}
	}
	return info, nil
}

const fdKind = "a process's file-descriptor link"

// fdDir matches the directories of file-descriptor links, once resolved.
var fdDir = regexp.MustCompile(`^/proc/[^/]+(/task/[^/]+)?/fd$|^/dev/fd$`)

// descriptorLink returns the link of path's chain of symbolic links that lies in a
// process's file-descriptor directory (/proc/self/fd/1 for /dev/stdout), or "".
func descriptorLink(path string) string {
	p := path
	for range 40 { // the kernel's own limit on links followed
		if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil && fdDir.MatchString(dir) {
			return p
		}
		info, err := os.Lstat(p)
		if err != nil || info.Mode()&fs.ModeSymlink == 0 {
			return ""
		}
		dest, err := os.Readlink(p)
		if err != nil {
			return ""
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(p), dest)
		}
		p = dest
	}
	return ""
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file (mode " + m.String() + ")"
}

// Write replaces the file at path with data: it writes a temporary file in path's
// directory and renames it over path. A new file gets perm less the process umask, as
// os.WriteFile gives it (the kernel applies the umask when the temporary file is created,
// so it is never read or changed here); an existing regular file keeps its permission bits.
// A symbolic link to a regular file is replaced by the new file, which gets the old
// file's mode, and the file it named is left as it was: following it here, outside the
// kernel, would escape the kernel's protection against links planted in shared
// directories such as /tmp. Anything Check refuses is refused before anything is written.
func Write(path string, data []byte, perm fs.FileMode) error {
	old, err := Check(path)
	if err != nil {
		return err
	}
	create := perm.Perm()
	if old != nil {
		// Private until it has the old file's mode, which the final file then has.
		create = 0o600
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := createTemp(dir, "."+base+".tmp", create)
	if err != nil {
		return err
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return err
	}
	if old != nil {
		if err := tmp.Chmod(old.Mode().Perm()); err != nil {
			return fail(err)
		}
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return err
	}
	// The target may have changed while the data was written: check it again, so that a
	// FIFO or device put in its place is not replaced.
	if _, err := Check(path); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

// createTemp creates a new file named prefix plus a random suffix in dir, with perm (less
// the umask). os.CreateTemp would always give 0600.
func createTemp(dir, prefix string, perm fs.FileMode) (*os.File, error) {
	for range 100 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("%s: no unused temporary file name after 100 tries", dir)
}
