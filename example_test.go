package sigmabridge_test

import (
	"context"
	"fmt"

	sigmabridge "github.com/sigmabridge/sigmabridge"
	"github.com/sigmabridge/sigmabridge/backends"
	"github.com/sigmabridge/sigmabridge/translator"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

const rule = `title: Lambda function created
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventSource: lambda.amazonaws.com, eventName|startswith: CreateFunction}
  condition: sel
`

// A library user converts a rule to Splunk SPL and scans two events with it, in process.
func Example() {
	ctx := context.Background()
	rules, _ := translator.LoadBytes("create.yml", []byte(rule))
	setup, _ := sigmabridge.Setup(nil, profile.Splunk, nil) // no profile, no -p pipelines
	splunk, _ := backends.Get("splunk")
	results, _, _ := sigmabridge.Convert(ctx, splunk, setup, rules)
	fmt.Println(results[0].Queries[0].Text)

	det, _ := sigmabridge.LoadDetector(ctx, sigmabridge.DetectorOptions{InProcess: true}, rules)
	defer det.Close()
	matches, _ := det.Match([][]byte{
		[]byte(`{"eventSource":"lambda.amazonaws.com","eventName":"CreateFunction20150331"}`),
		[]byte(`{"eventSource":"lambda.amazonaws.com","eventName":"Invoke"}`),
	})
	fmt.Println(matches)
	// Output:
	// eventSource="lambda.amazonaws.com" AND eventName="CreateFunction*"
	// [[0] []]
}
