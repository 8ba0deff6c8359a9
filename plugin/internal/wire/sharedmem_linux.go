package wire

import (
	"fmt"
	"os"
	"syscall"
)

// SharedMemorySupported reports whether this platform can share event batches through
// memory (see CreateSharedRegion).
const SharedMemorySupported = true

// SharedRegion is a file mapped read-write into the host, which writes event batches into
// it; the plugin maps the same file read-only (MapSharedRegion), so a batch reaches the
// plugin without being copied through the connection.
type SharedRegion struct {
	// Data is the mapping.
	Data []byte
	// Path is the file, until RemoveFile.
	Path string
}

// CreateSharedRegion creates a file of size bytes, in /dev/shm when it exists (memory, not
// disk), with its space allocated up front: writing to a mapping whose file system is full
// would kill the process with SIGBUS, so a full file system fails here instead.
func CreateSharedRegion(size int) (*SharedRegion, error) {
	if size <= 0 {
		return nil, fmt.Errorf("shared region of %d bytes", size)
	}
	dir := "/dev/shm"
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "sigmabridge-batches-")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fail := func(err error) (*SharedRegion, error) {
		os.Remove(f.Name())
		return nil, err
	}
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, int64(size)); err != nil {
		return fail(fmt.Errorf("allocating %d bytes for %s: %w", size, f.Name(), err))
	}
	// MAP_POPULATE maps every page now, in one go, instead of one page fault at a time.
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return fail(fmt.Errorf("mapping %s: %w", f.Name(), err))
	}
	return &SharedRegion{Data: data, Path: f.Name()}, nil
}

// RemoveFile removes the file; the mappings stay valid.
func (r *SharedRegion) RemoveFile() error {
	if r.Path == "" {
		return nil
	}
	err := os.Remove(r.Path)
	r.Path = ""
	return err
}

// Unmap removes the host's mapping (and the file, if still there). Data must not be used
// afterwards.
func (r *SharedRegion) Unmap() error {
	r.RemoveFile()
	if r.Data == nil {
		return nil
	}
	err := syscall.Munmap(r.Data)
	r.Data = nil
	return err
}

// MapSharedRegion maps the file at path read-only, on the plugin's side. The file must be
// exactly size bytes long, so that no access through the mapping can run past its end.
func MapSharedRegion(path string, size int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() != int64(size) {
		return nil, fmt.Errorf("%s: a regular file of %d bytes expected, found %v of %d bytes", path, size, st.Mode().Type(), st.Size())
	}
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
}
