// Package input reads raw log files (JSON lines, JSON arrays and documents, CloudTrail log
// files, CloudWatch Logs subscription payloads, Google Workspace Reports activities, RFC 5322
// messages, Microsoft Graph message exports, Azure activity and resource logs) and turns them
// into one JSON record per event in the shape the T1648 rule pack is written for. Problems
// are reported with the file and line they come from, and a bad line does not stop the rest
// of the file from being read.
//
// # Bounded, linear reading
//
// Every reader streams: time is linear in the input and memory is bounded by the largest
// single record (Options.MaxRecordBytes, 32 MiB by default; a larger record is skipped and
// named), never by the file. The JSON formats share one scanner (stream.go): wrapper arrays
// ("Records", "records", "items", "value") and top-level arrays are read one element at a
// time; JSON lines and multi-line documents are told apart by the first value, and a bad
// line is reported and skipped without holding the rest of the input. Header unfolding in
// .eml is linear, and message bodies are skipped without being held.
//
// # CloudWatch Logs records (format cloudwatch-logs, logsource aws/lambda_logs)
//
// A subscription payload of messageType DATA_MESSAGE gives one record per entry of its
// logEvents; a CONTROL_MESSAGE gives none. A record is one JSON object made of:
//
//   - every member of the payload except logEvents, as it is: messageType ("DATA_MESSAGE"),
//     owner (the account id), logGroup (for Lambda "/aws/lambda/<function>"), logStream,
//     subscriptionFilters (an array of filter names), and any other member (policyLevel);
//   - every member of the log event, as it is: id (a string), timestamp (a number, ms since
//     the epoch), message (a string, as logged, its trailing newline kept), extractedFields
//     when the filter extracts fields. Where a name is in both, the log event's wins;
//   - when message, trimmed, is a JSON object (Lambda's JSON log format: application logs
//     {"timestamp", "level", "message", "requestId"}, platform records {"time", "type",
//     "record"}): that object as parsed, and each of its members again at the top level
//     unless the name is already taken. So a platform.report gives type and record.status at
//     the top level, and an application log gives level and requestId there, its own
//     message and timestamp being parsed.message and parsed.timestamp.
//
// Record.Line is the line its log event starts on, or, for a payload carried as base64 data,
// the line of the Lambda, Kinesis or Firehose record (or base64 line) that carried it;
// Record.Index is the event's 1-based position in logEvents. The payload may come as plain JSON (one or several documents, pretty-printed or
// JSON lines), gzipped (one gzip member or several, as Firehose writes objects to S3), or
// base64-encoded (gzipped or not) in the data of: a Lambda subscription event
// {"awslogs": {"data": ...}}; a Kinesis event {"Records": [{"kinesis": {"data": ...}}]}; the
// GetRecords output {"Records": [{"Data": ...}]}; a Firehose transformation event
// {"records": [{"recordId": ..., "data": ...}]}; or a file of such data, one per line.
// Firehose's own decompression with message extraction writes bare messages: read those
// with jsonl (their envelope is gone). The output of aws logs filter-log-events and
// get-log-events is named and not read: it lacks the log group.
//
// # Azure resource logs (format azure-resource, logsource azure/functionapplogs and others)
//
// Records of any category pass through unchanged, in the diagnostic-settings shape: time,
// resourceId, category (FunctionAppLogs, ...), operationName, level, location, and
// properties.* (for FunctionAppLogs: appName, functionName, functionInvocationId, eventName,
// eventId, level, levelId, message, exceptionType, exceptionMessage, hostInstanceId,
// hostVersion, roleInstance, processId, category). Accepted: {"records": [...]} or
// {"Records": [...]} batches (Event Hubs, older storage exports), JSON lines (storage
// exports' PT1H.json), arrays and bare records. azure-activity is the activity log's own
// format, which also normalises the REST API shape; the default jsonl unwraps "records" and
// "Records" too.
package input
