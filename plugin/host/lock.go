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

// ReadLock reads dir/plugins.lock. A missing file is an empty lock.
func ReadLock(dir string) (*Lock, error) {
	data, err := os.ReadFile(filepath.Join(dir, LockFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return &Lock{Version: 1, Plugins: map[string]Pin{}}, nil
	}
	if err != nil {
		return nil, err
	}
	var l Lock
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, LockFileName), err)
	}
	if l.Version != 1 {
		return nil, fmt.Errorf("%s: unsupported lock-file version %d (this sigmabridge reads version 1)", filepath.Join(dir, LockFileName), l.Version)
	}
	if l.Plugins == nil {
		l.Plugins = map[string]Pin{}
	}
	for name, p := range l.Plugins {
		if b, err := hex.DecodeString(p.SHA256); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("%s: plugin %s: %q is not a hex sha256", filepath.Join(dir, LockFileName), name, p.SHA256)
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

// FileSHA256 returns the lower-case hex sha256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
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
// entries. A named plugin that has no binary is an error.
func PinPlugins(dir string, names []string) ([]PinResult, error) {
	lock, err := ReadLock(dir)
	if err != nil {
		return nil, err
	}
	found, err := listBinaries(dir)
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
		sum, err := FileSHA256(path)
		if err != nil {
			return nil, pluginErr(name, NotFound, "%v", err)
		}
		out = append(out, PinResult{Name: name, Path: path, SHA256: sum, Previous: lock.Plugins[name].SHA256})
		lock.Plugins[name] = Pin{SHA256: sum}
	}
	if len(out) == 0 {
		return nil, nil
	}
	if err := WriteLock(dir, lock); err != nil {
		return nil, err
	}
	return out, nil
}
