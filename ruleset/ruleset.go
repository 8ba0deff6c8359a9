package ruleset

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sigmabridge/sigmabridge/internal/parallel"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// File is one rule file to load: either on disk (FS nil) or inside FS.
type File struct {
	// Path is the path shown to the user and stored in ir.Rule.Path.
	Path string
	// FS, when set, holds the file at Name; otherwise Path is read from disk.
	FS   fs.FS
	Name string
}

// IsRuleFile reports whether a file name has a Sigma rule extension.
func IsRuleFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yml" || ext == ".yaml"
}

// Discover expands paths into rule files: a file is taken as is, a directory is searched
// recursively for *.yml and *.yaml. Each missing or unreadable path is a diagnostic.
func Discover(paths []string) ([]File, diag.List) {
	var files []File
	var diags diag.List
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			diags.Add(p, 0, diag.ReadError, "%v", pathErr(err))
			continue
		}
		if !info.IsDir() {
			files = append(files, File{Path: p})
			continue
		}
		var found []File
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				diags.Add(q, 0, diag.ReadError, "%v", pathErr(err))
				return nil
			}
			if !d.IsDir() && IsRuleFile(q) && !isSamplesManifest(q) {
				found = append(found, File{Path: q})
			}
			return nil
		})
		if err != nil {
			diags.Add(p, 0, diag.ReadError, "%v", pathErr(err))
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
		files = append(files, found...)
	}
	return files, diags
}

// DiscoverFS lists the rule files inside fsys, shown to the user as prefix/NAME.
func DiscoverFS(fsys fs.FS, prefix string) ([]File, error) {
	var files []File
	err := fs.WalkDir(fsys, ".", func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && IsRuleFile(q) {
			files = append(files, File{Path: prefix + "/" + q, FS: fsys, Name: q})
		}
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, err
}

// isSamplesManifest reports whether a file is a rule's sample manifest (samples.yml),
// which sits among rules in a directory named like its rule and is not a rule itself.
func isSamplesManifest(name string) bool {
	return filepath.Base(name) == "samples.yml"
}

func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Load reads and lowers every file with up to GOMAXPROCS workers. Rules come back in file
// order (and document order within a file), with the set's filters applied; diagnostics
// are sorted by path and line. LoadSet also returns the correlations.
func Load(files []File) ([]*ir.Rule, diag.List) {
	set, diags := LoadSet(files)
	return set.Rules, diags
}

// LoadSet is Load returning the whole set: rules, correlations (resolved across files) and
// filters (applied to the rules they name).
func LoadSet(files []File) (*ir.RuleSet, diag.List) {
	type result struct {
		set   *ir.RuleSet
		diags diag.List
	}
	results := make([]result, len(files))
	_ = parallel.For(context.Background(), len(files), func(i int) {
		results[i].set, results[i].diags = loadOne(files[i])
	})
	set := &ir.RuleSet{}
	var diags diag.List
	for _, r := range results {
		set.Rules = append(set.Rules, r.set.Rules...)
		set.Correlations = append(set.Correlations, r.set.Correlations...)
		set.Filters = append(set.Filters, r.set.Filters...)
		diags = append(diags, r.diags...)
	}
	diags = append(diags, translator.Resolve(set)...)
	diags.Sort()
	return set, diags
}

func loadOne(f File) (*ir.RuleSet, diag.List) {
	var data []byte
	var err error
	if f.FS == nil {
		data, d := translator.ReadRuleFile(f.Path)
		if d != nil {
			return &ir.RuleSet{}, diag.List{*d}
		}
		return translator.LoadSetBytes(f.Path, data)
	}
	data, err = fs.ReadFile(f.FS, f.Name)
	if err != nil {
		var diags diag.List
		diags.Add(f.Path, 0, diag.ReadError, "%v", pathErr(err))
		return &ir.RuleSet{}, diags
	}
	return translator.LoadSetBytes(f.Path, data)
}
