//go:build !linux

package host

import "io"

// memfdCopy: memfds are Linux-only; the caller uses a private directory.
func memfdCopy(string, string, io.Reader) (*verifiedCopy, string, error) { return nil, "", nil }
