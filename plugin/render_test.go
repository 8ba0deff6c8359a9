package plugin

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// titleFormat renders each rule as its title on a line, one file per rule; a rule titled
// "bad" fails with a diagnostic.
func titleFormat(_ context.Context, req *RenderRequest) (*RenderResponse, error) {
	resp := &RenderResponse{Results: make([]RenderResult, len(req.Rules))}
	var all []string
	for i, r := range req.Rules {
		if r.Title == "bad" {
			resp.Results[i].Diagnostics = Diagnostics{{Code: "bad-title", Message: "bad", RuleID: r.ID}}
			continue
		}
		line := req.Sources[i] + ": " + r.Title + "\n"
		resp.Results[i].Data = []byte(line)
		all = append(all, line)
	}
	resp.Files = []File{{Name: "titles.txt", Data: []byte(strings.Join(all, ""))}, {Name: "sub/readme.txt", Data: []byte("hi")}}
	return resp, nil
}

func titleBackend() *RuleBackend {
	return &RuleBackend{
		Description: BackendDescription{Name: "titles", Targets: []string{"t"},
			FormatDescriptions: []FormatDescription{{Name: "titles", Description: "titles", Extension: ".txt", PerRule: true}}},
		ConvertRule:  func(string, string, *ir.Rule) ([]Query, Diagnostics) { return []Query{{Text: "q"}}, nil },
		RenderFormat: titleFormat,
	}
}

// TestRenderRoundTrip: formats are described and rendered over a real gRPC connection,
// with the protocol revision filled in, sources and per-rule data and diagnostics in order.
func TestRenderRoundTrip(t *testing.T) {
	b, _ := connect(t, titleBackend(), nil)
	d, err := b.Describe(context.Background(), &DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d.ProtocolRevision != ProtocolRevision || len(d.FormatDescriptions) != 1 || !reflect.DeepEqual(d.FormatDescriptions[0], FormatDescription{Name: "titles", Description: "titles", Extension: ".txt", PerRule: true}) {
		t.Fatalf("description %+v", d)
	}
	r := b.(Renderer)
	resp, err := r.Render(context.Background(), &RenderRequest{Target: "t", Format: "titles",
		Rules: []*ir.Rule{{Title: "one"}, {Title: "bad", ID: "x"}, {Title: "three"}}, Sources: []string{"a/1.yml", "b.yml", "c/3.yml"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != 3 || string(resp.Results[0].Data) != "a/1.yml: one\n" || string(resp.Results[2].Data) != "c/3.yml: three\n" {
		t.Fatalf("results %+v", resp.Results)
	}
	if ds := resp.Results[1].Diagnostics; len(ds) != 1 || ds[0].Code != "bad-title" || ds[0].Severity != diag.Error || resp.Results[1].Data != nil {
		t.Errorf("the bad rule: %+v", resp.Results[1])
	}
	if len(resp.Files) != 2 || resp.Files[0].Name != "titles.txt" || string(resp.Files[0].Data) != "a/1.yml: one\nc/3.yml: three\n" {
		t.Errorf("files %+v", resp.Files)
	}
	// An unknown format is the plugin's error, not a crash.
	if _, err := r.Render(context.Background(), &RenderRequest{Target: "t", Format: "nope", Rules: []*ir.Rule{{Title: "x"}}}); err == nil || !strings.Contains(err.Error(), `unknown format "nope"`) {
		t.Errorf("unknown format: %v", err)
	}
}

// TestRenderWithoutFormats: a backend that is no Renderer answers Render with ErrNoFormats
// (gRPC Unimplemented) and describes no formats.
func TestRenderWithoutFormats(t *testing.T) {
	b, _ := connect(t, &RuleBackend{Description: BackendDescription{Name: "plain", Targets: []string{"t"}},
		ConvertRule: func(string, string, *ir.Rule) ([]Query, Diagnostics) { return nil, nil }}, nil)
	d, err := b.Describe(context.Background(), &DescribeRequest{})
	if err != nil || len(d.FormatDescriptions) != 0 {
		t.Fatalf("%+v %v", d, err)
	}
	_, err = b.(Renderer).Render(context.Background(), &RenderRequest{Target: "t", Format: "x", Rules: []*ir.Rule{{Title: "a"}}})
	if !errors.Is(err, ErrNoFormats) {
		t.Errorf("err %v, want ErrNoFormats", err)
	}
}

// TestHostileRenderedFileNames: file names that would leave the output directory, and
// malformed format descriptions, are malformed responses.
func TestHostileRenderedFileNames(t *testing.T) {
	for _, name := range []string{"", "../x", "/etc/passwd", "a/../../x", `a\b`, "c:x", "a/./b", "a\nb", "."} {
		if checkFileName(name) == nil {
			t.Errorf("%q accepted", name)
		}
	}
	for _, name := range []string{"rules.yaml", "a/b/c.json", "x..y"} {
		if err := checkFileName(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	base := BackendDescription{Targets: []string{"t"}, ProtocolRevision: RevisionFormats}
	bad := map[string][]FormatDescription{
		"empty name":     {{Name: ""}},
		"space in name":  {{Name: "a b"}},
		"twice":          {{Name: "a"}, {Name: "a"}},
		"bad extension":  {{Name: "a", Extension: "yaml"}},
		"slash in ext":   {{Name: "a", Extension: "./x"}},
		"unknown target": {{Name: "a", Targets: []string{"u"}}},
	}
	for what, fs := range bad {
		d := base
		d.FormatDescriptions = fs
		if CheckFormatDescriptions(&d) == nil {
			t.Errorf("%s accepted", what)
		}
	}
	d := base
	d.ProtocolRevision, d.FormatDescriptions = 1, []FormatDescription{{Name: "a"}}
	if CheckFormatDescriptions(&d) == nil {
		t.Errorf("formats at revision 1 accepted")
	}
	d = base
	d.FormatDescriptions = []FormatDescription{{Name: "a.b-c_d", Extension: ".tar.gz", Targets: []string{"t"}}}
	if err := CheckFormatDescriptions(&d); err != nil {
		t.Errorf("good description refused: %v", err)
	}
}
