package pipeline

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/translator/diag"
)

// The generic pipelines (builtin/splunk_windows.yml, splunk_cim.yml, ecs_windows.yml,
// ecs_linux.yml) must leave the rules they are not for as they are, confine the rules they are
// for to their events, and fail what they cannot carry with a named code.

func TestGenericPipelinesDeclareTargets(t *testing.T) {
	want := map[string][]string{
		"splunk_windows": {"splunk"},
		"splunk_cim":     {"splunk"},
		"ecs_windows":    {"lucene", "dsl", "eql", "esql", "elasticsearch"},
		"ecs_linux":      {"lucene", "dsl", "eql", "esql", "elasticsearch"},
	}
	for name, targets := range want {
		p := builtin(t, name)
		if !reflect.DeepEqual(p.AllowedBackends, targets) {
			t.Errorf("%s: allowed_backends %v, want %v", name, p.AllowedBackends, targets)
		}
	}
}

func TestGenericPipelinesLeaveOtherProductsAlone(t *testing.T) {
	aws := ruleWith("{product: aws, service: cloudtrail}", "sel: {eventName: StopLogging, Image: x}", "condition: sel")
	lnx := ruleWith("{product: linux, category: process_creation}", "sel: {Image|endswith: /bash}", "condition: sel")
	win := ruleWith("{product: windows, category: process_creation}", "sel: {Image|endswith: '\\cmd.exe'}", "condition: sel")
	for _, c := range []struct{ pipeline, rule string }{
		{"splunk_windows", aws}, {"splunk_windows", lnx},
		{"ecs_windows", aws}, {"ecs_windows", lnx},
		{"ecs_linux", aws}, {"ecs_linux", win},
	} {
		r := mustRule(t, c.rule)
		out := apply(t, builtin(t, c.pipeline), r)
		if conds(out) != conds(r) || len(out.Deployment.Map()) != 0 {
			t.Errorf("%s changed a rule it is not for: %s -> %s (state %v)", c.pipeline, conds(r), conds(out), out.Deployment.Map())
		}
	}
}

func TestGenericPipelinesConfineRules(t *testing.T) {
	proc := mustRule(t, ruleWith("{product: windows, category: process_creation}", "sel: {Image|endswith: '\\cmd.exe', CommandLine|contains: ' /c '}", "condition: sel"))
	sec := mustRule(t, ruleWith("{product: windows, service: security}", "sel: {EventID: 4624, LogonType: 10}", "condition: sel"))
	lnx := mustRule(t, ruleWith("{product: linux, category: process_creation}", "sel: {Image|endswith: /bash, User: root}", "condition: sel"))

	out := apply(t, builtin(t, "splunk_windows"), proc)
	wantConds(t, out, `and(num(EventCode, "1"), match(Image, "*\\\\cmd.exe"), match(CommandLine, "* /c *"))`)
	if !slices.Equal(out.Deployment.Source, []string{"XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"}) {
		t.Errorf("splunk_windows source = %v", out.Deployment.Map()["source"])
	}
	out = apply(t, builtin(t, "splunk_windows"), sec)
	wantConds(t, out, `and(num(EventCode, "4624"), num(LogonType, "10"))`)
	if !slices.Equal(out.Deployment.Source, []string{"XmlWinEventLog:Security"}) {
		t.Errorf("splunk_windows source = %v", out.Deployment.Map()["source"])
	}

	out = apply(t, builtin(t, "ecs_windows"), proc)
	wantConds(t, out, `and(match(winlog.channel, "Microsoft-Windows-Sysmon/Operational"), match(event.code, "1"), match(process.executable, "*\\\\cmd.exe"), match(process.command_line, "* /c *"))`)
	out = apply(t, builtin(t, "ecs_windows"), sec)
	wantConds(t, out, `and(match(winlog.channel, "Security"), match(event.code, "4624"), match(winlog.event_data.LogonType, "10"))`)

	net := mustRule(t, ruleWith("{product: windows, category: network_connection}", "sel: {Initiated: 'false', DestinationPort: 445}", "condition: sel"))
	out = apply(t, builtin(t, "ecs_windows"), net)
	wantConds(t, out, `and(match(winlog.channel, "Microsoft-Windows-Sysmon/Operational"), match(event.code, "3"), match(network.direction, "ingress"), num(destination.port, "445"))`)

	out = apply(t, builtin(t, "ecs_linux"), lnx)
	wantConds(t, out, `and(match(host.os.type, "linux"), match(event.category, "process"), match(event.type, "start"), match(process.executable, "*/bash"), match(user.name, "root"))`)
	if out.Deployment.EventCategory != "process" {
		t.Errorf("ecs_linux event_category = %v", out.Deployment.Map()["event_category"])
	}

	out = apply(t, builtin(t, "splunk_cim"), proc)
	wantConds(t, out, `and(match(tag, "process"), match(tag, "report"), match(process_path, "*\\\\cmd.exe"), match(process, "* /c *"))`)
}

func TestGenericPipelinesFailWhatTheyCannotCarry(t *testing.T) {
	for _, c := range []struct {
		pipeline, logsource, detection, code, text string
	}{
		{"splunk_windows", "{product: windows, category: file_access}", "sel: {FileName: x}", diag.PipelineUnsupported, "knows no event log channel"},
		{"splunk_windows", "{product: windows, service: no-such-channel}", "sel: {a: x}", diag.PipelineUnsupported, "knows no event log channel"},
		{"ecs_windows", "{product: windows, category: process_creation}", "sel: {User: 'NT AUTHORITY\\SYSTEM'}", diag.PipelineUnsupported, "user.domain and user.name"},
		{"ecs_windows", "{product: windows, category: ps_classic_start}", "sel: {Data|contains: 'HostName=ConsoleHost'}", diag.PipelineUnsupported, "param1, param2"},
		{"ecs_windows", "{product: windows, category: process_creation}", "sel: {OriginalFileName: ''}", diag.PipelineUnsupported, "empty"},
		{"ecs_windows", "{product: windows, category: network_connection}", "sel: {Initiated|contains: tru}", diag.PipelineUnsupported, "network.direction"},
		{"ecs_windows", "{product: windows, category: file_rename}", "sel: {TargetFilename: x}", diag.PipelineUnsupported, "knows no event log channel"},
		{"ecs_linux", "{product: linux, service: auditd}", "sel: {a0: chattr}", diag.PipelineUnsupported, "carries only Linux"},
		{"ecs_linux", "{product: linux, category: process_creation}", "sel: {LogonId: 0}", diag.UnsupportedFieldName, "LogonId"},
		{"splunk_cim", "{product: windows, category: process_creation}", "sel: {Description: x}", diag.UnsupportedFieldName, "Description"},
		{"splunk_cim", "{product: aws, service: cloudtrail}", "sel: {eventName: x}", diag.PipelineUnsupported, "no CIM data model dataset"},
	} {
		r := mustRule(t, ruleWith(c.logsource, c.detection, "condition: sel"))
		_, ds := builtin(t, c.pipeline).Apply(r)
		errs := ds.Errors()
		if len(errs) == 0 || !slices.Contains(codes(errs, diag.Error), c.code) || !strings.Contains(errs.Err().Error(), c.text) {
			t.Errorf("%s on %s %s: got %v, want %s mentioning %q", c.pipeline, c.logsource, c.detection, ds, c.code, c.text)
		}
	}
}
