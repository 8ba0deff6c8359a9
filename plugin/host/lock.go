package host

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/sigmabridge/sigmabridge/internal/atomicfile"
)

// LockFileName is the file in the plugin directory that pins each external plugin.
const LockFileName = "plugins.lock"

// Lock is the content of plugins.lock: for each external plugin name, the sha256 of the
// only binary the host will run under that name.
type Lock struct {
	// Version is the lock-file format, 1.
	Version int `json:"version"`
	// Plugins maps a plugin name to its pin.
	Plugins map[string]Pin `json:"plugins"`
}

// Pin is the pinned identity of one plugin binary.
type Pin struct {
	// SHA256 is the lower-case hex sha256 of the binary.
	SHA256 string `json:"sha256"`
}

// ReadLock reads dir/plugins.lock. A missing file is an empty lock. The open file must
// pass the trust rules of CheckDir (an *UnsafeError otherwise) and be at most 1 MiB.
func ReadLock(dir string) (*Lock, error) {
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return &Lock{Version: 1, Plugins: map[string]Pin{}}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkLockInfo(path, info); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxLockSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxLockSize {
		return nil, &UnsafeError{What: "lock file", Path: path, Reason: fmt.Sprintf("it grew over the limit of %d bytes while being read", maxLockSize)}
	}
	var l Lock
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if l.Version != 1 {
		return nil, fmt.Errorf("%s: unsupported lock-file version %d (this sigmabridge reads version 1)", path, l.Version)
	}
	if l.Plugins == nil {
		l.Plugins = map[string]Pin{}
	}
	for name, p := range l.Plugins {
		if b, err := hex.DecodeString(p.SHA256); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("%s: plugin %s: %q is not a hex sha256", path, name, p.SHA256)
		}
	}
	return &l, nil
}

// WriteLock writes l to dir/plugins.lock through a temporary file, so the lock is never
// half-written. A new lock is 0644 less the umask; an existing one keeps its mode; a lock
// path that is not a regular file is refused (internal/atomicfile).
func WriteLock(dir string, l *Lock) error {
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, LockFileName), append(data, '\n'), 0o644)
}

// FileSHA256 returns the lower-case hex sha256 of the file at path (at most
// MaxBinarySize bytes; a larger file is an error).
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return readerSHA256(f)
}

// readerSHA256 returns the lower-case hex sha256 of what r holds, reading at most
// MaxBinarySize bytes: more is an error.
func readerSHA256(r io.Reader) (string, error) {
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, MaxBinarySize+1))
	if err != nil {
		return "", err
	}
	if n > MaxBinarySize {
		return "", fmt.Errorf("more than %d bytes (MaxBinarySize)", MaxBinarySize)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// PinResult is one plugin pinned by PinPlugins.
type PinResult struct {
	Name, Path, SHA256 string
	// Previous is the checksum the lock held before, "" for a new entry.
	Previous string
}

// PinPlugins computes the sha256 of the external plugins in dir whose names are given (all
// of them when names is empty) and records them in dir/plugins.lock, keeping the other
// entries. A named plugin that has no binary is an error; so is a directory, lock file or
// binary that breaks the trust rules of CheckDir, or a binary over MaxBinarySize (which
// is not read).
func PinPlugins(dir string, names []string) ([]PinResult, error) {
	real, err := CheckDir(dir)
	if err != nil {
		return nil, err
	}
	lock, err := ReadLock(real)
	if err != nil {
		return nil, err
	}
	found, err := listBinaries(real)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		for n := range found {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	var out []PinResult
	for _, name := range names {
		path, ok := found[name]
		if !ok {
			return nil, pluginErr(name, NotFound, "no %s%s in %s", binaryPrefix, name, dir)
		}
		f, _, err := openBinary(path)
		if err != nil {
			return nil, refusal(name, err)
		}
		sum, err := readerSHA256(f)
		f.Close()
		if err != nil {
			return nil, pluginErr(name, StartFailed, "reading %s: %v", path, err)
		}
		out = append(out, PinResult{Name: name, Path: path, SHA256: sum, Previous: lock.Plugins[name].SHA256})
		lock.Plugins[name] = Pin{SHA256: sum}
	}
	if len(out) == 0 {
		return nil, nil
	}
	if err := WriteLock(real, lock); err != nil {
		return nil, err
	}
	return out, nil
}

// refusal turns a failed check of a plugin binary into the plugin's error.
func refusal(name string, err error) *PluginError {
	var ue *UnsafeError
	switch {
	case errors.As(err, &ue):
		return pluginErr(name, Unsafe, "%w", err)
	case errors.Is(err, fs.ErrNotExist):
		return pluginErr(name, NotFound, "%v", err)
	}
	return pluginErr(name, StartFailed, "%v", err)
}
