package main

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/sigmabridge/sigmabridge/plugin"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// sentinelFormat is the plugin's own deployable format: Microsoft Sentinel scheduled
// analytics rules in YAML, the shape of the rule files of Microsoft's Azure-Sentinel
// repository (id, name, description, severity, queryFrequency, queryPeriod,
// triggerOperator, triggerThreshold, tactics, relevantTechniques, query, kind, version).
var sentinelFormat = plugin.FormatDescription{
	Name:        "sentinel",
	Description: "Microsoft Sentinel scheduled analytics rules (YAML), one document per rule condition",
	Extension:   ".yaml",
	PerRule:     true,
	Targets:     []string{"kql"},
}

// codeSeverity is the warning a rule gets when its level has no Sentinel severity.
const codeSeverity diag.Code = "sentinel-severity"

// sentinelSeverity maps a Sigma level to a Sentinel severity; critical has none.
var sentinelSeverity = map[string]string{
	"informational": "Informational", "low": "Low", "medium": "Medium", "high": "High", "critical": "High",
}

var (
	techniqueTag = regexp.MustCompile(`^attack\.(t\d{4}(\.\d{3})?)$`)
	tacticTag    = regexp.MustCompile(`^attack\.([a-z]+([_-][a-z]+)*)$`)
)

// renderSentinel renders every rule of req as Sentinel analytics rules. The whole is every
// rule's documents in one YAML stream, sentinel-rules.yaml; each rule's own file is its
// documents. A rule KQL cannot express fails with convertRule's diagnostics.
func renderSentinel(ctx context.Context, req *plugin.RenderRequest) (*plugin.RenderResponse, error) {
	resp := &plugin.RenderResponse{Results: make([]plugin.RenderResult, len(req.Rules))}
	var all []string
	for i, r := range req.Rules {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		qs, ds := convertRule(req.Target, "", r)
		res := &resp.Results[i]
		res.Diagnostics = ds
		if len(qs) == 0 {
			if len(ds) == 0 {
				res.Diagnostics = plugin.Diagnostics{{Path: r.Path, Line: r.Line, RuleID: r.ID, Target: req.Target,
					Code: diag.Unsupported, Message: "no query to deploy"}}
			}
			continue
		}
		severity, ok := sentinelSeverity[r.Level]
		if !ok {
			severity = "Medium"
		}
		if r.Level == "critical" || !ok {
			res.Diagnostics = append(res.Diagnostics, plugin.Diagnostic{Path: r.Path, Line: r.Line, RuleID: r.ID, Target: req.Target,
				Code: codeSeverity, Severity: plugin.SeverityWarning,
				Message: fmt.Sprintf("level %q has no Sentinel severity: %s used", r.Level, severity)})
		}
		var docs []string
		for _, q := range qs {
			docs = append(docs, sentinelRule(r, q, len(r.Conditions), severity))
		}
		res.Data = []byte(strings.Join(docs, ""))
		all = append(all, docs...)
	}
	resp.Files = []plugin.File{{Name: "sentinel-rules.yaml", Data: []byte(strings.Join(all, ""))}}
	return resp, nil
}

// sentinelRule is one YAML document: condition q.Condition of r. Every string is written
// as a JSON string, which is a YAML double-quoted scalar, so no title or query can break
// the document.
func sentinelRule(r *ir.Rule, q plugin.Query, conditions int, severity string) string {
	name := r.Title
	if conditions > 1 {
		name += fmt.Sprintf(" (condition %d)", q.Condition+1)
	}
	var tactics, techniques []string
	for _, t := range r.Tags {
		t = strings.ToLower(t)
		if m := techniqueTag.FindStringSubmatch(t); m != nil {
			techniques = append(techniques, strings.ToUpper(m[1]))
		} else if m := tacticTag.FindStringSubmatch(t); m != nil {
			tactics = append(tactics, camel(m[1]))
		}
	}
	var b strings.Builder
	b.WriteString("---\n")
	fmt.Fprintf(&b, "id: %s\n", ruleGUID(r, q.Condition))
	fmt.Fprintf(&b, "name: %s\n", yamlString(name))
	fmt.Fprintf(&b, "description: %s\n", yamlString(r.Description))
	fmt.Fprintf(&b, "severity: %s\n", severity)
	b.WriteString("kind: Scheduled\nqueryFrequency: 1h\nqueryPeriod: 1h\ntriggerOperator: gt\ntriggerThreshold: 0\n")
	fmt.Fprintf(&b, "tactics: %s\n", yamlList(tactics))
	fmt.Fprintf(&b, "relevantTechniques: %s\n", yamlList(techniques))
	fmt.Fprintf(&b, "query: %s\n", yamlString(q.Text))
	b.WriteString("version: 1.0.0\n")
	return b.String()
}

// camel turns an ATT&CK tactic tag ("initial-access", "initial_access") into Sentinel's
// tactic name ("InitialAccess").
func camel(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func yamlList(xs []string) string {
	if len(xs) == 0 {
		return "[]"
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = yamlString(x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// ruleGUID is the Sentinel rule id of condition cond of r: a name-based UUID (version 5)
// of the Sigma id and the condition, so that a re-import updates the rule. A rule without
// an id is named by its path.
func ruleGUID(r *ir.Rule, cond int) string {
	name := "sigma:" + r.ID
	if r.ID == "" {
		name = "path:" + r.Path
	}
	h := sha1.Sum([]byte("sigmabridge-plugin-kql/sentinel\x00" + name + fmt.Sprintf("/%d", cond)))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
