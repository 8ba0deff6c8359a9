//go:build !linux

package wire

import "errors"

// SharedMemorySupported reports whether this platform can share event batches through
// memory; elsewhere than on Linux, batches travel through the connection.
const SharedMemorySupported = false

var errNoSharedMemory = errors.New("shared event batches are only implemented on Linux")

// SharedRegion is a file mapped into the host (Linux only).
type SharedRegion struct {
	Data []byte
	Path string
}

// CreateSharedRegion fails: not supported on this platform.
func CreateSharedRegion(int) (*SharedRegion, error) { return nil, errNoSharedMemory }

// RemoveFile does nothing.
func (r *SharedRegion) RemoveFile() error { return nil }

// Unmap does nothing.
func (r *SharedRegion) Unmap() error { return nil }

// MapSharedRegion fails: not supported on this platform.
func MapSharedRegion(string, int) ([]byte, error) { return nil, errNoSharedMemory }
