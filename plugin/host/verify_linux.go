package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// memfdCopy copies src into a new memfd, seals it against any change, and hashes the
// sealed contents. It returns a nil copy and no error when memfds cannot be used here, so
// the caller falls back to a private directory.
func memfdCopy(name, path string, src io.Reader) (*verifiedCopy, string, error) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		return nil, "", nil // no /proc to execute the memfd through
	}
	flags := unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	fd, err := unix.MemfdCreate(binaryPrefix+name, flags|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		// Kernels before 6.3 know no MFD_EXEC; their memfds are executable anyway.
		fd, err = unix.MemfdCreate(binaryPrefix+name, flags)
	}
	if err != nil {
		return nil, "", nil // e.g. vm.memfd_noexec=2 forbids executable memfds
	}
	f := os.NewFile(uintptr(fd), binaryPrefix+name)
	v := &verifiedCopy{path: "/proc/self/fd/" + strconv.Itoa(fd), extra: f}
	n, err := copyLimited(path, f, src)
	if err != nil {
		return v, "", err
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		return v, "", err
	}
	// Hash what is now immutable, and what the child will execute.
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, n)); err != nil {
		return v, "", err
	}
	return v, hex.EncodeToString(h.Sum(nil)), nil
}
