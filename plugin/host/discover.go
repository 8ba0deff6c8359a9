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
// binary with no lock entry, with a checksum that differs from its entry, or that is not
// an executable file is returned with its Problem set; so is a lock entry whose binary is
// missing. The error is reserved for a directory or lock file that cannot be read.
func Discover(dir string) ([]Spec, error) {
	found, err := listBinaries(dir)
	if err != nil {
		return nil, err
	}
	lock, err := ReadLock(dir)
	if err != nil {
		return nil, err
	}
	var specs []Spec
	for name, path := range found {
		s := Spec{Name: name, Path: path}
		pin, pinned := lock.Plugins[name]
		info, err := os.Stat(path)
		switch {
		case err != nil:
			s.Problem = pluginErr(name, NotFound, "%v", err)
		case !info.Mode().IsRegular():
			s.Problem = pluginErr(name, StartFailed, "%s is not a regular file", path)
		case runtime.GOOS != "windows" && info.Mode().Perm()&0o111 == 0:
			s.Problem = pluginErr(name, StartFailed, "%s is not executable", path)
		}
		if s.Problem == nil {
			actual, err := FileSHA256(path)
			switch {
			case err != nil:
				s.Problem = pluginErr(name, StartFailed, "reading %s: %v", path, err)
			case !pinned:
				s.Problem = pluginErr(name, NotPinned, "%s has no entry in %s; its sha256 is %s "+
					"(run `sigmabridge plugins lock %s` to trust it)", path, filepath.Join(dir, LockFileName), actual, name)
			case pin.SHA256 != actual:
				s.Problem = checksumMismatch(name, path, pin.SHA256, actual)
			}
		}
		s.SHA256 = pin.SHA256
		specs = append(specs, s)
	}
	for name, pin := range lock.Plugins {
		if _, ok := found[name]; ok {
			continue
		}
		path := filepath.Join(dir, binaryPrefix+name)
		specs = append(specs, Spec{Name: name, Path: path, SHA256: pin.SHA256,
			Problem: pluginErr(name, NotFound, "pinned in %s but %s does not exist", filepath.Join(dir, LockFileName), path)})
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs, nil
}

func checksumMismatch(name, path, expected, actual string) *PluginError {
	return pluginErr(name, ChecksumMismatch, "%s: %s expects sha256 %s, the binary's sha256 is %s",
		path, LockFileName, expected, actual)
}
