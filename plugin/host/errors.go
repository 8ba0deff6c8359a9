package host

import (
	"errors"
	"fmt"
)

// Failure names what went wrong with a plugin.
type Failure string

// The failures a PluginError reports.
const (
	// NotFound: the plugin binary does not exist, or no plugin has that name.
	NotFound Failure = "not found"
	// NotPinned: the binary has no entry in plugins.lock.
	NotPinned Failure = "is not pinned"
	// ChecksumMismatch: the binary's sha256 differs from the one in plugins.lock.
	ChecksumMismatch Failure = "checksum mismatch"
	// Unsafe: the plugin directory, a parent of it, plugins.lock or the binary could have
	// been written by someone else than the user or root, or the binary is over
	// MaxBinarySize (see CheckDir).
	Unsafe Failure = "is refused"
	// NameClash: an external plugin has the name of a built-in one.
	NameClash Failure = "name clash"
	// IncompatibleProtocol: the plugin speaks no protocol version the host speaks.
	IncompatibleProtocol Failure = "incompatible protocol"
	// StartFailed: the plugin could not be started for another reason.
	StartFailed Failure = "failed to start"
	// Crashed: the plugin process died.
	Crashed Failure = "crashed"
	// Hung: the plugin did not answer within the deadline (or did not start in time).
	Hung Failure = "hung"
	// Garbage: the plugin answered with something that is not the protocol.
	Garbage Failure = "answered garbage"
	// WrongKind: the plugin does not serve the kind asked for (backend or detector).
	WrongKind Failure = "wrong kind"
	// Unimplemented: the plugin does not implement the method called (gRPC Unimplemented).
	Unimplemented Failure = "does not implement the call"
	// CallFailed: the plugin answered a call with an error of its own.
	CallFailed Failure = "failed"
)

// PluginError is a failure of one plugin. It names the plugin and the cause.
type PluginError struct {
	Plugin  string
	Failure Failure
	Err     error
}

func (e *PluginError) Error() string {
	return fmt.Sprintf("plugin %s %s: %v", e.Plugin, e.Failure, e.Err)
}

func (e *PluginError) Unwrap() error { return e.Err }

// Fatal reports whether the plugin was killed or never ran: every later call to it fails
// with the same error.
func (e *PluginError) Fatal() bool {
	return e.Failure != CallFailed && e.Failure != WrongKind && e.Failure != Unimplemented
}

// HasFailure reports whether err's chain holds a PluginError with failure f.
func HasFailure(err error, f Failure) bool {
	pe, ok := AsPluginError(err)
	return ok && pe.Failure == f
}

func pluginErr(name string, f Failure, format string, args ...any) *PluginError {
	return &PluginError{Plugin: name, Failure: f, Err: fmt.Errorf(format, args...)}
}

// AsPluginError returns the PluginError in err's chain, if any.
func AsPluginError(err error) (*PluginError, bool) {
	var pe *PluginError
	ok := errors.As(err, &pe)
	return pe, ok
}
