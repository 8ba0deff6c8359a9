package input

import (
	"bytes"
	"fmt"
	"testing"
)

// benchRecord is a CloudTrail record of the size real ones have (about 1 KB).
func benchRecord(i int) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROA4EXAMPLE7QXZ2KLM:jdoe","arn":"arn:aws:sts::381492046617:assumed-role/PowerUser/jdoe","accountId":"381492046617","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::381492046617:role/PowerUser","userName":"PowerUser"},"attributes":{"creationDate":"2025-05-14T08:02:11Z","mfaAuthenticated":"false"}}},"eventTime":"2025-05-14T08:27:41Z","eventSource":"lambda.amazonaws.com","eventName":"CreateFunction20150331","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.%d","userAgent":"aws-cli/2.15.30","requestParameters":{"functionName":"fn-%d","runtime":"python3.12","handler":"lambda_function.lambda_handler","code":{},"role":"arn:aws:iam::381492046617:role/OrgAdminAutomation","timeout":900,"memorySize":10240,"publish":false,"environment":{}},"responseElements":{"functionName":"fn-%d","state":"Pending","version":"$LATEST"},"requestID":"0f6a3c2e-8d1b-4c5e-9a7f-%012d","eventID":"c1d2e3f4-a5b6-4c7d-8e9f-%012d","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"381492046617","eventCategory":"Management"}`, i%250, i, i, i, i)
}

// recordsDocument is a CloudTrail log file of n records, one record per line inside the
// "Records" array, as aws s3 cp of a pretty-printed file gives.
func recordsDocument(n int) []byte {
	var b bytes.Buffer
	b.WriteString("{\"Records\": [\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(benchRecord(i))
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}

// jsonLines is n records as JSON lines.
func jsonLines(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		b.WriteString(benchRecord(i))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func benchRead(b *testing.B, format string, data []byte, want int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := Read(format, "bench", bytes.NewReader(data), func(Record) error { n++; return nil })
		if err != nil || n != want {
			b.Fatalf("%d records, error %v", n, err)
		}
	}
}

// BenchmarkReadRecordsDocument reads one CloudTrail {"Records": [...]} document. Before the
// streaming scanner: 8.3 s, 42 s and 216 s for 10k, 20k and 40k records (quadratic).
func BenchmarkReadRecordsDocument(b *testing.B) {
	for _, n := range []int{10000, 20000, 40000} {
		data := recordsDocument(n)
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) { benchRead(b, JSONL, data, n) })
	}
}

// BenchmarkReadJSONLines reads JSON lines of CloudTrail records. Before the streaming
// scanner: 56 MB/s.
func BenchmarkReadJSONLines(b *testing.B) {
	for _, n := range []int{10000, 40000} {
		data := jsonLines(n)
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) { benchRead(b, JSONL, data, n) })
	}
}

// BenchmarkReadJSONLinesTrusted reads JSON lines of CloudTrail records with TrustObjects,
// the scan's fast path: object lines are found, not validated.
func BenchmarkReadJSONLinesTrusted(b *testing.B) {
	data := jsonLines(40000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := ReadWith(JSONL, "bench", bytes.NewReader(data), Options{TrustObjects: true}, func(rec Record) error {
			if rec.Unchecked {
				n++
			}
			return nil
		})
		if err != nil || n != 40000-1 {
			b.Fatalf("%d unchecked records, error %v", n, err)
		}
	}
}
