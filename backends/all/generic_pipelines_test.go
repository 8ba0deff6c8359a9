package all_test

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator/ir"
	"github.com/sigmabridge/sigmabridge/translator/pipeline"
)

// genericPipeline is a built-in pipeline for a common log source, with the targets it is for
// and the reference converter's pipeline it is compared with.
type genericPipeline struct {
	name      string
	targets   []string
	reference string // the reference's pipeline counted in reference-pipelines.tsv
	note      string
	// why says where the counts differ from the reference's, and why.
	why string
	// fieldOK reports whether a field of a rule the pipeline carried is one the target's data
	// has: the pipeline must not pass a raw Sigma field through for the rules it is for.
	forRule func(ir.Logsource) bool
	fieldOK func(string) bool
}

var esTargets = []string{"dsl", "eql", "esql", "lucene"}

// cimFields are the CIM fields splunk_cim writes (its tables and its dataset constraints).
var cimFields = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`process process_path parent_process_path parent_process original_file_name
		process_id parent_process_id process_guid parent_process_guid process_current_directory
		process_integrity_level dest file_path registry_path registry_value_data dest_ip dest_port
		src_ip src_port transport query url uri_query uri_path http_user_agent http_method
		http_referrer status url_domain tag action`) {
		cimFields[f] = true
	}
}

var genericPipelines = []genericPipeline{
	{
		name: "splunk_windows", targets: []string{"splunk"}, reference: "splunk_windows",
		why:     "The reference leaves every category rule unconfined (no source, no event ID) and passes Windows log sources it has no channel for; splunk_windows confines each rule to its channel and Sysmon or PowerShell event IDs, and fails file_access, file_rename and log sources with no known channel (pipeline-unsupported).",
		forRule: func(ls ir.Logsource) bool { return ls.Product == "windows" },
		// Sysmon and Windows names are kept; only EventID is renamed.
		fieldOK: func(f string) bool { return f != "EventID" },
	},
	{
		name: "splunk_cim", targets: []string{"splunk"}, reference: "splunk_cim",
		why:     "The reference maps process_creation, registry, file_event, proxy and DNS (from ECS-style names such as dns.question.name) and fails the rest; splunk_cim also carries file_delete and network_connection, and fails a field with no CIM form (unsupported-field-name) and a log source with no dataset (pipeline-unsupported).",
		forRule: func(ir.Logsource) bool { return true },
		fieldOK: func(f string) bool { return cimFields[f] },
	},
	{
		name: "ecs_windows", targets: esTargets, reference: "ecs_windows",
		why:     "The reference converts every rule it can render, whatever the log source; ecs_windows fails what the Windows integration does not keep as the rule compares it (Sysmon User, Hashes and the other fields its ingest pipeline removes; empty, \"-\" and null-GUID values, which it drops; classic PowerShell Data), file_access, file_rename and Windows log sources with no known channel (pipeline-unsupported).",
		forRule: func(ls ir.Logsource) bool { return ls.Product == "windows" },
		fieldOK: func(f string) bool { return strings.Contains(f, ".") },
	},
	{
		name: "ecs_linux", targets: esTargets, reference: "ecs_windows",
		why:     "ecs_linux carries Linux process_creation, file_event and network_connection rules and fails every other Linux log source (auditd, sshd, syslog...: pipeline-unsupported) and fields with no ECS form in those events (unsupported-field-name).",
		note:    "The reference has no pipeline named ecs_linux; its closest is ecs_windows (pySigma-backend-elasticsearch also has ecs_windows_old, ecs_zeek_beats, ecs_zeek_corelight, ecs_kubernetes, ecs_macos_esf, none for Linux hosts), which leaves Linux rules as they are.",
		forRule: func(ls ir.Logsource) bool { return ls.Product == "linux" },
		fieldOK: func(f string) bool { return strings.Contains(f, ".") },
	},
}

// referenceTarget is the reference run a target is compared with: dsl is the reference's
// lucene backend with a different output format, so it converts the same rules.
func referenceTarget(target string) string {
	if target == "dsl" {
		return "lucene"
	}
	return target
}

// genericPipelineReport converts the corpus under every generic pipeline for each of its
// targets and renders the report's section; it fails the test when a rule a pipeline carried
// still reads a field the pipeline's data does not have.
func genericPipelineReport(t *testing.T, root string, rules []*ir.Rule) string {
	ref := readReferenceCounts(t)
	var b strings.Builder
	b.WriteString("\n## Generic pipelines\n\n")
	b.WriteString("Each built-in generic pipeline (`-p NAME`) over the same corpus, for each target it is for, next to\n")
	b.WriteString("the reference converter's pipeline of the same name (sigma-cli `-p NAME -s`, counts in\n")
	b.WriteString("`testdata/corpus/reference-pipelines.tsv`, regenerated by `bash bench/reference-pipelines.sh`).\n")
	b.WriteString("A rule fails under a pipeline when the pipeline refuses it (its log source or a field has no form in\n")
	b.WriteString("that data; see each pipeline's header in `translator/pipeline/builtin/`) or the target does.\n")
	b.WriteString("The reference's dsl count is its lucene count (one backend, two output formats); its eql count\n")
	b.WriteString("includes the keyword queries Elasticsearch's EQL verifier rejects (above).\n\n")
	b.WriteString("| pipeline | target | converted | failed | reference pipeline | reference converted | reference failed |\n|---|---|---|---|---|---|---|\n")
	var notes []string
	var details strings.Builder
	for _, gp := range genericPipelines {
		p, err := pipeline.Builtin(gp.name)
		if err != nil {
			t.Fatal(err)
		}
		if gp.note != "" {
			notes = append(notes, fmt.Sprintf("- `%s`: %s", gp.name, gp.note))
		}
		fmt.Fprintf(&details, "### %s\n\n%s\n\n", gp.name, gp.why)
		for _, target := range gp.targets {
			b2, err := backends.Get(target)
			if err != nil {
				t.Fatal(err)
			}
			ok, failed := 0, 0
			byCode := map[string]map[string]int{}
			for _, r := range rules {
				code, src := convertUnder(t, p, b2, gp, root, r)
				if code == "" {
					ok++
					continue
				}
				failed++
				if byCode[code] == nil {
					byCode[code] = map[string]int{}
				}
				byCode[code][src]++
			}
			rc, have := ref[gp.reference+" "+referenceTarget(target)]
			refOK, refFailed := "n/a", "n/a"
			if have {
				if rc.converted >= 0 {
					refOK, refFailed = fmt.Sprint(rc.converted), fmt.Sprint(rc.failed)
				}
				if rc.note != "" {
					notes = append(notes, fmt.Sprintf("- reference `%s` for %s: %s", gp.reference, referenceTarget(target), rc.note))
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %s | %s |\n", gp.name, target, ok, failed, gp.reference, refOK, refFailed)
			t.Logf("%s/%s: %d converted, %d failed", gp.name, target, ok, failed)
			fmt.Fprintf(&details, "%s: %d failed.\n\n", target, failed)
			for _, code := range sortedKeys(byCode) {
				srcs := byCode[code]
				n := 0
				var parts []string
				for _, s := range sortedKeys(srcs) {
					n += srcs[s]
					parts = append(parts, fmt.Sprintf("%s %d", s, srcs[s]))
				}
				fmt.Fprintf(&details, "- `%s` (%d): %s\n", code, n, strings.Join(parts, ", "))
			}
			details.WriteString("\n")
		}
	}
	if len(notes) > 0 {
		sort.Strings(notes)
		b.WriteString("\n" + strings.Join(dedupe(notes), "\n") + "\n")
	}
	b.WriteString("\nFailures by diagnostic code and log source (product/category/service):\n\n")
	b.WriteString(details.String())
	return b.String()
}

// convertUnder applies the pipeline and converts; it returns "" when the rule converted, or
// the code of the first error and the rule's log source.
func convertUnder(t *testing.T, p *pipeline.Pipeline, b backends.Backend, gp genericPipeline, root string, r *ir.Rule) (string, string) {
	src := logsourceKey(r.Logsource)
	out, ds := p.Apply(r)
	if ds.HasErrors() {
		return string(ds.Errors()[0].Code), src
	}
	if gp.forRule(r.Logsource) {
		for _, c := range out.Conditions {
			if c == nil {
				continue
			}
			ir.Inspect(c, func(n ir.Node) bool {
				if f := ir.Field(n); f != "" && !gp.fieldOK(f) {
					rel, _ := filepath.Rel(root, r.Path)
					t.Errorf("%s carried %s with field %q, which its data does not have", gp.name, rel, f)
				}
				return true
			})
		}
	}
	qs, ds2 := b.Convert(out)
	if ds2.HasErrors() {
		return string(ds2.Errors()[0].Code), src
	}
	if len(qs) != len(out.Conditions) {
		return "no-query", src
	}
	return "", src
}

func logsourceKey(ls ir.Logsource) string {
	parts := []string{ls.Product, ls.Category, ls.Service}
	for i, p := range parts {
		if p == "" {
			parts[i] = "-"
		}
	}
	return strings.Join(parts, "/")
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
