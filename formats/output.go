package formats

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// PerRulePath is the output path of a rule's own file: its path in the rule tree with the
// extension ext instead of .yml or .yaml. A source that is not a local slash path (absolute,
// with a .. element, a backslash or a control character) is refused: output paths come from
// the rule tree, and nothing may be written outside the output directory.
func PerRulePath(source, ext string) (string, error) {
	if source == "" || strings.ContainsRune(source, '\\') || strings.IndexFunc(source, isControl) >= 0 || !fs.ValidPath(source) || source == "." {
		return "", fmt.Errorf("rule path %q is not a local path inside the rule tree", source)
	}
	base := strings.TrimSuffix(strings.TrimSuffix(source, path.Ext(source)), ".")
	if base == "" || path.Base(base) == "" {
		return "", fmt.Errorf("rule path %q names no file", source)
	}
	return base + ext, nil
}

// ManifestEntry describes one file of a --per-rule output.
type ManifestEntry struct {
	RuleID string `json:"rule_id"`
	Title  string `json:"title"`
	// Source is the rule file as given (a path, or rules/... for the built-in pack).
	Source string `json:"source"`
	Target string `json:"target"`
	Format string `json:"format"`
	// Output is the file, relative to the output directory.
	Output string `json:"output"`
	SHA256 string `json:"sha256"`
}

// Manifest is manifest.json for entries.
func Manifest(entries []ManifestEntry) []byte {
	if entries == nil {
		entries = []ManifestEntry{}
	}
	b, _ := json.MarshalIndent(struct {
		Generator string          `json:"generator"`
		Files     []ManifestEntry `json:"files"`
	}{"sigmabridge", entries}, "", "  ")
	return append(b, '\n')
}

// SHA256 is the hex sha256 of data, as the manifest gives it.
func SHA256(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// WriteDir writes files under dir, creating dir and the directories below it. It works
// through os.Root: a name or a symbolic link that leads outside dir is refused, so nothing
// outside dir is written. Each file is replaced atomically (a temporary file in its
// directory, renamed over it); an existing directory, device or FIFO at a file's name is
// refused, and a symbolic link there is replaced, not followed. Every file is attempted; the
// error joins the failures, each naming its file.
func WriteDir(dir string, files []File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	var errs []error
	for _, f := range files {
		if err := writeInRoot(root, f.Name, f.Data); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path.Join(dir, f.Name), err))
		}
	}
	return errors.Join(errs...)
}

func writeInRoot(root *os.Root, name string, data []byte) error {
	if !fs.ValidPath(name) || name == "." || strings.ContainsRune(name, '\\') {
		return fmt.Errorf("not a local path")
	}
	dir := path.Dir(name)
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if fi, err := root.Lstat(name); err == nil && !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
		return fmt.Errorf("exists and is not a regular file (mode %s)", fi.Mode())
	}
	var tmp string
	var f *os.File
	for range 100 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		tmp = path.Join(dir, "."+path.Base(name)+".tmp"+hex.EncodeToString(b[:]))
		var err error
		f, err = root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	if f == nil {
		return fmt.Errorf("no temporary file name free")
	}
	fail := func(err error) error {
		f.Close()
		_ = root.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	if err := root.Rename(tmp, name); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	return nil
}
