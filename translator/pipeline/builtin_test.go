package pipeline

import (
	"io/fs"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/sigmabridge/sigmabridge/rules"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/diag"
	"github.com/sigmabridge/sigmabridge/translator/ir"
)

// t1648Logsources is the logsource registry of T1648.md §3.1 with the base searches of §4:
// the Splunk sourcetype (and extra base-search terms) and the Elastic index pattern.
var t1648Logsources = []struct {
	code, product, service  string
	sourcetype, splunkExtra string
	index                   string
}{
	{"ct", "aws", "cloudtrail", "aws:cloudtrail", "", "logs-aws.cloudtrail-*"},
	{"ll", "aws", "lambda_logs", "aws:cloudwatchlogs", "", "logs-aws.cloudwatch_logs-*"},
	{"gd", "aws", "guardduty", "aws:cloudwatch:guardduty", "", "logs-aws.guardduty-*"},
	{"al", "azure", "activitylogs", "mscs:azure:eventhub", "", "logs-azure.activitylogs-*"},
	{"fa", "azure", "functionapplogs", "mscs:azure:eventhub", `match(category, "FunctionAppLogs")`, "logs-azure_functions.functionapplogs-*"},
	{"ga", "gcp", "gcp.audit", "google:gcp:pubsub:message", "", "logs-gcp.audit-*"},
	{"gf", "gcp", "cloud_functions_logs", "google:gcp:pubsub:message", `or(match(data.resource.type, "cloud_function"), match(data.resource.type, "cloud_run_revision"))`, "logs-sigmabridge.cloud_functions_logs-*"},
	{"ua", "m365", "audit", "o365:management:activity", "", "logs-o365.audit-*"},
	{"mh", "m365", "message_headers", "sigmabridge:mail_headers", "", "logs-sigmabridge.mail_headers-*"},
	{"wt", "gcp", "google_workspace.token", "gws:reports:token", "", "logs-google_workspace.token-*"},
	{"wd", "gcp", "google_workspace.drive", "gws:reports:drive", "", "logs-google_workspace.drive-*"},
}

func builtin(t *testing.T, names ...string) *Pipeline {
	t.Helper()
	p, err := LoadChain(names...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuiltinsLoad(t *testing.T) {
	want := []string{"ecs_linux", "ecs_t1648", "ecs_windows", "splunk_cim", "splunk_t1648", "splunk_t1648_azure_audit", "splunk_t1648_eventhub_records", "splunk_windows"}
	if got := BuiltinNames(); !reflect.DeepEqual(got, want) {
		t.Fatalf("BuiltinNames() = %v, want %v", got, want)
	}
	for _, n := range want {
		p, err := Builtin(n)
		if err != nil || p.Name != n || len(p.Items) == 0 || len(p.Notes) != 0 {
			t.Errorf("%s: %v (name %q, %d items, notes %v)", n, err, p.Name, len(p.Items), p.Notes)
		}
	}
}

func TestBuiltinsMapEveryT1648Logsource(t *testing.T) {
	splunk, ecs := builtin(t, "splunk_t1648"), builtin(t, "ecs_t1648")
	for _, ls := range t1648Logsources {
		t.Run(ls.code, func(t *testing.T) {
			// A field no table renames keeps the test about the base search only.
			r := mustRule(t, ruleWith("{product: "+ls.product+", service: "+ls.service+"}", "sel: {id: x}", "condition: sel"))
			s, _ := splunk.Apply(r)
			if s.Deployment.Map()["sourcetype"] != ls.sourcetype {
				t.Errorf("splunk sourcetype = %v, want %s", s.Deployment.Map()["sourcetype"], ls.sourcetype)
			}
			if ls.splunkExtra != "" && !strings.HasPrefix(conds(s), "and("+ls.splunkExtra+", ") {
				t.Errorf("splunk base search: %s, want %s first", conds(s), ls.splunkExtra)
			}
			if ls.splunkExtra == "" && strings.Contains(conds(s), "and(") {
				t.Errorf("splunk added a condition: %s", conds(s))
			}
			e, _ := ecs.Apply(r)
			if e.Deployment.Map()["index"] != ls.index {
				t.Errorf("elastic index = %v, want %s", e.Deployment.Map()["index"], ls.index)
			}
		})
	}
	// A rule on another log source is left alone.
	win := mustRule(t, ruleWith(winLogsource, "sel: {Image: x}", "condition: sel"))
	for _, p := range []*Pipeline{splunk, ecs} {
		out, ds := p.Apply(win)
		if len(out.Deployment.Map()) != 0 || len(ds) != 0 || conds(out) != conds(win) {
			t.Errorf("%s touched a Windows rule: %v %v %s", p.Name, out.Deployment.Map(), ds, conds(out))
		}
	}
}

// TestECSFieldTables checks every row of the Elastic columns of T1648.md §4.1-4.7.
func TestECSFieldTables(t *testing.T) {
	ecs := builtin(t, "ecs_t1648")
	rows := []struct{ ls, raw, elastic string }{
		{"aws/cloudtrail", "eventSource", "event.provider"},
		{"aws/cloudtrail", "eventName", "event.action"},
		{"aws/cloudtrail", "errorCode", "aws.cloudtrail.error_code"},
		{"aws/cloudtrail", "errorMessage", "aws.cloudtrail.error_message"},
		{"aws/cloudtrail", "userIdentity.type", "aws.cloudtrail.user_identity.type"},
		{"aws/cloudtrail", "userIdentity.arn", "aws.cloudtrail.user_identity.arn"},
		{"aws/cloudtrail", "userIdentity.invokedBy", "aws.cloudtrail.user_identity.invoked_by"},
		{"aws/cloudtrail", "userIdentity.accessKeyId", "aws.cloudtrail.user_identity.access_key_id"},
		{"aws/cloudtrail", "userIdentity.sessionContext.sessionIssuer.arn", "aws.cloudtrail.user_identity.session_context.session_issuer.arn"},
		{"aws/cloudtrail", "userAgent", "user_agent.original"},
		{"aws/cloudtrail", "sourceIPAddress", "source.address"},
		{"aws/cloudtrail", "awsRegion", "cloud.region"},
		{"aws/cloudtrail", "recipientAccountId", "aws.cloudtrail.recipient_account_id"},
		{"aws/cloudtrail", "eventCategory", "aws.cloudtrail.event_category"},
		{"aws/cloudtrail", "managementEvent", "aws.cloudtrail.management_event"},
		{"aws/cloudtrail", "requestParameters.functionName", "aws.cloudtrail.flattened.request_parameters.functionName"},
		{"aws/cloudtrail", "responseElements.functionName", "aws.cloudtrail.flattened.response_elements.functionName"},
		{"aws/cloudtrail", "additionalEventData.functionVersion", "aws.cloudtrail.flattened.additional_eventdata.functionVersion"},
		{"aws/cloudtrail", "resources.ARN", "aws.cloudtrail.resources.arn"},
		{"azure/activitylogs", "operationName", "azure.activitylogs.operation_name"},
		{"azure/activitylogs", "resultType", "azure.activitylogs.result_type"},
		{"azure/activitylogs", "resultSignature", "azure.activitylogs.result_signature"},
		{"azure/activitylogs", "category", "azure.activitylogs.category"},
		{"azure/activitylogs", "callerIpAddress", "source.ip"},
		{"azure/activitylogs", "resourceId", "azure.resource.id"},
		{"azure/activitylogs", "correlationId", "azure.correlation_id"},
		{"azure/activitylogs", "identity.authorization.evidence.principalId", "azure.activitylogs.identity.authorization.evidence.principal_id"},
		{"azure/activitylogs", "identity.claims.appid", "azure.activitylogs.identity.claims.appid"},
		{"azure/activitylogs", "properties.statusCode", "azure.activitylogs.properties.status_code"},
		{"azure/activitylogs", "level", "log.level"},
		{"azure/functionapplogs", "category", "azure.category"},
		{"azure/functionapplogs", "operationName", "azure.operation_name"},
		{"azure/functionapplogs", "resourceId", "azure.resource.id"},
		{"azure/functionapplogs", "properties.appName", "azure.function.app_name"},
		{"azure/functionapplogs", "properties.functionName", "azure.function.name"},
		{"azure/functionapplogs", "properties.eventName", "azure.function.event_name"},
		{"azure/functionapplogs", "properties.level", "azure.function.level"},
		{"azure/functionapplogs", "properties.message", "azure.function.message"},
		{"azure/functionapplogs", "properties.exceptionType", "azure.function.exception_type"},
		{"azure/functionapplogs", "properties.functionInvocationId", "azure.function.invocation_id"},
		{"gcp/gcp.audit", "protoPayload.methodName", "event.action"},
		{"gcp/gcp.audit", "protoPayload.serviceName", "gcp.audit.service_name"},
		{"gcp/gcp.audit", "protoPayload.resourceName", "gcp.audit.resource_name"},
		{"gcp/gcp.audit", "protoPayload.authenticationInfo.principalEmail", "client.user.email"},
		{"gcp/gcp.audit", "protoPayload.requestMetadata.callerIp", "source.ip"},
		{"gcp/gcp.audit", "protoPayload.requestMetadata.callerSuppliedUserAgent", "user_agent.original"},
		{"gcp/gcp.audit", "protoPayload.request.function.timeout", "sigmabridge.gcp.audit.request.function.timeout"},
		{"gcp/gcp.audit", "protoPayload.response.name", "gcp.audit.response.name"},
		{"gcp/gcp.audit", "protoPayload.authorizationInfo.permission", "gcp.audit.authorization_info.permission"},
		{"gcp/gcp.audit", "protoPayload.authorizationInfo.granted", "gcp.audit.authorization_info.granted"},
		{"gcp/gcp.audit", "protoPayload.status.code", "gcp.audit.status.code"},
		{"gcp/gcp.audit", "resource.labels.project_id", "cloud.project.id"},
		{"gcp/gcp.audit", "resource.type", "gcp.audit.flattened.resource.type"},
		{"gcp/gcp.audit", "logName", "log.logger"},
		{"gcp/gcp.audit", "severity", "log.level"},
		{"gcp/gcp.audit", "operation.first", "gcp.audit.logentry_operation.first"},
		{"gcp/cloud_functions_logs", "textPayload", "textPayload"},
		{"m365/audit", "Workload", "event.provider"},
		{"m365/audit", "Operation", "event.action"},
		{"m365/audit", "UserId", "user.id"},
		{"m365/audit", "ClientIP", "client.ip"},
		{"m365/audit", "OrganizationId", "organization.id"},
		{"m365/audit", "ObjectId", "o365.audit.ObjectId"},
		{"m365/audit", "FlowDetailsUrl", "o365.audit.FlowDetailsUrl"},
		{"m365/audit", "FlowConnectorNames", "o365.audit.FlowConnectorNames"},
		{"m365/audit", "SharingPermission", "o365.audit.SharingPermission"},
		{"m365/audit", "RecipientUPN", "o365.audit.RecipientUPN"},
		{"m365/message_headers", "headers.x-ms-mail-application", "email.headers.x-ms-mail-application"},
		{"m365/message_headers", "ms_mail_workflow_id", "sigmabridge.mail.workflow_id"},
		{"m365/message_headers", "has_external_recipient", "sigmabridge.mail.has_external_recipient"},
		{"m365/message_headers", "sender", "email.from.address"},
		{"m365/message_headers", "recipients", "email.to.address"},
		{"m365/message_headers", "direction", "email.direction"},
		{"m365/message_headers", "subject", "email.subject"},
		{"m365/message_headers", "message_id", "email.message_id"},
		{"gcp/google_workspace.token", "events.name", "event.action"},
		{"gcp/google_workspace.token", "id.applicationName", "event.provider"},
		{"gcp/google_workspace.token", "actor.email", "source.user.email"},
		{"gcp/google_workspace.token", "ipAddress", "source.ip"},
		{"gcp/google_workspace.token", "events.parameters.client_id", "google_workspace.token.client.id"},
		{"gcp/google_workspace.token", "events.parameters.app_name", "google_workspace.token.app_name"},
		{"gcp/google_workspace.token", "events.parameters.client_type", "google_workspace.token.client.type"},
		{"gcp/google_workspace.token", "events.parameters.scope", "google_workspace.token.scope.value"},
		{"gcp/google_workspace.token", "events.parameters.scope_data.product_bucket", "sigmabridge.google_workspace.token.scope.data.product_bucket"},
		{"gcp/google_workspace.drive", "events.name", "event.action"},
		{"gcp/google_workspace.drive", "events.parameters.copy_type", "google_workspace.drive.copy_type"},
		{"gcp/google_workspace.drive", "events.parameters.doc_type", "google_workspace.drive.file.type"},
	}
	for _, row := range rows {
		product, service, _ := strings.Cut(row.ls, "/")
		r := mustRule(t, ruleWith("{product: "+product+", service: "+service+"}", "sel: {"+row.raw+"|exists: true}", "condition: sel"))
		out, ds := ecs.Apply(r)
		if got := conds(out); got != "exists("+row.elastic+")" || ds.HasErrors() {
			t.Errorf("%s %s: got %s %v, want exists(%s)", row.ls, row.raw, got, ds, row.elastic)
		}
	}
}

func TestECSValueMappingsAndFailures(t *testing.T) {
	ecs := builtin(t, "ecs_t1648")
	ua := "{product: m365, service: audit}"
	out := apply(t, ecs, mustRule(t, ruleWith(ua, "sel: {RecordType: [30, '45'], ResultStatus: Succeeded}", "condition: sel")))
	wantConds(t, out, `and(or(match(event.code, "MicrosoftFlow"), match(event.code, "PowerAppsApp")), match(event.outcome, "success"))`)
	for _, sel := range []string{"{RecordType: 15}", "{ResultStatus: PartiallySucceeded}"} {
		_, ds := ecs.Apply(mustRule(t, ruleWith(ua, "sel: "+sel, "condition: sel")))
		if got := codes(ds, diag.Error); !reflect.DeepEqual(got, []string{diag.PipelineUnsupported}) {
			t.Errorf("unmapped value %s: %v", sel, ds)
		}
	}
	ct := "{product: aws, service: cloudtrail}"
	out = apply(t, ecs, mustRule(t, ruleWith(ct, "sel: {managementEvent: true}", "condition: sel")))
	wantConds(t, out, `match(aws.cloudtrail.management_event, "true")`)
	_, ds := ecs.Apply(mustRule(t, ruleWith(ct, "sel: {userIdentity.sessionContext.sessionIssuer.userName: Admin}", "condition: sel")))
	if len(ds) != 1 || ds[0].Code != diag.PipelineUnsupported || !strings.Contains(ds[0].Message, "sessionIssuer.arn instead") {
		t.Errorf("issuer user name: %v", ds)
	}
	_, ds = ecs.Apply(mustRule(t, ruleWith(ct, "sel: {eventTime: x}", "condition: sel")))
	if len(ds) != 1 || ds[0].Code != diag.UnsupportedFieldName || !strings.Contains(ds[0].Message, "eventTime") {
		t.Errorf("a field §4.1 does not name: %v", ds)
	}
	ga := apply(t, ecs, mustRule(t, ruleWith("{product: gcp, service: gcp.audit}", "sel: {protoPayload.methodName: x}", "condition: sel")))
	if !reflect.DeepEqual(ga.Deployment.Map()["nested_fields"], []any{"gcp.audit.authorization_info"}) {
		t.Errorf("nested fields state = %v", ga.Deployment.Map())
	}
}

func TestSplunkFieldNames(t *testing.T) {
	splunk := builtin(t, "splunk_t1648")
	rows := []struct{ ls, raw, splunk string }{
		{"aws/cloudtrail", "eventName", "eventName"},
		{"aws/cloudtrail", "requestParameters.layers", "requestParameters.layers{}"},
		{"aws/cloudtrail", "requestParameters.targets.arn", "requestParameters.targets{}.arn"},
		{"aws/cloudtrail", "responseElements.layers.arn", "responseElements.layers{}.arn"},
		{"aws/cloudtrail", "resources.ARN", "resources{}.ARN"},
		{"aws/cloudtrail", "userIdentity.sessionContext.sessionIssuer.userName", "userIdentity.sessionContext.sessionIssuer.userName"},
		{"azure/activitylogs", "operationName", "operationName"},
		{"azure/functionapplogs", "properties.eventName", "properties.eventName"},
		{"gcp/gcp.audit", "protoPayload.methodName", "data.protoPayload.methodName"},
		{"gcp/gcp.audit", "protoPayload.authorizationInfo.permission", "data.protoPayload.authorizationInfo{}.permission"},
		{"gcp/gcp.audit", "protoPayload.request.policy.bindings.members", "data.protoPayload.request.policy.bindings{}.members{}"},
		{"gcp/gcp.audit", "protoPayload.request.policy.bindings.role", "data.protoPayload.request.policy.bindings{}.role"},
		{"gcp/gcp.audit", "resource.labels.project_id", "data.resource.labels.project_id"},
		{"gcp/gcp.audit", "operation.first", "data.operation.first"},
		{"gcp/cloud_functions_logs", "textPayload", "data.textPayload"},
		{"m365/audit", "Operation", "Operation"},
		{"m365/message_headers", "headers.x-ms-mail-application", "headers.x-ms-mail-application"},
		{"m365/message_headers", "recipients", "recipients{}"},
		{"gcp/google_workspace.token", "events.name", "name"},
		{"gcp/google_workspace.token", "actor.email", "email"},
		{"gcp/google_workspace.token", "ipAddress", "ip_address"},
		{"gcp/google_workspace.token", "events.parameters.scope", "parameters.scope{}"},
		{"gcp/google_workspace.token", "events.parameters.scope_data.product_bucket", "parameters.scope_data{}.product_bucket{}"},
		{"gcp/google_workspace.token", "events.parameters.client_id", "parameters.client_id"},
		{"gcp/google_workspace.drive", "events.parameters.doc_type", "parameters.doc_type"},
	}
	for _, row := range rows {
		product, service, _ := strings.Cut(row.ls, "/")
		r := mustRule(t, ruleWith("{product: "+product+", service: "+service+"}", "sel: {"+row.raw+": v}", "condition: sel"))
		out := apply(t, splunk, r)
		if got := conds(out); !strings.Contains(got, `match(`+row.splunk+`, "v")`) {
			t.Errorf("%s %s: got %s, want field %s", row.ls, row.raw, got, row.splunk)
		}
	}
	// Workspace parameters are flattened by name in the add-on's events: the pack's rules
	// convert without a diagnostic.
	_, ds := splunk.Apply(mustRule(t, ruleWith("{product: gcp, service: google_workspace.token}", "sel: {events.parameters.scope|endswith: /auth/drive}", "condition: sel")))
	if len(ds) != 0 {
		t.Errorf("workspace parameters: %v", ds)
	}
}

func TestSplunkOverlays(t *testing.T) {
	al := mustRule(t, ruleWith("{product: azure, service: activitylogs}",
		"sel: {operationName: MICROSOFT.WEB/SITES/FUNCTIONS/WRITE, resultType: [Success, Start], callerIpAddress: 1.2.3.4, identity.claims.appid: x}",
		"condition: sel"))
	out := apply(t, builtin(t, "splunk_t1648_azure_audit", "splunk_t1648"), al)
	wantConds(t, out, `and(match(operationName.value, "MICROSOFT.WEB/SITES/FUNCTIONS/WRITE"), or(match(status.value, "Succeeded"), match(status.value, "Started")), match(claims.ipaddr, "1.2.3.4"), match(claims.appid, "x"))`)
	if out.Deployment.Map()["sourcetype"] != "mscs:azure:audit" {
		t.Errorf("sourcetype = %v", out.Deployment.Map()["sourcetype"])
	}
	fa := mustRule(t, ruleWith("{product: azure, service: functionapplogs}", "sel: {properties.level: Error}", "condition: sel"))
	out = apply(t, builtin(t, "splunk_t1648", "splunk_t1648_eventhub_records"), fa)
	wantConds(t, out, `and(match(records{}.category, "FunctionAppLogs"), match(records{}.properties.level, "Error"))`)
	if out.Deployment.Map()["sourcetype"] != "mscs:azure:eventhub" {
		t.Errorf("sourcetype = %v", out.Deployment.Map()["sourcetype"])
	}
}

func TestProjectLocalDefaultsAreConfigurable(t *testing.T) {
	site := mustParse(t, `
name: site
priority: 30
transformations:
  - type: set_state
    key: sourcetype
    val: 'acme:mail'
    rule_conditions: [{type: logsource, product: m365, service: message_headers}]
  - type: set_state
    key: index
    val: 'mail-*'
    rule_conditions: [{type: logsource, product: m365, service: message_headers}]
`)
	r := mustRule(t, ruleWith("{product: m365, service: message_headers}", "sel: {direction: outbound}", "condition: sel"))
	if got := apply(t, Chain(site, builtin(t, "splunk_t1648")), r).Deployment.Map()["sourcetype"]; got != "acme:mail" {
		t.Errorf("splunk sourcetype = %v", got)
	}
	if got := apply(t, Chain(builtin(t, "ecs_t1648"), site), r).Deployment.Map()["index"]; got != "mail-*" {
		t.Errorf("elastic index = %v", got)
	}
}

// sentinelShapes are the two forms the errorCode rewrite produces.
var sentinelShapes = regexp.MustCompile(`or\(match\(errorCode, "success"\), (not\(exists\(errorCode\)\)|null\(errorCode\))\)|and\((exists\(errorCode\)|not\(null\(errorCode\)\)), not\(match\(errorCode, "success"\)\)\)`)

// TestBuiltinsOnRulePack runs both pipelines over every rule of the T1648 pack.
func TestBuiltinsOnRulePack(t *testing.T) {
	var pack []*ir.Rule
	err := fs.WalkDir(rules.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yml") {
			return err
		}
		data, err := fs.ReadFile(rules.FS, path)
		if err != nil {
			return err
		}
		rs, ds := translator.LoadBytes(path, data)
		if ds.HasErrors() {
			t.Errorf("%s does not load: %v", path, ds)
		}
		pack = append(pack, rs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pack) == 0 {
		t.Skip("the rule pack is empty")
	}
	splunk, ecs := builtin(t, "splunk_t1648"), builtin(t, "ecs_t1648")
	for _, r := range pack {
		s, sds := splunk.Apply(r)
		if s.Deployment.Map()["sourcetype"] == nil {
			t.Errorf("%s (%s): splunk sets no sourcetype", r.Path, r.Logsource)
		}
		for _, d := range sds.Errors() {
			if d.Code != diag.PipelineUnsupported {
				t.Errorf("%s: splunk: %v", r.Path, d)
			}
		}
		if r.Logsource.Service == "cloudtrail" {
			rest := sentinelShapes.ReplaceAllString(conds(s), "")
			if strings.Contains(rest, "exists(errorCode)") || strings.Contains(rest, "null(errorCode)") {
				t.Errorf("%s: an errorCode presence test escaped the add-on rewrite: %s", r.Path, conds(s))
			}
		}
		e, eds := ecs.Apply(r)
		if e.Deployment.Map()["index"] == nil {
			t.Errorf("%s (%s): elastic sets no index", r.Path, r.Logsource)
		}
		for _, d := range eds.Errors() {
			if d.Code != diag.PipelineUnsupported {
				t.Errorf("%s: elastic: %v (every field of the pack must be in the §4 tables)", r.Path, d)
			}
		}
	}
}

// TestECSFlattenedAndMultiValuedFields applies ecs_t1648 to a rule reading one field under each
// object the Elastic integrations keep flattened (or one that holds an array), and checks that
// the field the rule ends up with lies inside an object the pipeline declares in
// flattened_fields (multivalued_fields), so the declaration and the field mapping agree.
func TestECSFlattenedAndMultiValuedFields(t *testing.T) {
	ecs := builtin(t, "ecs_t1648")
	under := func(state any, field string) bool {
		list, _ := state.([]any)
		if s, ok := state.(string); ok {
			list = []any{s}
		}
		for _, v := range list {
			if s, _ := v.(string); field == s || strings.HasPrefix(field, s+".") {
				return true
			}
		}
		return false
	}
	for _, tt := range []struct {
		logsource, field string
		key              string
	}{
		{"{product: aws, service: cloudtrail}", "requestParameters.functionName", ir.StateFlattened},
		{"{product: aws, service: cloudtrail}", "responseElements.functionArn", ir.StateFlattened},
		{"{product: aws, service: cloudtrail}", "additionalEventData.functionVersion", ir.StateFlattened},
		{"{product: aws, service: cloudtrail}", "resources.ARN", "multivalued_fields"},
		{"{product: azure, service: activitylogs}", "properties.statusCode", ir.StateFlattened},
		{"{product: gcp, service: gcp.audit}", "protoPayload.request.function.name", ir.StateFlattened},
		{"{product: gcp, service: gcp.audit}", "protoPayload.response.name", ir.StateFlattened},
		{"{product: gcp, service: gcp.audit}", "resource.type", ir.StateFlattened},
		{"{product: gcp, service: gcp.audit}", "protoPayload.authorizationInfo.permission", "multivalued_fields"},
		{"{product: gcp, service: google_workspace.token}", "events.parameters.scope_data.product_bucket", "multivalued_fields"},
		{"{product: aws, service: cloudtrail}", "requestParameters.layers", "multivalued_fields"},
		{"{product: gcp, service: gcp.audit}", "protoPayload.request.policy.bindings.members", "multivalued_fields"},
		{"{product: gcp, service: google_workspace.token}", "events.parameters.scope", "multivalued_fields"},
		{"{product: m365, service: message_headers}", "recipients", "multivalued_fields"},
	} {
		r := mustRule(t, ruleWith(tt.logsource, "sel: {"+tt.field+": x}", "condition: sel"))
		out, ds := ecs.Apply(r)
		if ds.HasErrors() {
			t.Errorf("%s %s: %v", tt.logsource, tt.field, ds)
			continue
		}
		mapped := ir.Field(out.Conditions[0])
		if !under(out.Deployment.Map()[tt.key], mapped) {
			t.Errorf("%s %s maps to %s, which no object of %s (%v) holds", tt.logsource, tt.field, mapped, tt.key, out.Deployment.Map()[tt.key])
		}
	}
	// A field outside every flattened object is not declared.
	r := mustRule(t, ruleWith("{product: aws, service: cloudtrail}", "sel: {eventName: x}", "condition: sel"))
	if out, _ := ecs.Apply(r); under(out.Deployment.Map()[ir.StateFlattened], ir.Field(out.Conditions[0])) {
		t.Errorf("event.action is declared flattened: %v", out.Deployment.Map()[ir.StateFlattened])
	}
}
