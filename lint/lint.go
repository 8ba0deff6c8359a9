package lint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/sigmabridge/sigmabridge/internal/parallel"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/sigma"
)

// Finding is one problem a check found in one rule.
type Finding struct {
	Path string
	// Line is the 1-based line of the offending YAML node; 0 when unknown.
	Line int
	// Col is the 1-based column, when known. It is used to tell findings on one line
	// apart; it is not printed.
	Col      int
	Check    string
	Severity diag.Severity
	Message  string
	// RuleID is the id of the rule the finding is about, when it has one.
	RuleID string
}

// String prints the finding as `path:line: check: message`, with `warning: ` before the
// check name of a warning, like every other sigmabridge diagnostic.
func (f Finding) String() string {
	return diag.Diagnostic{Path: f.Path, Line: f.Line, Code: diag.Code(f.Check), Message: f.Message, Severity: f.Severity}.String()
}

// Config selects the checks of a run.
type Config struct {
	// Disabled names checks whose findings are not reported.
	Disabled map[string]bool
}

// Report is the outcome of one lint run.
type Report struct {
	// Findings are sorted by path, line, column and check.
	Findings []Finding
	Errors   int
	Warnings int
	// Files and Documents count what was read: rule files, and YAML documents in them.
	Files     int
	Documents int
}

// Run lints every file (read from disk, or from its fs.FS) with up to GOMAXPROCS workers,
// then runs the checks that compare rules across the whole batch.
func Run(files []ruleset.File, cfg Config) *Report {
	perFile := make([]fileResult, len(files))
	_ = parallel.For(context.Background(), len(files), func(i int) {
		perFile[i] = lintFile(files[i], cfg)
	})

	rep := &Report{Files: len(files)}
	var docs []*document
	for _, r := range perFile {
		rep.Findings = append(rep.Findings, r.findings...)
		docs = append(docs, r.docs...)
	}
	rep.Documents = len(docs)
	for _, c := range registry {
		if c.batch == nil || cfg.Disabled[c.Name] {
			continue
		}
		var out []Finding
		c.batch(docs, &reporter{check: c, out: &out})
		rep.Findings = append(rep.Findings, out...)
	}
	rep.finish()
	return rep
}

// Add appends findings from outside the linter (for example paths that could not be
// read while discovering files) and recounts.
func (rep *Report) Add(fs ...Finding) {
	rep.Findings = append(rep.Findings, fs...)
	rep.finish()
}

// FromDiagnostic turns a loader or discovery diagnostic into a finding of the check
// named by its code.
func FromDiagnostic(d diag.Diagnostic) Finding {
	return Finding{Path: d.Path, Line: d.Line, Col: d.Col, Check: string(d.Code), Severity: loaderSeverity(d), Message: d.Message, RuleID: d.RuleID}
}

func (rep *Report) finish() {
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Check < b.Check
	})
	rep.Errors, rep.Warnings = 0, 0
	for _, f := range rep.Findings {
		if f.Severity == diag.Warning {
			rep.Warnings++
		} else {
			rep.Errors++
		}
	}
}

type fileResult struct {
	findings []Finding
	docs     []*document
}

func lintFile(f ruleset.File, cfg Config) fileResult {
	var data []byte
	var err error
	if f.FS != nil {
		data, err = fs.ReadFile(f.FS, f.Name)
	} else {
		var d *diag.Diagnostic
		if data, d = translator.ReadRuleFile(f.Path); d != nil {
			// Unreadable, or longer than translator.MaxRuleFileBytes: the loader's finding.
			if cfg.Disabled[string(d.Code)] {
				return fileResult{}
			}
			return fileResult{findings: []Finding{FromDiagnostic(*d)}}
		}
	}
	if err != nil {
		var pe *fs.PathError
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		fd := Finding{Path: f.Path, Check: diag.ReadError, Severity: diag.Error, Message: msg}
		if cfg.Disabled[fd.Check] {
			return fileResult{}
		}
		return fileResult{findings: []Finding{fd}}
	}
	return lintData(f.Path, data, cfg)
}

// lintData runs the loader and every per-document check on one file.
func lintData(path string, data []byte, cfg Config) fileResult {
	// One parse serves the loader (its diagnostics are findings) and the checks.
	var loadDiags diag.List
	var docs []*document
	if len(data) > translator.MaxRuleFileBytes {
		_, loadDiags = translator.LoadBytes(path, data) // refused: rule-too-large
	} else {
		f := sigma.Parse(path, data)
		_, loadDiags = translator.Lower(f)
		docs = newDocuments(f)
	}

	var own []Finding
	for _, d := range docs {
		for _, c := range registry {
			if c.document == nil || cfg.Disabled[c.Name] || !c.appliesTo(d.kind) {
				continue
			}
			c.document(d, &reporter{check: c, doc: d, out: &own})
		}
	}

	// Loader diagnostics, unless a check reported the same problem at the same place.
	type place struct {
		line, col int
		code      string
	}
	reported := map[place]bool{}
	for _, f := range own {
		reported[place{f.Line, f.Col, f.Check}] = true
		for _, code := range checkByName[f.Check].covers {
			reported[place{f.Line, f.Col, code}] = true
		}
	}
	var out []Finding
	for _, d := range loadDiags {
		if reported[place{d.Line, d.Col, string(d.Code)}] || cfg.Disabled[string(d.Code)] {
			continue
		}
		fd := FromDiagnostic(d)
		if fd.RuleID == "" {
			fd.RuleID = idAtLine(docs, d.Line)
		}
		out = append(out, fd)
	}
	return fileResult{findings: append(out, own...), docs: docs}
}

// idAtLine returns the id of the document that holds line.
func idAtLine(docs []*document, line int) string {
	id := ""
	for _, d := range docs {
		if d.line <= line {
			id = d.id
		}
	}
	return id
}

// loaderSeverity is the severity of a loader diagnostic as a finding. A correlation rule
// or a filter is not wrong; the loader only cannot convert it yet, so lint warns that
// its detection was not checked.
func loaderSeverity(d diag.Diagnostic) diag.Severity {
	switch d.Code {
	case diag.CorrelationUnsupp, diag.FilterUnsupported:
		return diag.Warning
	}
	return d.Severity // correlation and filter documents are lowered and checked like rules
}

// reporter collects the findings of one check.
type reporter struct {
	check *Check
	doc   *document
	out   *[]Finding
}

// about returns a reporter for the same check about document d (batch checks).
func (r *reporter) about(d *document) *reporter {
	return &reporter{check: r.check, doc: d, out: r.out}
}

// at reports a finding at node n.
func (r *reporter) at(n *yaml.Node, format string, args ...any) {
	line := r.doc.line
	if n != nil {
		line = n.Line
	}
	r.atPos(line, 0, format, args...)
}

// atPos reports a finding at a line and column.
func (r *reporter) atPos(line, col int, format string, args ...any) {
	*r.out = append(*r.out, Finding{
		Path: r.doc.path, Line: line, Col: col, Check: r.check.Name, Severity: r.check.Severity,
		Message: fmt.Sprintf(format, args...), RuleID: r.doc.id,
	})
}
