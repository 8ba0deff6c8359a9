package main

import (
	"context"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

func lit(s string) ir.Pattern { return ir.LiteralPattern(s) }

func TestRender(t *testing.T) {
	cases := []struct {
		node ir.Node
		want string
	}{
		{&ir.Match{Field: "eventName", Pattern: lit("CreateFunction20150331")}, `eventName =~ "CreateFunction20150331"`},
		{&ir.Match{Field: "eventName", Pattern: lit("X"), Cased: true}, `eventName == "X"`},
		{&ir.Match{Field: "a.b", Pattern: lit("x").Wrap(false, true)}, `a.b startswith "x"`},
		{&ir.Match{Field: "a", Pattern: lit("x").Wrap(true, false), Cased: true}, `a endswith_cs "x"`},
		{&ir.Match{Field: "x-ms-mail-application", Pattern: lit(`say "hi"\`).Wrap(true, true)}, `['x-ms-mail-application'] contains "say \"hi\"\\"`},
		{&ir.Match{Field: "a", Pattern: ir.ParseSigmaString("a?b*c.d")}, `a matches regex "(?si)^a.b.*c\\.d$"`},
		{&ir.Regex{Field: "cmd", Pattern: `^evil\d`, Flags: ir.RegexFlags{I: true}}, `cmd matches regex "(?i)^evil\\d"`},
		{&ir.CIDR{Field: "ip", Prefix: netip.MustParsePrefix("10.1.2.3/8")}, `ipv4_is_in_range(ip, "10.0.0.0/8")`},
		{&ir.CIDR{Field: "ip", Prefix: netip.MustParsePrefix("2001:db8::/32")}, `ipv6_is_in_range(ip, "2001:db8::/32")`},
		{&ir.Compare{Field: "n", Op: ir.GTE, Value: ir.Num{Text: "10", Value: 10}}, `toreal(n) >= 10`},
		{&ir.And{Children: []ir.Node{
			&ir.Match{Field: "a", Pattern: lit("1")},
			&ir.Not{Child: &ir.Or{Children: []ir.Node{&ir.Match{Field: "b", Pattern: lit("2")}, &ir.Match{Field: "c", Pattern: lit("3")}}}},
		}}, `(a =~ "1" and not((b =~ "2" or c =~ "3")))`},
	}
	for _, c := range cases {
		var problems []unsupported
		if got := render(c.node, &problems); got != c.want || len(problems) > 0 {
			t.Errorf("%s:\n got %s %v\nwant %s", c.node, got, problems, c.want)
		}
	}
	fails := map[string]ir.Node{
		codeUnsupportedKeyword: &ir.Keyword{Pattern: lit("x")},
		codeUnsupportedExists:  &ir.Exists{Field: "a"},
		codeUnsupportedFields:  &ir.FieldRef{Field: "a", Ref: "b"},
		codeUnsupportedTime:    &ir.TimePart{Field: "t", Part: ir.Hour, Value: 3},
		codeUnsupportedValue:   &ir.Match{Field: "n", Pattern: lit("4"), Kind: ir.Number},
		codePlaceholder:        &ir.Match{Field: "u", Pattern: ir.Pattern{{Kind: ir.Placeholder, Text: "admins"}}},
		codeUnsupportedRegex:   &ir.Regex{Field: "a", Pattern: `(?<=x)`},
	}
	for code, n := range fails {
		var problems []unsupported
		render(&ir.Or{Children: []ir.Node{&ir.Match{Field: "ok", Pattern: lit("1")}, n}}, &problems)
		if len(problems) != 1 || string(problems[0].code) != code {
			t.Errorf("%s: problems %v, want one %s", n, problems, code)
		}
	}
}

// TestThroughHost builds the plugin like a third party would, installs and pins it in a
// plugin directory, and converts with it through the host.
func TestThroughHost(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "sigmabridge-plugin-kql")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}

	// Unpinned, it is refused.
	m, err := host.New(host.Config{Dir: dir, Logger: hclog.New(&hclog.LoggerOptions{Output: io.Discard})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Backend(context.Background(), "kql"); err == nil || !strings.Contains(err.Error(), "is not pinned") {
		t.Fatalf("an unpinned plugin was accepted: %v", err)
	}
	m.Close()

	if _, err := host.PinPlugins(dir, []string{"kql"}); err != nil {
		t.Fatal(err)
	}
	m, err = host.New(host.Config{Dir: dir, Logger: hclog.New(&hclog.LoggerOptions{Output: io.Discard})})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	info := m.Describe(ctx, "kql")
	if info.Err != nil {
		t.Fatal(info.Err)
	}
	if info.Backend == nil || info.Backend.Version != version || info.ProtocolVersion != 1 ||
		strings.Join(info.Backend.Targets, ",") != "kql" || len(info.Kinds) != 1 {
		t.Fatalf("describe: %+v %+v", info, info.Backend)
	}
	b, err := m.BackendForTarget(ctx, "kql")
	if err != nil {
		t.Fatal(err)
	}
	rules := []*ir.Rule{
		{ID: "ok", Deployment: ir.Deployment{Extra: map[string]any{"table": "AWSCloudTrail"}}, Conditions: []ir.Node{&ir.And{Children: []ir.Node{
			&ir.Match{Field: "eventSource", Pattern: lit("lambda.amazonaws.com")},
			&ir.Match{Field: "eventName", Pattern: lit("CreateFunction").Wrap(false, true)},
		}}}},
		{ID: "bad", Path: "r.yml", Line: 3, Conditions: []ir.Node{&ir.Keyword{Pattern: lit("evil"), Pos: ir.Pos{Line: 7, Col: 5}}}},
	}
	res, err := b.Convert(ctx, "kql", "", rules)
	if err != nil {
		t.Fatal(err)
	}
	want := "AWSCloudTrail\n| where (eventSource =~ \"lambda.amazonaws.com\" and eventName startswith \"CreateFunction\")"
	if len(res[0].Queries) != 1 || res[0].Queries[0].Text != want {
		t.Errorf("rule ok: %+v, want %q", res[0], want)
	}
	if len(res[1].Queries) != 0 || len(res[1].Diagnostics) != 1 || res[1].Diagnostics[0].Code != codeUnsupportedKeyword ||
		res[1].Diagnostics[0].String() != "r.yml:7: unsupported-keyword: keyword searches are not supported by this example backend" {
		t.Errorf("rule bad: %+v", res[1])
	}
}
