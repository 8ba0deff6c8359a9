package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// StdinName is how a rule read from standard input is named in diagnostics and output.
const StdinName = "<stdin>"

// RuleFiles resolves the rule arguments of a command, the same way in every command: no
// argument is the built-in pack; "-" is one rule file read from stdin (named <stdin>); a
// directory is searched recursively for *.yml and *.yaml; a file is a rule file. An argument
// that cannot be rules (a file without the .yml or .yaml extension, such as a log, or a
// directory holding no rule) is a usage error naming it, never a silent fallback to the
// built-in pack; a path that cannot be read is a diagnostic and the rest still loads.
func RuleFiles(paths []string, stdin io.Reader) ([]ruleset.File, diag.List, error) {
	if len(paths) == 0 {
		files, _, err := sigmabridge.RuleFiles(nil)
		return files, nil, err
	}
	var (
		files     []ruleset.File
		diags     diag.List
		stdinRead bool
	)
	for _, p := range paths {
		if p == "-" {
			if stdinRead {
				return nil, nil, Usagef("- (standard input) is given twice")
			}
			stdinRead = true
			f, err := stdinRule(stdin)
			if err != nil {
				return nil, nil, err
			}
			files = append(files, f)
			continue
		}
		if err := checkRuleArg(p); err != nil {
			return nil, nil, err
		}
		found, ds := ruleset.Discover([]string{p})
		diags = append(diags, ds...)
		if info, err := os.Stat(p); err == nil && info.IsDir() && len(found) == 0 && len(ds) == 0 {
			return nil, nil, Usagef("%s: no Sigma rules (*.yml, *.yaml) in this directory", p)
		}
		files = append(files, found...)
	}
	return files, diags, nil
}

// LoadRules is RuleFiles, then every rule loaded (see sigmabridge.LoadRules).
func LoadRules(paths []string, stdin io.Reader) ([]*ir.Rule, []ruleset.File, diag.List, error) {
	set, files, diags, err := LoadSet(paths, stdin)
	if err != nil {
		return nil, nil, nil, err
	}
	return set.Rules, files, diags, nil
}

// LoadSet is LoadRules returning the whole set: rules, correlations and filters.
func LoadSet(paths []string, stdin io.Reader) (*ir.RuleSet, []ruleset.File, diag.List, error) {
	files, diags, err := RuleFiles(paths, stdin)
	if err != nil {
		return nil, nil, nil, err
	}
	set, ds := ruleset.LoadSet(files)
	return set, files, append(diags, ds...), nil
}

// checkRuleArg refuses a regular file that is not named as a rule file: a log passed where
// rules go would otherwise be read as YAML and fail with a parser's message.
func checkRuleArg(p string) error {
	info, err := os.Stat(p)
	if err != nil || info.IsDir() || ruleset.IsRuleFile(p) {
		return nil // a missing path is a read-error diagnostic of its own
	}
	return Usagef("%s is not a Sigma rule file (*.yml, *.yaml)%s", p, logHint(p))
}

func logHint(p string) string {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".json", ".jsonl", ".ndjson", ".gz", ".log", ".eml", ".txt":
		return "; it looks like a log: 'sigmabridge scan RULES... --logs " + p + "' matches logs against rules"
	}
	return ""
}

// stdinRule reads one rule file from stdin, never more than the loader accepts (a larger
// one is then refused by the loader as rule-too-large).
func stdinRule(stdin io.Reader) (ruleset.File, error) {
	if stdin == nil {
		stdin = os.Stdin
	}
	data, err := io.ReadAll(io.LimitReader(stdin, translator.MaxRuleFileBytes+1))
	if err != nil {
		return ruleset.File{}, fmt.Errorf("reading a rule from standard input: %w", err)
	}
	const name = "stdin.yml"
	return ruleset.File{Path: StdinName, FS: fstest.MapFS{name: {Data: data, Mode: 0o444}}, Name: name}, nil
}
