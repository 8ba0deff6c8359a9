package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/sigmabridge/sigmabridge/plugin"
)

// DirEnv is the environment variable that names the plugin directory.
const DirEnv = "SIGMABRIDGE_PLUGIN_DIR"

const binaryPrefix = plugin.BinaryPrefix

// Spec says how to start one plugin.
type Spec struct {
	// Name identifies the plugin: NAME of sigmabridge-plugin-NAME, or a built-in's name.
	Name string
	// Builtin plugins are served by the sigmabridge executable and trusted by path.
	Builtin bool
	// Path is the executable; Args are its arguments (none for external plugins).
	Path string
	Args []string
	// SHA256 is the pinned checksum of an external plugin (lower-case hex).
	SHA256 string
	// Kinds and Targets are known in advance for built-ins; for external plugins they are
	// learnt by launching the plugin and asking Describe.
	Kinds   []string
	Targets []string
	// Problem, when set, is why the plugin is refused: it is listed but never started.
	Problem *PluginError
}

// ResolveDir returns the plugin directory: flagValue if set, else $SIGMABRIDGE_PLUGIN_DIR,
// else the per-user default, os.UserConfigDir()/sigmabridge/plugins.
func ResolveDir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if d := os.Getenv(DirEnv); d != "" {
		return d, nil
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no plugin directory: %w (set --plugin-dir or %s)", err, DirEnv)
	}
	return filepath.Join(cfg, "sigmabridge", "plugins"), nil
}

// listBinaries maps the name of every sigmabridge-plugin-NAME file in dir to its path. A
// missing directory has no plugins.
func listBinaries(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), binaryPrefix)
		if !ok || e.IsDir() {
			continue
		}
		if runtime.GOOS == "windows" {
			name = strings.TrimSuffix(name, ".exe")
		}
		if !validName(name) {
			continue
		}
		out[name] = filepath.Join(dir, e.Name())
	}
	return out, nil
}

// validName accepts plugin names made of lower-case letters, digits, '-', '_' and '.'.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Discover lists the external plugins of dir and checks each against dir/plugins.lock. A
// binary with no lock entry, with a checksum that differs from its entry, that is not an
// executable file, that breaks the trust rules or is over MaxBinarySize is returned with
// its Problem set; so is a lock entry whose binary is missing. When the directory, a
// parent or plugins.lock breaks the trust rules (see CheckDir), every binary is refused
// with that reason. Only binaries that plugins.lock names are read (to hash them); other
// files in dir are never opened. The error is reserved for a directory or lock file that
// cannot be read.
func Discover(dir string) ([]Spec, error) {
	specs, _, err := discover(dir)
	return specs, err
}

// discover is Discover that also returns why the whole directory is refused, if it is.
func discover(dir string) ([]Spec, *UnsafeError, error) {
	real, err := CheckDir(dir)
	var unsafe *UnsafeError
	if err != nil && !errors.As(err, &unsafe) {
		return nil, nil, err
	}
	if real == "" {
		real = dir
	}
	found, err := listBinaries(real)
	if err != nil {
		return nil, nil, err
	}
	lock := &Lock{Plugins: map[string]Pin{}}
	if unsafe == nil {
		lock, err = ReadLock(real)
		if errors.As(err, &unsafe) {
			lock = &Lock{Plugins: map[string]Pin{}}
		} else if err != nil {
			return nil, nil, err
		}
	}
	lockPath := filepath.Join(real, LockFileName)
	var specs []Spec
	for name, path := range found {
		s := Spec{Name: name, Path: path}
		pin, pinned := lock.Plugins[name]
		s.SHA256 = pin.SHA256
		switch {
		case unsafe != nil:
			s.Problem = pluginErr(name, Unsafe, "%w", unsafe)
		case !pinned:
			// Not read: only what plugins.lock names is ever hashed.
			info, err := os.Stat(path)
			if err == nil {
				err = checkBinaryInfo(path, info)
			}
			if err != nil {
				s.Problem = refusal(name, err)
			} else {
				s.Problem = pluginErr(name, NotPinned, "%s has no entry in %s "+
					"(check it, then run `sigmabridge plugins lock %s` to trust it)", path, lockPath, name)
			}
		default:
			f, _, err := openBinary(path)
			if err != nil {
				s.Problem = refusal(name, err)
				break
			}
			actual, err := readerSHA256(f)
			f.Close()
			switch {
			case err != nil:
				s.Problem = pluginErr(name, StartFailed, "reading %s: %v", path, err)
			case pin.SHA256 != actual:
				s.Problem = checksumMismatch(name, path, pin.SHA256, actual)
			}
		}
		specs = append(specs, s)
	}
	for name, pin := range lock.Plugins {
		if _, ok := found[name]; ok {
			continue
		}
		path := filepath.Join(real, binaryPrefix+name)
		specs = append(specs, Spec{Name: name, Path: path, SHA256: pin.SHA256,
			Problem: pluginErr(name, NotFound, "pinned in %s but %s does not exist", lockPath, path)})
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs, unsafe, nil
}

func checksumMismatch(name, path, expected, actual string) *PluginError {
	return pluginErr(name, ChecksumMismatch, "%s: %s expects sha256 %s, the binary's sha256 is %s",
		path, LockFileName, expected, actual)
}
