package sigmabridge

import (
	"testing"

	"github.com/sigmabridge/sigmabridge/ruleset"
	"github.com/sigmabridge/sigmabridge/translator/profile"
)

// The pipelines map a correlation's fields in the context of each rule it names, as they
// map the rule's own: with ecs_t1648 the CloudTrail principal becomes the ECS field.
func TestPrepareCorrelationsMapsFields(t *testing.T) {
	files, diags := ruleset.Discover([]string{"rules/aws/mr_lambda_create_then_delete.yml", "rules/aws/mr_lambda_passrole_denials.yml"})
	set, ds := ruleset.LoadSet(files)
	if diags.HasErrors() || ds.HasErrors() || len(set.Correlations) != 2 {
		t.Fatal(diags, ds)
	}
	s, err := Setup(nil, profile.TargetOf("esql"), []string{"ecs_t1648"})
	if err != nil {
		t.Fatal(err)
	}
	mapped, mds := PrepareCorrelations(s, set)
	for i := range mapped {
		if mds[i].HasErrors() || mapped[i] == nil {
			t.Fatalf("%s: %v", set.Correlations[i].Title, mds[i])
		}
	}
	byTitle := map[string]int{}
	for i, c := range set.Correlations {
		byTitle[c.Title] = i
	}
	d := mapped[byTitle["AWS Repeated iam:PassRole Denials on Lambda"]]
	if got := d.FieldFor(0, "userIdentity.arn"); got != "aws.cloudtrail.user_identity.arn" {
		t.Errorf("userIdentity.arn mapped to %q", got)
	}
	e := mapped[byTitle["AWS Lambda Function Created and Deleted Within 10 Minutes"]]
	// The alias keeps one field per rule, each mapped as that rule maps it.
	if create, del := e.FieldFor(0, "function_name"), e.FieldFor(1, "function_name"); create != "aws.cloudtrail.flattened.response_elements.functionName" || del != "aws.cloudtrail.flattened.request_parameters.functionName" {
		t.Errorf("function_name mapped to %q and %q", create, del)
	}
	if got := e.FieldFor(1, "recipientAccountId"); got != "aws.cloudtrail.recipient_account_id" {
		t.Errorf("recipientAccountId mapped to %q", got)
	}
	if set.Correlations[byTitle["AWS Repeated iam:PassRole Denials on Lambda"]].FieldFor(0, "userIdentity.arn") != "userIdentity.arn" {
		t.Error("the loaded correlation was changed in place")
	}
}
