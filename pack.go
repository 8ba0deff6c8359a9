package sigmabridge

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/samples"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

//go:embed testdata/rules
var samplesFS embed.FS

// PackSamples holds the built-in pack's samples, one directory per rule file, mirroring
// rules/ (for example "aws/lambda_policy_any_principal/samples.yml"), plus profile.yml, the
// organisation profile the samples assume, and placeholders.yml, the same values as a pipeline.
var PackSamples fs.FS = mustSub(samplesFS, "testdata/rules")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// BuiltinPrefix is how paths inside the embedded rule pack are shown.
const BuiltinPrefix = "rules"

// PackProfilePath is how the profile the built-in pack's samples assume is named.
const PackProfilePath = "testdata/rules/profile.yml"

// RuleFiles resolves rule paths; no paths means the built-in pack.
func RuleFiles(paths []string) ([]ruleset.File, diag.List, error) {
	if len(paths) == 0 {
		files, err := ruleset.DiscoverFS(rules.FS, BuiltinPrefix)
		return files, nil, err
	}
	files, diags := ruleset.Discover(paths)
	return files, diags, nil
}

// LoadRules discovers and loads the rules named by paths (default: the built-in pack).
// Diagnostics cover unreadable paths and invalid rules; the error is reserved for a
// broken binary (the embedded pack cannot be read).
func LoadRules(paths []string) ([]*ir.Rule, []ruleset.File, diag.List, error) {
	files, diags, err := RuleFiles(paths)
	if err != nil {
		return nil, nil, diags, err
	}
	rules, ds := ruleset.Load(files)
	return rules, files, append(diags, ds...), nil
}

// PackProfile returns the profile the built-in pack's samples assume
// (testdata/rules/profile.yml, embedded).
func PackProfile() (*profile.Profile, error) {
	data, err := fs.ReadFile(PackSamples, "profile.yml")
	if err != nil {
		return nil, err
	}
	return profile.Parse(PackProfilePath, data)
}

// RuleManifest finds a rule's samples: in the embedded tree for the built-in pack, on
// disk otherwise. It returns nil, nil when the rule has none.
func RuleManifest(r *ir.Rule, builtin bool) (*samples.Manifest, error) {
	if builtin {
		rel := strings.TrimPrefix(r.Path, BuiltinPrefix+"/")
		dir := strings.TrimSuffix(rel, path.Ext(rel))
		if _, err := fs.Stat(PackSamples, path.Join(dir, samples.ManifestName)); err != nil {
			return nil, nil
		}
		return samples.ReadManifest(PackSamples, dir, path.Join("testdata/rules", dir))
	}
	dir := samples.Locate(r.Path)
	if dir == "" {
		return nil, nil
	}
	return samples.ReadManifest(os.DirFS(dir), ".", dir)
}

// RunSamples runs the samples of rules[i] through det, which holds the prepared rules of p.
// det is nil when the detector could not be loaded, and detErr says why. The verdict's
// Failures also say why the samples could not run: no manifest or one for another rule, the
// pipelines or the detector failing the rule. An inactive rule (p.Needs) is not run.
func RunSamples(p Prepared, rules []*ir.Rule, i int, builtin bool, det *Detector, detErr error) samples.Verdict {
	r := rules[i]
	m, err := RuleManifest(r, builtin)
	switch {
	case err != nil:
		return samples.Verdict{Failures: []string{err.Error()}}
	case m == nil:
		return samples.Verdict{Failures: []string{fmt.Sprintf("%s: no samples (expected %s in a directory named like the rule, or in testdata/rules/)", r.Path, samples.ManifestName)}}
	case m.RuleID != "" && m.RuleID != r.ID:
		return samples.Verdict{Failures: []string{fmt.Sprintf("%s: the manifest is for rule %s, not %s", path.Join(m.Display, samples.ManifestName), m.RuleID, r.ID)}}
	}
	v := samples.Count(m)
	switch j := p.Index[i]; {
	case p.Needs(r) != nil:
	case j < 0:
		v.Failures = []string{"not run: the pipeline failed the rule"}
	case det == nil:
		v.Failures = []string{"not run: the detector is unavailable: " + detErr.Error()}
	case len(det.Errors[j]) > 0:
		for _, d := range det.Errors[j] {
			v.Failures = append(v.Failures, d.String())
		}
	default:
		match := det.Match
		// Under a deployment pipeline the rule reads the deployment's field names: its
		// samples are brought into that shape first (Prepared.Shape).
		if sh := p.Shape(r); !sh.Identity() {
			match = func(events [][]byte) ([][]int, error) {
				shaped, err := sh.ApplyAll(events)
				if err != nil {
					return nil, err
				}
				return det.Match(shaped)
			}
		}
		v = samples.Run(m, j, match)
	}
	return v
}
