package list

// TargetHelp describes each built-in target in one line.
var TargetHelp = map[string]string{
	"splunk": "Splunk SPL search (index and sourcetype from the profile or a pipeline)",
	"lucene": "Elasticsearch Lucene query_string query (Kibana's Lucene syntax)",
	"dsl":    "Elasticsearch native Query DSL, one JSON query document per condition",
	"esql":   "Elasticsearch ES|QL query (FROM the log source's index)",
	"eql":    "Elasticsearch EQL query (no keyword rules: EQL has no all-fields search)",
}

// PipelineHelp describes each built-in pipeline in one line; its header in
// translator/pipeline/builtin/NAME.yml says what it carries and refuses.
var PipelineHelp = map[string]string{
	"splunk_t1648":                  "the T1648 pack on Splunk: the AWS, Azure, GCP, M365 and Workspace add-ons' indexes, sourcetypes and fields",
	"splunk_t1648_azure_audit":      "overlay of splunk_t1648: Azure Activity Log in the REST shape (mscs:azure:audit of the Microsoft Cloud Services add-on)",
	"splunk_t1648_eventhub_records": "overlay of splunk_t1648: Azure diagnostic records delivered by Event Hub inputs inside a records array",
	"ecs_t1648":                     "the T1648 pack on Elastic: the Elastic integrations' data streams and ECS / integration fields",
	"splunk_windows":                "SigmaHQ Windows rules on Splunk: Windows event logs and Sysmon as the add-ons index them (XML, Sysmon names)",
	"splunk_cim":                    "SigmaHQ rules on Splunk's CIM data models: Endpoint processes, filesystem, registry, network, DNS, web",
	"ecs_windows":                   "SigmaHQ Windows rules on Elastic: Winlogbeat / Elastic Agent Windows, Sysmon and PowerShell data in ECS",
	"ecs_linux":                     "SigmaHQ Linux rules on Elastic: Elastic Defend Linux process, file and network events in ECS",
}

// InputHelp describes each input format of scan --input in one line (input/doc.go has the
// record shapes).
var InputHelp = map[string]string{
	"jsonl":           "JSON lines, arrays, concatenated documents and {\"Records\"|\"records\": [...]} batches",
	"cloudtrail":      "AWS CloudTrail log files or events, one record per event",
	"cloudwatch-logs": "CloudWatch Logs subscription payloads, plain, gzipped, or base64 in Lambda, Kinesis and Firehose records",
	"workspace":       "Google Workspace Reports API activities, one record per event",
	"eml":             "RFC 5322 mail headers (direction from the profile's accepted domains)",
	"graph-headers":   "Microsoft Graph internetMessageHeaders of messages",
	"azure-activity":  "Azure activity log records, diagnostic-export or REST API shape",
	"azure-resource":  "Azure resource logs of any category (FunctionAppLogs, WorkflowRuntime, ...)",
}
