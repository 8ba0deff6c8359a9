// Package atomicfile writes a whole file by replacing it: the data goes to a temporary file
// in the target's directory, which is then renamed over the target, so a reader sees the old
// content or the new, never half of it. It refuses targets that are not regular files
// (FIFOs, devices, /dev/stdout), and replaces a symbolic link rather than follow it.
package atomicfile
