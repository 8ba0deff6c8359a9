package evaluator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Generators of CloudTrail-shaped events and of CloudTrail-style rules that both
// sigmabridge and sigma-go evaluate correctly (plain equality, contains, startswith and
// endswith on wildcard-free values, lists, and/or/not, `1 of`/`all of` patterns without
// digits), shared by the benchmarks and the differential test.

var ctSources = map[string][]string{
	"lambda.amazonaws.com": {"CreateFunction20150331", "UpdateFunctionCode20150331v2", "UpdateFunctionConfiguration20150331v2",
		"AddPermission20150331v2", "DeleteFunction20150331", "Invoke", "GetFunction20150331v2", "ListFunctions20150331",
		"PublishLayerVersion20181031", "CreateEventSourceMapping20150331"},
	"iam.amazonaws.com": {"CreateUser", "AttachRolePolicy", "PutRolePolicy", "CreateAccessKey", "PassRole",
		"GetRole", "ListRoles", "UpdateAssumeRolePolicy"},
	"s3.amazonaws.com":     {"GetObject", "PutObject", "PutBucketNotification", "PutBucketPolicy", "ListBuckets", "DeleteObject"},
	"events.amazonaws.com": {"PutRule", "PutTargets", "DeleteRule", "ListRules", "DescribeRule"},
	"sts.amazonaws.com":    {"AssumeRole", "GetCallerIdentity", "GetSessionToken", "AssumeRoleWithWebIdentity"},
	"ec2.amazonaws.com":    {"RunInstances", "DescribeInstances", "CreateSecurityGroup", "AuthorizeSecurityGroupIngress"},
}

var (
	ctSourceNames = sortedKeysOf(ctSources)
	ctIdentity    = []string{"IAMUser", "AssumedRole", "Root", "FederatedUser", "AWSService", "AWSAccount"}
	ctUserAgents  = []string{"aws-cli/2.15.0 Python/3.11.6 Linux/5.15 botocore/2.4.5", "Boto3/1.34.0 Python/3.12.0", "console.amazonaws.com",
		"Pacu/1.5.2 Boto3/1.28.0", "terraform-provider-aws/5.31.0", "aws-sdk-go-v2/1.24.0", "lambda.amazonaws.com", "cloudformation.amazonaws.com"}
	ctRegions      = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}
	ctErrors       = []string{"", "", "", "", "AccessDenied", "AccessDeniedException", "ResourceNotFoundException", "ThrottlingException"}
	ctFunctionPart = []string{"billing", "admin", "backdoor", "etl", "thumbnail", "miner", "export", "report", "sync"}
	ctRuntimes     = []string{"python3.12", "nodejs20.x", "provided.al2", "java21", "go1.x", "ruby3.2"}
	ctUsers        = []string{"alice", "bob", "deploy-bot", "carol", "eve", "admin"}
)

func sortedKeysOf(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// cloudTrailEvent returns one CloudTrail record of about 1 KB.
func cloudTrailEvent(r *rand.Rand) []byte {
	src := pick(r, ctSourceNames)
	name := pick(r, ctSources[src])
	idType := pick(r, ctIdentity)
	user := pick(r, ctUsers)
	account := fmt.Sprintf("%012d", r.IntN(1_000_000_000_000))
	fn := pick(r, ctFunctionPart) + "-" + pick(r, ctFunctionPart) + fmt.Sprint(r.IntN(100))
	ev := map[string]any{
		"eventVersion": "1.08",
		"userIdentity": map[string]any{
			"type":        idType,
			"principalId": fmt.Sprintf("AIDA%016X", r.Uint64()),
			"arn":         fmt.Sprintf("arn:aws:iam::%s:user/%s", account, user),
			"accountId":   account,
			"accessKeyId": fmt.Sprintf("AKIA%016X", r.Uint64()),
			"userName":    user,
			"sessionContext": map[string]any{
				"sessionIssuer": map[string]any{"type": "Role", "arn": fmt.Sprintf("arn:aws:iam::%s:role/%s", account, pick(r, []string{"AWSReservedSSO_Admin_1a2b", "ci-deployer", "OrganizationAccountAccessRole"}))},
				"attributes":    map[string]any{"creationDate": "2026-11-27T10:00:00Z", "mfaAuthenticated": pick(r, []string{"true", "false"})},
			},
		},
		"eventTime":       fmt.Sprintf("2026-11-%02dT%02d:%02d:%02dZ", 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60)),
		"eventSource":     src,
		"eventName":       name,
		"awsRegion":       pick(r, ctRegions),
		"sourceIPAddress": fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254)),
		"userAgent":       pick(r, ctUserAgents),
		"requestParameters": map[string]any{
			"functionName": fn,
			"runtime":      pick(r, ctRuntimes),
			"role":         fmt.Sprintf("arn:aws:iam::%s:role/%s", account, pick(r, []string{"lambda-basic", "AdministratorAccess-role", "etl-role"})),
			"handler":      "index.handler",
			"memorySize":   128 << r.IntN(6),
			"timeout":      1 + r.IntN(900),
		},
		"responseElements": map[string]any{
			"functionArn":  fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", pick(r, ctRegions), account, fn),
			"codeSha256":   fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()),
			"lastModified": "2026-11-27T10:00:00.000+0000",
		},
		"requestID":          fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.IntN(65536), r.IntN(65536), r.IntN(65536), r.Uint64()>>16),
		"eventID":            fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.IntN(65536), r.IntN(65536), r.IntN(65536), r.Uint64()>>16),
		"readOnly":           strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List") || strings.HasPrefix(name, "Describe"),
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": account,
		"eventCategory":      "Management",
		"tlsDetails":         map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": strings.Replace(src, "amazonaws.com", "us-east-1.amazonaws.com", 1)},
	}
	if e := pick(r, ctErrors); e != "" {
		ev["errorCode"] = e
		ev["errorMessage"] = fmt.Sprintf("User: arn:aws:iam::%s:user/%s is not authorized to perform: iam:PassRole", account, user)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

// valueFor returns a value the rule generator uses for field f: taken from what the event
// generator produces, so rules match now and then.
func valueFor(r *rand.Rand, field, src string) string {
	switch field {
	case "eventName":
		return pick(r, ctSources[src])
	case "eventSource":
		return src
	case "userIdentity.type":
		return pick(r, ctIdentity)
	case "userAgent":
		return pick(r, ctUserAgents)
	case "awsRegion":
		return pick(r, ctRegions)
	case "errorCode":
		return pick(r, ctErrors[4:])
	case "userIdentity.userName":
		return pick(r, ctUsers)
	case "requestParameters.runtime":
		return pick(r, ctRuntimes)
	case "requestParameters.functionName":
		return pick(r, ctFunctionPart)
	}
	panic("no values for " + field)
}

// cutValue shortens v for a contains, startswith or endswith modifier.
func cutValue(r *rand.Rand, v, mod string) string {
	if len(v) < 4 {
		return v
	}
	n := 3 + r.IntN(len(v)-2)
	switch mod {
	case "startswith":
		return v[:n]
	case "endswith":
		return v[len(v)-n:]
	case "contains":
		i := r.IntN(len(v) - n + 1)
		return v[i : i+n]
	}
	return v
}

var genFields = []string{"eventName", "userIdentity.type", "userAgent", "awsRegion", "errorCode",
	"userIdentity.userName", "requestParameters.runtime", "requestParameters.functionName"}

// searchYAML writes one search map of 1-2 field items.
func searchYAML(r *rand.Rand, b *strings.Builder, name, src string) {
	fmt.Fprintf(b, "    %s:\n", name)
	used := map[string]bool{}
	for k := 0; k < 1+r.IntN(2); k++ {
		f := pick(r, genFields)
		if used[f] {
			continue
		}
		used[f] = true
		mod := pick(r, []string{"", "", "contains", "startswith", "endswith"})
		key := f
		if mod != "" {
			key += "|" + mod
		}
		n := 1 + r.IntN(4)
		if n == 1 {
			fmt.Fprintf(b, "      %s: '%s'\n", key, cutValue(r, valueFor(r, f, src), mod))
			continue
		}
		fmt.Fprintf(b, "      %s:\n", key)
		for i := 0; i < n; i++ {
			fmt.Fprintf(b, "        - '%s'\n", cutValue(r, valueFor(r, f, src), mod))
		}
	}
}

// cloudTrailRule returns the YAML of a random CloudTrail-style rule in the subset both
// engines get right.
func cloudTrailRule(r *rand.Rand, i int) string {
	src := pick(r, ctSourceNames)
	var b strings.Builder
	fmt.Fprintf(&b, "title: generated rule %d\nid: 00000000-0000-4000-8000-%012d\nlevel: medium\n", i, i)
	b.WriteString("logsource:\n  product: aws\n  service: cloudtrail\ndetection:\n")
	fmt.Fprintf(&b, "    source:\n      eventSource: '%s'\n", src)
	nsel := 1 + r.IntN(3)
	for s := 0; s < nsel; s++ {
		searchYAML(r, &b, "sel"+string(rune('a'+s)), src)
	}
	nfilter := r.IntN(3)
	for s := 0; s < nfilter; s++ {
		searchYAML(r, &b, "filter"+string(rune('a'+s)), src)
	}
	cond := "source and "
	switch r.IntN(3) {
	case 0:
		cond += "1 of sel*"
	case 1:
		cond += "all of sel*"
	default:
		cond += "(sela"
		for s := 1; s < nsel; s++ {
			cond += pick(r, []string{" or ", " and "}) + "sel" + string(rune('a'+s))
		}
		cond += ")"
	}
	switch nfilter {
	case 1:
		cond += " and not filtera"
	case 2:
		cond += pick(r, []string{" and not 1 of filter*", " and not all of filter*", " and not (filtera or filterb)"})
	}
	fmt.Fprintf(&b, "    condition: %s\n", cond)
	return b.String()
}

// flatten turns nested objects into dotted top-level keys, which is how sigma-go reads
// nested fields without JSONPath mappings.
func flatten(prefix string, in map[string]any, out map[string]any) map[string]any {
	for k, v := range in {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if m, ok := v.(map[string]any); ok {
			flatten(key, m, out)
			continue
		}
		out[key] = v
	}
	return out
}
