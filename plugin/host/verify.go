package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
)

// An external plugin is verified and run from the same bytes, never from its path twice:
// the host opens the binary once, copies what it reads into a place nobody else can
// write, computes the sha256 of that copy, and executes the copy only when the sha256 is
// the pinned one. A writer racing the launch (replacing the file by rename, or rewriting
// it in place) changes the original, not the copy, so it can make the launch fail but can
// never get bytes run that were not verified.
//
// Executing the original through the descriptor that was hashed (/proc/self/fd/N of an
// O_RDONLY open) would not be enough: a descriptor pins the inode, not its contents, and
// anyone allowed to write the file can rewrite it between the hash and the exec.
//
// On Linux the copy is a sealed memfd: an anonymous in-memory file whose write, grow and
// shrink seals make it immutable for everyone, the host included, before it is hashed. It
// is run as /proc/self/fd/N, where N is the memfd's descriptor in the host and the child
// receives it under the same number: the path names the same verified copy in both
// processes (go-plugin may open it in the host to describe a plugin that failed to
// start), and a #! script can reopen itself. It leaves nothing on disk, even when the
// host is killed. Where memfds are unavailable (other systems, or a kernel that
// forbids executable memfds), the copy goes into a new private directory (mode 0700,
// created by os.MkdirTemp) as a file created there exclusively, hashed as it is written,
// and removed once the plugin has started (Unix) or has exited (elsewhere).

// verifiedCopy is a private copy of a pinned plugin binary whose sha256 was checked.
type verifiedCopy struct {
	path  string   // what to execute
	extra *os.File // the memfd, given to the child under its own descriptor number, or nil
	dir   string   // the private directory to remove, or ""
}

// Test hooks: forcePrivateDir makes the private-directory route be taken on Linux too;
// beforeExec runs between the verification of an external plugin and its start.
var (
	forcePrivateDir = false
	beforeExec      func(Spec)
)

// verifyPinned copies the binary of spec and checks the copy against the pinned sha256.
func verifyPinned(spec Spec) (*verifiedCopy, *PluginError) {
	want, err := hex.DecodeString(spec.SHA256)
	if err != nil || len(want) != sha256.Size {
		return nil, pluginErr(spec.Name, NotPinned, "no valid sha256 pinned for %s", spec.Path)
	}
	src, info, err := openBinary(spec.Path)
	if err != nil {
		return nil, refusal(spec.Name, err)
	}
	defer src.Close()
	var v *verifiedCopy
	var sum string
	if !forcePrivateDir {
		v, sum, err = memfdCopy(spec.Name, spec.Path, src)
	}
	if v == nil && err == nil {
		v, sum, err = privateDirCopy(spec.Path, src)
	}
	if err != nil {
		if v != nil {
			v.release()
		}
		var ue *UnsafeError
		if errors.As(err, &ue) {
			return nil, pluginErr(spec.Name, Unsafe, "%w", err)
		}
		return nil, pluginErr(spec.Name, StartFailed, "copying %s (%d bytes) to verify it: %v", spec.Path, info.Size(), err)
	}
	if sum != spec.SHA256 {
		v.release()
		return nil, checksumMismatch(spec.Name, spec.Path, spec.SHA256, sum)
	}
	return v, nil
}

// copyLimited copies src to dst, and fails with an *UnsafeError once more than
// MaxBinarySize bytes come (the file grew after it was checked).
func copyLimited(path string, dst io.Writer, src io.Reader) (int64, error) {
	n, err := io.Copy(dst, io.LimitReader(src, MaxBinarySize+1))
	if err != nil {
		return n, err
	}
	if n > MaxBinarySize {
		return n, &UnsafeError{What: "plugin binary", Path: path,
			Reason: fmt.Sprintf("it grew over the limit of %d bytes (MaxBinarySize) while being read", MaxBinarySize)}
	}
	return n, nil
}

// privateDirCopy copies src into a new private directory, hashing the bytes as they are
// written. syscall.ForkLock is held while the copy is open for writing, so no process
// forked meanwhile inherits a writable descriptor of it (which would make its exec fail
// with "text file busy").
func privateDirCopy(path string, src io.Reader) (*verifiedCopy, string, error) {
	dir, err := os.MkdirTemp("", "sigmabridge-plugin-")
	if err != nil {
		return nil, "", err
	}
	v := &verifiedCopy{dir: dir, path: filepath.Join(dir, filepath.Base(path))}
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	dst, err := os.OpenFile(v.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return v, "", err
	}
	h := sha256.New()
	_, err = copyLimited(path, io.MultiWriter(dst, h), src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return v, "", err
	}
	return v, hex.EncodeToString(h.Sum(nil)), nil
}

// command returns the command that runs the copy with argv[0] set to the original path
// (plugins may look at their own name) and args.
func (v *verifiedCopy) command(argv0 string, args []string) *exec.Cmd {
	cmd := exec.Command(v.path, args...)
	cmd.Args[0] = argv0
	if v.extra != nil {
		// Entry i is descriptor 3+i in the child; the nil entries before it are closed.
		n := int(v.extra.Fd())
		cmd.ExtraFiles = make([]*os.File, n-2)
		cmd.ExtraFiles[n-3] = v.extra
	}
	return cmd
}

// started releases what is no longer needed once the plugin runs: the host's descriptor
// of the memfd (the child has its own), and on Unix the private copy (the running
// process keeps it).
func (v *verifiedCopy) started() {
	if v.extra != nil || runtime.GOOS != "windows" {
		v.release()
	}
}

// release closes the memfd and removes the private directory; it is safe to call twice.
func (v *verifiedCopy) release() {
	if v.extra != nil {
		v.extra.Close()
		v.extra = nil
	}
	if v.dir != "" {
		os.RemoveAll(v.dir)
		v.dir = ""
	}
}
