package formats_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/formats"
)

// hostileRules try to break out of their savedsearches.conf stanza through the title and
// description: line breaks followed by a stanza header or a key, a trailing backslash (a
// .conf line continuation), brackets, and $tokens$.
var hostileRules = map[string]string{
	"a_newline_stanza.yml": `title: "Evil]\n[injected stanza]\nsearch = | delete"
id: 0b3f6c1e-1111-4c1e-9a43-6f0a1c2b3d4e
description: "first line\n[default]\ndisabled = 0\r\ncron_schedule = * * * * *"
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: A}
  condition: sel
level: high
`,
	"b_backslash.yml": `title: 'Trailing backslash \'
id: 0b3f6c1e-2222-4c1e-9a43-6f0a1c2b3d4e
description: "ends in a continuation \\\nsearch = | delete \\"
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: 'B\'}
  condition: sel
level: low
`,
	"c_tokens.yml": `title: '$name$ [x] $result.user$ \ ]['
id: 0b3f6c1e-3333-4c1e-9a43-6f0a1c2b3d4e
description: 'costs $5 and $search$'
logsource: {product: azure, service: activitylogs}
detection:
  sel: {operationName: '$x$'}
  condition: sel
`,
	"d_value_newline.yml": `title: A value with a line break
id: 0b3f6c1e-4444-4c1e-9a43-6f0a1c2b3d4e
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: "A\nB"}
  condition: sel
`,
}

var confLine = regexp.MustCompile(`^(#.*|\[[^\[\]\r\n]*\]|[A-Za-z0-9_.]+ = [^\r\n]*|)$`)

func TestHostileSavedSearchStanzas(t *testing.T) {
	dir := t.TempDir()
	for name, body := range hostileRules {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rules, files, diags, err := sigmabridge.LoadRules([]string{dir})
	if err != nil || diags.HasErrors() || len(rules) != len(hostileRules) {
		t.Fatalf("%d rules loaded: %v %v", len(rules), err, diags)
	}
	items := convertRules(t, nil, "splunk", nil, true, rules, sigmabridge.RuleSources([]string{dir}, files))
	r, err := formats.Render("savedsearches", items, options("splunk"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(r.Files[0].Data)
	// Whatever the backend did with the raw line break in d's value, it reaches no stanza.
	converted := 0
	for i, it := range items {
		if r.Diags[i].HasErrors() {
			if !strings.HasSuffix(it.Rule.Path, "d_value_newline.yml") {
				t.Errorf("%s failed: %v", it.Rule.Path, r.Diags[i])
			}
			continue
		}
		converted++
	}
	if converted < 3 {
		t.Fatalf("only %d hostile rules converted", converted)
	}
	// Every line is a comment, a stanza header, a key = value or blank; no line ends in a
	// backslash.
	headers := 0
	for n, line := range strings.Split(conf, "\n") {
		if !confLine.MatchString(line) || strings.HasSuffix(line, `\`) {
			t.Errorf("line %d is not one .conf line: %q", n+1, line)
		}
		if strings.HasPrefix(line, "[") {
			headers++
		}
	}
	if headers != converted {
		t.Errorf("%d stanza headers for %d rules:\n%s", headers, converted, conf)
	}

	// Splunk's own parser sees one stanza per rule, each with its own search and the
	// default schedule, and nothing the titles or descriptions tried to set.
	got := readConf(t, r.Files[0].Data)
	if len(got) != converted {
		t.Errorf("the parser read %d stanzas, want %d: %v", len(got), converted, got)
	}
	for _, bad := range []string{"injected stanza", "default"} {
		if _, ok := got[bad]; ok {
			t.Errorf("a title or description opened stanza [%s]", bad)
		}
	}
	keys := []string{"description", "search", "disabled", "enableSched", "cron_schedule", "schedule_window",
		"dispatch.earliest_time", "dispatch.latest_time", "counttype", "relation", "quantity", "alert.track",
		"alert.digest_mode", "alert.severity", "alert.suppress", "action.correlationsearch.enabled",
		"action.correlationsearch.label", "action.correlationsearch.annotations"}
	for _, it := range items {
		name := "sigmabridge - " + strings.NewReplacer("[", "(", "]", ")").Replace(strings.Join(strings.Fields(it.Rule.Title), " "))
		name = strings.TrimRight(name, `\ `)
		st, ok := got[name]
		if strings.HasSuffix(it.Rule.Path, "d_value_newline.yml") {
			continue
		}
		if !ok {
			t.Errorf("%s: no stanza %q among %v", it.Rule.Path, name, mapKeys(got))
			continue
		}
		if len(st) != len(keys) {
			t.Errorf("%s: %d keys, want %d: %v", it.Rule.Path, len(st), len(keys), st)
		}
		for _, k := range keys {
			if _, ok := st[k]; !ok {
				t.Errorf("%s: no %s", it.Rule.Path, k)
			}
		}
		if st["search"] != "`sigmabridge_"+it.Rule.Logsource.Product+"_"+it.Rule.Logsource.Service+"`"+strings.TrimPrefix(it.Queries[0].Text, `index="`+formats.MacroIndex+`"`) {
			t.Errorf("%s: search %q", it.Rule.Path, st["search"])
		}
		if st["cron_schedule"] != formats.Defaults.Cron || st["disabled"] != "1" {
			t.Errorf("%s: the description changed a setting: %v", it.Rule.Path, st)
		}
		if strings.ContainsAny(st["description"], "\r\n") {
			t.Errorf("%s: description %q", it.Rule.Path, st["description"])
		}
	}
	if d := got["sigmabridge - $name$ (x) $result.user$ \\ )("]["description"]; d != "costs $5 and $search$" {
		t.Errorf("the $ description is %q, want it unchanged", d)
	}
}

func mapKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
