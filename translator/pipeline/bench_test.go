package pipeline

import "testing"

// BenchmarkApplyECS measures one rule through the largest built-in pipeline.
func BenchmarkApplyECS(b *testing.B) {
	p, err := Builtin("ecs_t1648")
	if err != nil {
		b.Fatal(err)
	}
	r := mustRuleB(b, ruleWith("{product: aws, service: cloudtrail}",
		"sel: {eventSource: lambda.amazonaws.com, eventName|startswith: CreateFunction20, requestParameters.role|contains: Admin}",
		"filter: {errorCode|exists: true}",
		"condition: sel and not filter"))
	b.ReportAllocs()
	for b.Loop() {
		if _, ds := p.Apply(r); ds.HasErrors() {
			b.Fatal(ds)
		}
	}
}
