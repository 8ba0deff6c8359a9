#!/usr/bin/env bash
# Checks, against a live node, the Elasticsearch behaviour that sigmabridge's Elasticsearch
# backends rely on: the product header, query forms on keyword, flattened, nested and ip fields
# mapped by testdata/elasticsearch/templates, and which endpoints this node lacks. Every check
# states the hit count (or HTTP status) the node must give; the README beside the templates
# quotes these results. Some checks pin WRONG answers on purpose (marked "trap"): they document
# where a query form silently widens or narrows, so a backend must not emit it.
#
# Usage: verify.sh [URL]   (default: the URL of the node started by start.sh)
# Creates indices named sigmabridge-*-verify and deletes them at the end.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
url="${1:-$(cat "$here/run/url" 2>/dev/null || true)}"
[[ -n "$url" ]] || { echo "verify: no URL given and no node started by start.sh" >&2; exit 2; }
samples="$here/../../testdata/elasticsearch/samples"
json='Content-Type: application/json'

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }

# hits INDEX BODY -> prints the hit count, or "status=NNN" when the request failed.
hits() {
  local out status
  out=$(curl -s -w '\n%{http_code}' "$url/$1/_search?filter_path=hits.total.value&track_total_hits=true" -H "$json" -d "$2")
  status=${out##*$'\n'}
  if [[ $status != 200 ]]; then echo "status=$status"; return; fi
  out=${out%$'\n'*}
  out=${out##*\"value\":}
  echo "${out%%\}*}"
}

# check NAME INDEX WANT BODY: WANT is a hit count or status=NNN.
check() {
  local got
  got=$(hits "$2" "$4")
  if [[ $got == "$3" ]]; then pass "$1 ($got)"; else fail "$1: got $got, want $3"; fi
}

# esql NAME WANT QUERY: the query must end in `STATS c = COUNT(*)`; WANT is the count or status=NNN.
esql() {
  local out status body
  body=$(printf '%s' "$3" | sed 's/\\/\\\\/g; s/"/\\"/g')
  out=$(curl -s -w '\n%{http_code}' -XPOST "$url/_query?format=csv" -H "$json" -d "{\"query\":\"$body\"}")
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  if [[ $status != 200 ]]; then out="status=$status"; else out=$(printf '%s' "$out" | tail -n 1 | tr -d '\r'); fi
  if [[ $out == "$2" ]]; then pass "ES|QL: $1 ($out)"; else fail "ES|QL: $1: got $out, want $2"; fi
}

bulk() { # bulk INDEX < ndjson documents (one per line)
  local body
  body=$(sed 's/^/{"index":{}}\n/')$'\n' # the bulk API needs the final newline
  curl -s -XPOST "$url/$1/_bulk?refresh=true" -H 'Content-Type: application/x-ndjson' --data-binary "$body" | grep -q '"errors":false' ||
    { echo "verify: bulk into $1 failed" >&2; exit 2; }
}

verify_indices=(sigmabridge-aws-cloudtrail-verify sigmabridge-gcp-gcp.audit-verify sigmabridge-gcp-google_workspace.token-verify
  sigmabridge-m365-message_headers-verify sigmabridge-azure-activitylogs-verify sigmabridge-m365-audit-verify)
# By name: Elasticsearch 8 refuses wildcard deletes (action.destructive_requires_name).
cleanup() { curl -s -XDELETE "$url/$(IFS=,; echo "${verify_indices[*]}")?ignore_unavailable=true" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

# --- the node ---------------------------------------------------------------------------------
root=$(curl -s -i "$url/")
if [[ $root == *"HTTP/1.1 200"* && $root == *$'\n'[Xx]-[Ee]lastic-[Pp]roduct:\ Elasticsearch* ]]; then
  pass "GET / answers 200 with X-Elastic-Product: Elasticsearch"
else
  fail "GET / must answer 200 with X-Elastic-Product: Elasticsearch"
fi
[[ $(curl -s "$url/_cluster/health") == *'"status":"green"'* ]] && pass "cluster is green" || fail "cluster is not green"
for endpoint in "POST /_sql" "POST /sigmabridge-aws-cloudtrail-verify/_eql/search"; do
  method=${endpoint%% *}
  path=${endpoint#* }
  status=$(curl -s -o /dev/null -w '%{http_code}' -X"$method" "$url$path" -H "$json" -d '{"query":"x"}')
  [[ $status != 200 ]] && pass "no x-pack endpoint: $endpoint answers $status" || fail "$endpoint unexpectedly answers 200"
done

# --- CloudTrail: keyword fields and the flattened requestParameters ------------------------------
ct=sigmabridge-aws-cloudtrail-verify
bulk "$ct" <<'EOF'
{"eventTime":"2025-05-14T08:17:45Z","eventSource":"lambda.amazonaws.com","eventName":"CreateFunction20150331","userIdentity":{"type":"AssumedRole"},"requestParameters":{"functionName":"EvilFn","role":"arn:aws:iam::1:role/Admin","memorySize":10240,"layers":["arn:aws:lambda:eu-west-1:999:layer:x:1","arn:aws:lambda:eu-west-1:1:layer:y:2"]}}
{"eventTime":"2025-05-14T09:00:00Z","eventSource":"lambda.amazonaws.com","eventName":"AddPermission20150331v2","userIdentity":{"type":"IAMUser"},"requestParameters":{"functionName":"goodfn","principal":"*","action":"lambda:InvokeFunction","memorySize":9}}
EOF
mapping=$(curl -s "$url/$ct/_mapping/field/requestParameters,eventName")
[[ $mapping == *'"type":"flattened"'* && $mapping == *'"type":"keyword"'* ]] &&
  pass "template applied: requestParameters flattened, eventName keyword" || fail "template not applied to $ct: $mapping"

F=requestParameters.functionName
# keyword field (eventName)
check "keyword term, exact case" $ct 1 '{"query":{"term":{"eventName":"CreateFunction20150331"}}}'
check "keyword term, other case: no match (case-sensitive)" $ct 0 '{"query":{"term":{"eventName":"createfunction20150331"}}}'
check "keyword term case_insensitive" $ct 1 '{"query":{"term":{"eventName":{"value":"createfunction20150331","case_insensitive":true}}}}'
check "keyword prefix case_insensitive" $ct 1 '{"query":{"prefix":{"eventName":{"value":"ADDPERM","case_insensitive":true}}}}'
check "keyword wildcard case_insensitive *...*" $ct 1 '{"query":{"wildcard":{"eventName":{"value":"*function2015*","case_insensitive":true}}}}'
check "keyword wildcard ? is exactly one char" $ct 1 '{"query":{"wildcard":{"eventName":{"value":"AddPermission20150331v?"}}}}'
check "keyword regexp case_insensitive" $ct 1 '{"query":{"regexp":{"eventName":{"value":"create.*","case_insensitive":true}}}}'
check "keyword regexp is anchored: /Function/ does not find a substring" $ct 0 '{"query":{"regexp":{"eventName":{"value":"Function"}}}}'
check "keyword regexp .*Function.* finds it" $ct 1 '{"query":{"regexp":{"eventName":{"value":".*Function.*"}}}}'
check "keyword regexp \\d class (Lucene 9)" $ct 2 '{"query":{"regexp":{"eventName":{"value":".*\\d{8}.*"}}}}'
check "trap: (?i) is no flag in Lucene regex: no error, no match" $ct 0 '{"query":{"regexp":{"eventName":{"value":"(?i)create.*"}}}}'
check "query_string regex, exact case" $ct 1 '{"query":{"query_string":{"query":"eventName:/Create.*/"}}}'
check "query_string regex, other case: no match" $ct 0 '{"query":{"query_string":{"query":"eventName:/create.*/"}}}'
check "query_string regex with [cC] classes" $ct 1 '{"query":{"query_string":{"query":"eventName:/[cC][rR][eE][aA][tT][eE].*/"}}}'
check "query_string wildcard is case-sensitive on keyword" $ct 0 '{"query":{"query_string":{"query":"eventName:create*"}}}'
check "query_string wildcard, exact case" $ct 1 '{"query":{"query_string":{"query":"eventName:Create*"}}}'
check "query_string leading wildcard on keyword" $ct 1 '{"query":{"query_string":{"query":"eventName:*Permission*"}}}'
check "query_string has no case_insensitive option: error" $ct status=400 '{"query":{"query_string":{"query":"eventName:create*","case_insensitive":true}}}'
check "date range on eventTime" $ct 1 '{"query":{"range":{"eventTime":{"gte":"2025-05-14T08:30:00Z"}}}}'

# flattened keyed field (requestParameters.functionName and friends)
check "flattened term" $ct 1 "{\"query\":{\"term\":{\"$F\":\"EvilFn\"}}}"
check "flattened term, other case: no match" $ct 0 "{\"query\":{\"term\":{\"$F\":\"evilfn\"}}}"
check "flattened term case_insensitive" $ct 1 "{\"query\":{\"term\":{\"$F\":{\"value\":\"evilfn\",\"case_insensitive\":true}}}}"
check "flattened terms" $ct 2 "{\"query\":{\"terms\":{\"$F\":[\"EvilFn\",\"goodfn\"]}}}"
check "flattened prefix" $ct 1 "{\"query\":{\"prefix\":{\"$F\":\"Evil\"}}}"
check "flattened prefix case_insensitive" $ct 1 "{\"query\":{\"prefix\":{\"$F\":{\"value\":\"EVIL\",\"case_insensitive\":true}}}}"
check "flattened exists" $ct 1 '{"query":{"exists":{"field":"requestParameters.role"}}}'
check "flattened term on one array element" $ct 1 '{"query":{"term":{"requestParameters.layers":"arn:aws:lambda:eu-west-1:1:layer:y:2"}}}'
check "flattened term on a literal *" $ct 1 '{"query":{"term":{"requestParameters.principal":"*"}}}'
check "flattened numeric leaf matches its string form" $ct 1 '{"query":{"term":{"requestParameters.memorySize":"10240"}}}'
check "flattened numeric leaf matches a numeric term" $ct 1 '{"query":{"term":{"requestParameters.memorySize":10240}}}'
check "flattened wildcard: error" $ct status=400 "{\"query\":{\"wildcard\":{\"$F\":{\"value\":\"*vil*\"}}}}"
check "flattened wildcard case_insensitive: error" $ct status=400 "{\"query\":{\"wildcard\":{\"$F\":{\"value\":\"*VIL*\",\"case_insensitive\":true}}}}"
check "flattened regexp: error" $ct status=400 "{\"query\":{\"regexp\":{\"$F\":{\"value\":\"Ev.*\"}}}}"
check "flattened regexp case_insensitive: error" $ct status=400 "{\"query\":{\"regexp\":{\"$F\":{\"value\":\"ev.*\",\"case_insensitive\":true}}}}"
check "flattened one-sided range: error" $ct status=400 '{"query":{"range":{"requestParameters.memorySize":{"gte":10240}}}}'
check "trap: flattened range compares strings (\"9\" is in [\"10240\", \"99999999\"])" $ct 2 '{"query":{"range":{"requestParameters.memorySize":{"gte":10240,"lte":99999999}}}}'
check "trap: query_string one-sided range on flattened silently matches nothing" $ct 0 '{"query":{"query_string":{"query":"requestParameters.memorySize:>=10240"}}}'
check "query_string flattened exact" $ct 1 "{\"query\":{\"query_string\":{\"query\":\"$F:EvilFn\"}}}"
check "query_string flattened trailing * (keyed prefix)" $ct 1 "{\"query\":{\"query_string\":{\"query\":\"$F:Evil*\"}}}"
check "query_string flattened exists" $ct 1 '{"query":{"query_string":{"query":"_exists_:requestParameters.role"}}}'
check "trap: query_string flattened leading * matches other keys (Admin is in role)" $ct 1 "{\"query\":{\"query_string\":{\"query\":\"$F:*Admin*\"}}}"
check "trap: query_string flattened ? never matches" $ct 0 "{\"query\":{\"query_string\":{\"query\":\"$F:Evil?n\"}}}"
check "trap: query_string flattened inner * never matches" $ct 0 "{\"query\":{\"query_string\":{\"query\":\"$F:E*n\"}}}"
check "trap: query_string flattened regex silently matches nothing" $ct 0 "{\"query\":{\"query_string\":{\"query\":\"$F:/Ev.*/\"}}}"
check "query_string flattened regex with lenient false: error" $ct status=400 "{\"query\":{\"query_string\":{\"query\":\"$F:/Ev.*/\",\"lenient\":false}}}"
check "flattened root term matches a value under any key" $ct 1 '{"query":{"term":{"requestParameters":"lambda:InvokeFunction"}}}'
check "flattened root wildcard case_insensitive (any key)" $ct 1 '{"query":{"wildcard":{"requestParameters":{"value":"*INVOKEFUNC*","case_insensitive":true}}}}'
check "flattened root regexp (any key)" $ct 1 '{"query":{"regexp":{"requestParameters":{"value":"arn:aws:iam::.*"}}}}'

# --- GCP audit: nested authorizationInfo, ip callerIp, flattened request -----------------------
ga=sigmabridge-gcp-gcp.audit-verify
bulk "$ga" <"$samples/sigmabridge-gcp-gcp.audit.ndjson"
check "trap: query_string cannot reach a nested field" $ga 0 '{"query":{"query_string":{"query":"protoPayload.authorizationInfo.permission:\"cloudfunctions.functions.create\""}}}'
check "trap: term outside a nested query finds nothing" $ga 0 '{"query":{"term":{"protoPayload.authorizationInfo.permission":"cloudfunctions.functions.create"}}}'
check "nested query reaches it" $ga 1 '{"query":{"nested":{"path":"protoPayload.authorizationInfo","query":{"bool":{"filter":[{"term":{"protoPayload.authorizationInfo.permission":"cloudfunctions.functions.create"}},{"term":{"protoPayload.authorizationInfo.granted":true}}]}}}}}'
check "ip field: CIDR term" $ga 1 '{"query":{"term":{"protoPayload.requestMetadata.callerIp":"192.0.2.0/24"}}}'
check "ip field: CIDR in query_string" $ga 1 '{"query":{"query_string":{"query":"protoPayload.requestMetadata.callerIp:\"192.0.2.0/24\""}}}'
check "ip field: other CIDR" $ga 0 '{"query":{"term":{"protoPayload.requestMetadata.callerIp":"10.0.0.0/8"}}}'
check "flattened deep key term" $ga 1 '{"query":{"term":{"protoPayload.request.function.serviceAccountEmail":"billing-admin@acme-data-prod.iam.gserviceaccount.com"}}}'
check "flattened deep key exists" $ga 1 '{"query":{"exists":{"field":"protoPayload.request.function.serviceAccountEmail"}}}'
check "integer status.code range: absent field does not match" $ga 0 '{"query":{"range":{"protoPayload.status.code":{"gt":0}}}}'
check "boolean operation.first" $ga 1 '{"query":{"term":{"operation.first":true}}}'

# --- ES|QL (x-pack-esql on the test node) ------------------------------------------------------
esql "equality is case-sensitive" 1 'FROM sigmabridge-aws-cloudtrail-verify | WHERE eventName == "CreateFunction20150331" | STATS c = COUNT(*)'
esql "TO_LOWER for case-insensitive equality" 1 'FROM sigmabridge-aws-cloudtrail-verify | WHERE TO_LOWER(eventName) == "createfunction20150331" | STATS c = COUNT(*)'
esql "LIKE is case-sensitive" 0 'FROM sigmabridge-aws-cloudtrail-verify | WHERE eventName LIKE "*function*" | STATS c = COUNT(*)'
esql "LIKE with * and ?" 1 'FROM sigmabridge-aws-cloudtrail-verify | WHERE eventName LIKE "*Permission20150331v?" | STATS c = COUNT(*)'
esql "RLIKE is anchored" 0 'FROM sigmabridge-aws-cloudtrail-verify | WHERE eventName RLIKE "Function" | STATS c = COUNT(*)'
esql "RLIKE .*x.* finds a substring" 1 'FROM sigmabridge-aws-cloudtrail-verify | WHERE eventName RLIKE ".*Function.*" | STATS c = COUNT(*)'
esql "STARTS_WITH" 1 'FROM sigmabridge-aws-cloudtrail-verify | WHERE STARTS_WITH(eventName, "Add") | STATS c = COUNT(*)'
esql "IS NULL on an absent field" 2 'FROM sigmabridge-aws-cloudtrail-verify | WHERE errorCode IS NULL | STATS c = COUNT(*)'
esql "flattened sub-field is an unknown column: error" status=400 'FROM sigmabridge-aws-cloudtrail-verify | WHERE requestParameters.functionName == "EvilFn" | STATS c = COUNT(*)'
esql "QSTR reaches a flattened sub-field (query_string semantics)" 1 'FROM sigmabridge-aws-cloudtrail-verify | WHERE QSTR("requestParameters.functionName:EvilFn") | STATS c = COUNT(*)'
esql "nested sub-field is an unknown column: error" status=400 'FROM sigmabridge-gcp-gcp.audit-verify | WHERE protoPayload.authorizationInfo.permission == "x" | STATS c = COUNT(*)'
esql "CIDR_MATCH on an ip field" 1 'FROM sigmabridge-gcp-gcp.audit-verify | WHERE CIDR_MATCH(protoPayload.requestMetadata.callerIp, "192.0.2.0/24") | STATS c = COUNT(*)'
esql "DATE_EXTRACT hour_of_day (UTC)" 1 'FROM sigmabridge-gcp-gcp.audit-verify | WHERE DATE_EXTRACT("hour_of_day", timestamp) == 9 | STATS c = COUNT(*)'
esql "integer field compare" 0 'FROM sigmabridge-gcp-gcp.audit-verify | WHERE protoPayload.status.code > 0 | STATS c = COUNT(*)'

# --- Workspace: flattened scope_data (array of objects), keyword array scope ---------------------
wt=sigmabridge-gcp-google_workspace.token-verify
bulk "$wt" <"$samples/sigmabridge-gcp-google_workspace.token.ndjson"
check "flattened array-of-objects key term" $wt 1 '{"query":{"term":{"events.parameters.scope_data.product_bucket":"APPS_SCRIPT_RUNTIME"}}}'
check "keyword array: wildcard on one element" $wt 1 '{"query":{"wildcard":{"events.parameters.scope":{"value":"*/auth/script.external_request"}}}}'
check "string number coerced to long" $wt 1 '{"query":{"range":{"events.parameters.num_response_bytes":{"gte":1000}}}}'

# --- Mail headers: field names with dashes ------------------------------------------------------
mh=sigmabridge-m365-message_headers-verify
bulk "$mh" <"$samples/sigmabridge-m365-message_headers.ndjson"
check "query_string dashed field name, escaped" $mh 1 '{"query":{"query_string":{"query":"headers.x\\-ms\\-mail\\-operation\\-type:Forward"}}}'
check "query_string dashed field name, unescaped" $mh 1 '{"query":{"query_string":{"query":"headers.x-ms-mail-operation-type:Forward"}}}'
check "query_string contains with escaped value" $mh 1 '{"query":{"query_string":{"query":"headers.x\\-ms\\-mail\\-application:*azure\\-logic\\-apps\\/1.0*"}}}'
check "boolean has_external_recipient" $mh 1 '{"query":{"term":{"has_external_recipient":true}}}'

# --- Azure Activity Log and M365 UAL -------------------------------------------------------------
al=sigmabridge-azure-activitylogs-verify
bulk "$al" <"$samples/sigmabridge-azure-activitylogs.ndjson"
check "flattened properties.statusCode" $al 1 '{"query":{"term":{"properties.statusCode":"Created"}}}'
check "operationName wildcard case_insensitive" $al 1 '{"query":{"wildcard":{"operationName":{"value":"microsoft.web/sites/functions/*","case_insensitive":true}}}}'
check "claim keys with dots kept literal" $al 1 '{"query":{"term":{"identity.claims.appid":"04b07795-8ddb-461a-bbee-02f9e1bf7b46"}}}'
ua=sigmabridge-m365-audit-verify
bulk "$ua" <"$samples/sigmabridge-m365-audit.ndjson"
check "numeric RecordType stored as keyword, term 30" $ua 1 '{"query":{"term":{"RecordType":30}}}'
check "query_string RecordType:30" $ua 1 '{"query":{"query_string":{"query":"RecordType:30"}}}'
check "CreationTime without zone is a date" $ua 1 '{"query":{"range":{"CreationTime":{"gte":"2025-08-19T14:00:00Z","lt":"2025-08-19T15:00:00Z"}}}}'

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
