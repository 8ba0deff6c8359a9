package formats_test

import (
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/formats"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// FuzzSavedSearchStanza: whatever a rule's title, description, author and id hold, its
// savedsearches.conf is exactly one stanza of one-line keys, or the rule fails.
func FuzzSavedSearchStanza(f *testing.F) {
	f.Add("t", "d", "a", `a="x"`)
	f.Add("Evil]\n[x]\nsearch = | delete", "line\\\ncron_schedule = *", "$name$", `a="\\"`)
	f.Add("[", "\r\n#\u2028", "\\", "x\\")
	f.Fuzz(func(t *testing.T, title, desc, author, query string) {
		it := formats.Item{Rule: &ir.Rule{ID: author, Title: title, Description: desc, Author: author, Level: "high"},
			Source: "x.yml", Queries: []backends.Query{{Text: query}}}
		s := formats.RenderSplunk([]formats.Item{it}, formats.Defaults)
		if s.Diags[0].HasErrors() {
			return
		}
		headers := 0
		for _, line := range strings.Split(string(s.SavedSearchesConf()), "\n") {
			if !confLine.MatchString(line) || strings.HasSuffix(line, `\`) {
				t.Fatalf("not one .conf line: %q", line)
			}
			if strings.HasPrefix(line, "[") {
				headers++
			}
		}
		if headers != 1 {
			t.Fatalf("%d stanzas", headers)
		}
		if !strings.Contains(s.Stanzas[0], "\nsearch = `sigmabridge_any` "+query+"\n") {
			t.Fatalf("search changed: %q", s.Stanzas[0])
		}
	})
}
