// Package builtin serves sigmabridge's own backends and detector as plugins: the
// sigmabridge binary runs `sigmabridge plugin serve NAME` for each of them, and the host
// launches them through go-plugin exactly like an external plugin. It also lists the
// built-in plugins for the host, trusted by path rather than by a lock-file checksum.
package builtin
