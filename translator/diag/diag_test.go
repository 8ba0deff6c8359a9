package diag

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestFilesWithErrors(t *testing.T) {
	l := List{
		{Path: "a.yml", Severity: Error},
		{Path: "a.yml", Severity: Error},
		{Path: "b.yml", Severity: Warning},
		{Path: "c.yml", Severity: Error},
	}
	if got := l.FilesWithErrors(); got != 2 {
		t.Errorf("FilesWithErrors = %d, want 2 (a.yml twice, b.yml only a warning)", got)
	}
	if got := (List{}).FilesWithErrors(); got != 0 {
		t.Errorf("empty list: %d", got)
	}
}

func TestClassTable(t *testing.T) {
	for _, c := range Codes() {
		if c.Class() == Unknown {
			t.Errorf("%s has no class", c)
		}
		// "Cannot express": the unsupported-* family, the mapping-* family (an index
		// mapping that cannot answer a leaf exactly), the fields-* family (likewise for
		// Splunk's extracted fields), the case-sensitive target, an
		// unresolved placeholder and a pipeline's declared failure; never pipeline-error.
		old := strings.HasPrefix(string(c), Unsupported) || strings.HasPrefix(string(c), "mapping-") || strings.HasPrefix(string(c), "fields-") || c == CaseSensitiveTarget || c == UnresolvedPlaceholder || c == PipelineUnsupported
		if IsUnsupported(c) != old {
			t.Errorf("IsUnsupported(%s) = %v, want %v", c, IsUnsupported(c), old)
		}
	}
	if len(Codes()) < 30 {
		t.Errorf("only %d codes in the table", len(Codes()))
	}
	// A plugin's own code is not in the table: it is not taken as "cannot express" by its
	// spelling.
	if IsUnsupported(PipelineError) || !IsUnsupported(PipelineUnsupported) {
		t.Error("pipeline-unsupported is skippable, pipeline-error is not")
	}
	if c := Code("unsupported-exists"); c.Class() != Unknown || IsUnsupported(c) {
		t.Errorf("a code outside the table is classified %s", c.Class())
	}
	if Code(RuleTooLarge).Class() != Limit || Code(ConditionSyntax).Class() != InvalidRule || Code(PipelineError).Class() != Pipeline {
		t.Error("class table")
	}
	l := List{{Code: UnsupportedRegex}, {Code: UnresolvedPlaceholder}, {Code: ConditionSyntax, Severity: Warning}}
	if !l.OnlyUnsupported() {
		t.Error("OnlyUnsupported: a warning must not count")
	}
	if (List{{Code: UnsupportedRegex}, {Code: InvalidValue}}).OnlyUnsupported() {
		t.Error("OnlyUnsupported with an invalid-value error")
	}
}

func TestSeverityJSON(t *testing.T) {
	for _, sev := range []Severity{Error, Warning} {
		b, err := json.Marshal(Diagnostic{Path: "r.yml", Line: 3, Code: UnsupportedCIDR, Message: "m", Severity: sev})
		if err != nil {
			t.Fatal(err)
		}
		want := `{"path":"r.yml","line":3,"code":"unsupported-cidr","message":"m","severity":"` + sev.String() + `"}`
		if string(b) != want {
			t.Errorf("got %s\nwant %s", b, want)
		}
		var back Diagnostic
		if err := json.Unmarshal(b, &back); err != nil || back.Severity != sev {
			t.Errorf("read back %+v, %v", back, err)
		}
	}
	var d Diagnostic
	if err := json.Unmarshal([]byte(`{"code":"x","severity":"fatal"}`), &d); err == nil {
		t.Error("an unknown severity was read")
	}
}
