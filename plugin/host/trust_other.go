//go:build !unix

package host

import "io/fs"

const nonBlock = 0

// checkOwnerAndMode has no Unix ownership and mode bits to check here.
func checkOwnerAndMode(string, string, fs.FileInfo, bool) error { return nil }
