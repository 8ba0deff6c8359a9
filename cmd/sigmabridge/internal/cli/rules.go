package cli

import (
	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/ruleset"
)

// BuiltinPrefix is how paths inside the embedded rule pack are shown.
const BuiltinPrefix = "rules"

// RuleFiles resolves the PATH arguments of a command; no paths means the built-in pack.
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
