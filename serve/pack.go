package serve

import (
	"context"
	"github.com/sigmabridge/sigmabridge/ruleset"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// PackRule is one rule of the built-in pack with its coverage: its samples' verdict under
// the profile the samples assume, and what each target makes of it.
type PackRule struct {
	Path      string       `json:"path"`
	ID        string       `json:"id"`
	Title     string       `json:"title"`
	Level     string       `json:"level"`
	Logsource ir.Logsource `json:"logsource"`
	Positives int          `json:"positives"`
	Negatives int          `json:"negatives"`
	// SamplesPass is true when every sample gave its expected verdict.
	SamplesPass bool     `json:"samples_pass"`
	Failures    []string `json:"failures,omitempty"`
	// Targets maps a target to "ok", "unsupported", "failed" or "inactive".
	Targets map[string]string `json:"targets"`
}

// SampleOut is one sample of a pack rule.
type SampleOut struct {
	File   string `json:"file"`
	Expect string `json:"expect"`
	Format string `json:"format"`
	Why    string `json:"why,omitempty"`
	Events string `json:"events"`
}

type packIndex struct {
	once  sync.Once
	rules []PackRule
	err   error
}

// build computes the pack's coverage once: the pack is embedded and never changes.
func (p *packIndex) build(ctx context.Context) ([]PackRule, error) {
	p.once.Do(func() { p.rules, p.err = buildPack(context.WithoutCancel(ctx)) })
	return p.rules, p.err
}

func buildPack(ctx context.Context) ([]PackRule, error) {
	files, _, err := sigmabridge.RuleFiles(nil)
	if err != nil {
		return nil, err
	}
	set, _ := ruleset.LoadSet(files)
	// The base rules of correlations alert only through them, and their samples are the
	// correlations' sequences: the browser lists the rules that alert on their own.
	rs := set.Alerting()
	out := make([]PackRule, len(rs))
	for i, r := range rs {
		out[i] = PackRule{Path: r.Path, ID: r.ID, Title: r.Title, Level: r.Level, Logsource: r.Logsource, Targets: map[string]string{}}
	}
	// Samples, as `sigmabridge test` runs them.
	st, err := sigmabridge.SamplesSetup(true, nil, nil)
	if err != nil {
		return nil, err
	}
	prep := sigmabridge.Prepare(st, rs)
	det, detErr := sigmabridge.LoadDetector(ctx, sigmabridge.DetectorOptions{InProcess: true}, prep.Rules)
	if det != nil {
		defer det.Close()
	}
	for i := range rs {
		v := sigmabridge.RunSamples(prep, rs, i, true, det, detErr)
		out[i].Positives, out[i].Negatives = v.Positives, v.Negatives
		out[i].SamplesPass, out[i].Failures = v.Passed(), v.Failures
	}
	// Every target, under the same profile, without pipelines.
	pp, err := sigmabridge.PackProfile()
	if err != nil {
		return nil, err
	}
	for _, name := range backends.Names() {
		b, err := backends.Get(name)
		if err != nil {
			return nil, err
		}
		st, err := sigmabridge.Setup(pp, profile.TargetOf(name), nil)
		if err != nil {
			return nil, err
		}
		res, _, err := sigmabridge.Convert(ctx, b, st, rs)
		if err != nil {
			return nil, err
		}
		for i, rr := range res {
			state := "ok"
			switch {
			case rr.Inactive != nil:
				state = "inactive"
			case rr.Unsupported:
				state = "unsupported"
			case rr.Failed:
				state = "failed"
			}
			out[i].Targets[name] = state
		}
	}
	return out, nil
}

func (s *Server) packList(ctx context.Context, r *http.Request) (any, error) {
	rs, err := s.pack.build(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{"rules": rs, "profile": sigmabridge.PackProfilePath}, nil
}

// packRule answers one pack rule by its path in the embedded pack; nothing outside the
// embedded trees can be named.
func (s *Server) packRule(ctx context.Context, r *http.Request) (any, error) {
	p := r.URL.Query().Get("path")
	rel, ok := strings.CutPrefix(p, sigmabridge.BuiltinPrefix+"/")
	if !ok || !fs.ValidPath(rel) {
		return nil, badRequest("path must name a rule of the built-in pack (rules/...)")
	}
	data, err := fs.ReadFile(rules.FS, rel)
	if err != nil {
		return nil, &apiError{Status: http.StatusNotFound, Message: "no rule " + p + " in the built-in pack"}
	}
	out := map[string]any{"path": p, "yaml": string(data), "samples": []SampleOut{}}
	dir := strings.TrimSuffix(rel, path.Ext(rel))
	m, err := sigmabridge.RuleManifest(&ir.Rule{Path: p}, true)
	if err != nil || m == nil {
		return out, nil
	}
	var samples []SampleOut
	for _, smp := range m.Samples {
		ev, err := fs.ReadFile(sigmabridge.PackSamples, path.Join(dir, smp.File))
		if err != nil {
			continue
		}
		format := smp.Format
		if format == "" {
			format = "jsonl"
		}
		text := string(ev)
		if !utf8.Valid(ev) {
			text = "" // a gzipped sample: the page cannot show it
		}
		samples = append(samples, SampleOut{File: smp.File, Expect: smp.Expect, Format: format, Why: smp.Why, Events: text})
	}
	if samples != nil {
		out["samples"] = samples
	}
	return out, nil
}
