package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// The event generator writes CloudTrail records as JSON lines, deterministically: the same
// count always gives the same bytes. The mix follows what an account with a few Lambda-based
// services produces: mostly S3 data events, KMS, STS and EC2/IAM reads, a steady share of
// Lambda management calls (read-mostly, with the API version suffixes CloudTrail puts on
// Lambda event names), EventBridge and CloudWatch Logs calls, and a few percent of writes
// the T1648 pack reports (functions created or changed by humans, public function URLs,
// open resource policies, foreign layers, ...). About 4% of writes fail with AccessDenied.

// member is one key and value of a JSON object, in CloudTrail's key order.
type member struct {
	key string
	val any
}

// object is a JSON object that keeps its key order.
type object []member

func (o object) MarshalJSON() ([]byte, error) {
	buf := []byte{'{'}
	for i, m := range o {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, _ := json.Marshal(m.key)
		buf = append(buf, k...)
		buf = append(buf, ':')
		v, err := marshalNoEscape(m.val)
		if err != nil {
			return nil, err
		}
		buf = append(buf, v...)
	}
	return append(buf, '}'), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	if o, ok := v.(object); ok {
		return o.MarshalJSON()
	}
	if a, ok := v.([]any); ok {
		buf := []byte{'['}
		for i, x := range a {
			if i > 0 {
				buf = append(buf, ',')
			}
			b, err := marshalNoEscape(x)
			if err != nil {
				return nil, err
			}
			buf = append(buf, b...)
		}
		return append(buf, ']'), nil
	}
	return json.Marshal(v)
}

const (
	ownAccount     = "381492046617"
	stagingAccount = "208417395562"
	foreignAccount = "999988887777"
	vendorAccount  = "770693421928" // an allowed layer publisher in placeholders.yml
)

// identity is one caller with the user agent it uses.
type identity struct {
	userIdentity object
	agents       []string
	human        bool
}

type generator struct {
	rng        *rand.Rand
	start      time.Time
	identities []identity
	weights    []int // of identities, for ordinary traffic
	humans     []int // indexes of human identities
	lambdaExec []int // indexes of Lambda execution roles
}

func assumedRole(account, role, session string, sso bool) object {
	issuerArn := "arn:aws:iam::" + account + ":role/" + role
	if sso {
		issuerArn = "arn:aws:iam::" + account + ":role/aws-reserved/sso.amazonaws.com/eu-west-1/" + role
	}
	principal := "AROA" + pseudoID(role, 17)
	return object{
		{"type", "AssumedRole"},
		{"principalId", principal + ":" + session},
		{"arn", "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session},
		{"accountId", account},
		{"accessKeyId", "ASIA" + pseudoID(session, 16)},
		{"sessionContext", object{
			{"sessionIssuer", object{
				{"type", "Role"}, {"principalId", principal}, {"arn", issuerArn},
				{"accountId", account}, {"userName", role},
			}},
			{"attributes", object{{"creationDate", "2025-06-02T07:58:12Z"}, {"mfaAuthenticated", strconv.FormatBool(sso)}}},
		}},
	}
}

func iamUser(account, name string) object {
	return object{
		{"type", "IAMUser"},
		{"principalId", "AIDA" + pseudoID(name, 17)},
		{"arn", "arn:aws:iam::" + account + ":user/" + name},
		{"accountId", account},
		{"accessKeyId", "AKIA" + pseudoID(name+"key", 16)},
		{"userName", name},
	}
}

// pseudoID derives an upper-case alphanumeric ID of n characters from s.
func pseudoID(s string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	h := uint64(14695981039346656037)
	out := make([]byte, n)
	for i := range out {
		for _, c := range []byte(s) {
			h = (h ^ uint64(c)) * 1099511628211
		}
		h = (h ^ uint64(i)) * 1099511628211
		out[i] = alphabet[h%32]
	}
	return string(out)
}

func newGenerator() *generator {
	g := &generator{rng: rand.New(rand.NewPCG(1648, 2026)), start: time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)}
	cli := []string{
		"aws-cli/2.17.2 md/awscrt#0.20.11 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.4",
		"aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off",
	}
	console := []string{"AWS Internal"}
	sdk := []string{
		"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 api/s3#1.58.2",
		"Boto3/1.34.131 md/Botocore#1.34.131 ua/2.0 os/linux#5.10.219 lang/python#3.12.3",
	}
	lambdaAgent := func(rt string) []string {
		return []string{"Boto3/1.34.42 md/Botocore#1.34.42 ua/2.0 os/linux#5.10.219 exec-env/AWS_Lambda_" + rt}
	}
	add := func(weight int, id identity) {
		g.identities = append(g.identities, id)
		g.weights = append(g.weights, weight)
		if id.human {
			g.humans = append(g.humans, len(g.identities)-1)
		}
	}
	add(30, identity{assumedRole(ownAccount, "data-pipeline-ingest", "i-0a1b2c3d4e5f60718", false), sdk, false})
	add(20, identity{assumedRole(ownAccount, "orders-api-exec", "orders-api", false), lambdaAgent("python3.12"), false})
	g.lambdaExec = append(g.lambdaExec, len(g.identities)-1)
	add(12, identity{assumedRole(ownAccount, "thumbnailer-exec", "thumbnailer", false), lambdaAgent("nodejs20.x"), false})
	g.lambdaExec = append(g.lambdaExec, len(g.identities)-1)
	add(10, identity{assumedRole(ownAccount, "github-actions-deploy", "GitHubActions", false),
		[]string{"APN/1.0 HashiCorp/1.0 Terraform/1.8.5 terraform-provider-aws/5.54.1 aws-sdk-go-v2/1.30.0 api/lambda#1.56.0",
			"aws-sdk-js/2.1643.0 linux/v20.14.0 aws-cdk/2.147.0 exec-env/GitHub_Actions"}, false})
	add(6, identity{assumedRole(ownAccount, "AWSReservedSSO_AdministratorAccess_8d3e5f7a1b2c4d6e", "jdoe@example.com", true), append(console, cli...), true})
	add(4, identity{assumedRole(ownAccount, "AWSReservedSSO_ReadOnly_4f1c2a9be0d3", "mallen@example.com", true), console, true})
	add(5, identity{iamUser(ownAccount, "ops-alice"), cli, true})
	add(3, identity{iamUser(stagingAccount, "legacy-deployer"), cli, true})
	add(8, identity{object{{"type", "AWSService"}, {"invokedBy", "cloudformation.amazonaws.com"}},
		[]string{"cloudformation.amazonaws.com"}, false})
	add(6, identity{object{{"type", "AWSService"}, {"invokedBy", "lambda.amazonaws.com"}},
		[]string{"lambda.amazonaws.com"}, false})
	return g
}

func (g *generator) pick(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := g.rng.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func (g *generator) pickString(s []string) string { return s[g.rng.IntN(len(s))] }

func (g *generator) uuid() string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", g.rng.Uint32(), g.rng.IntN(1<<16), g.rng.IntN(1<<12),
		0x8000|g.rng.IntN(1<<14), g.rng.Uint64()&(1<<48-1))
}

var functions = []string{"orders-api", "thumbnailer", "billing-export", "auth-authorizer", "audit-forwarder",
	"nightly-report", "image-resize", "slack-notifier", "etl-transform", "session-cleanup"}

// call is one API call: the service, event name and the call-specific members.
type call struct {
	source, name string
	readOnly     bool
	data         bool // a data event (S3 object level, Lambda Invoke)
	params       any  // requestParameters (nil: JSON null)
	response     any  // responseElements
	resources    []any
	extra        object // additionalEventData and similar
	identity     int    // -1: pick an ordinary caller
	agent        string
}

// ordinaryCall returns one of the everyday calls, by weight.
func (g *generator) ordinaryCall() call {
	fn := g.pickString(functions)
	fnArn := "arn:aws:lambda:eu-west-1:" + ownAccount + ":function:" + fn
	bucket := g.pickString([]string{"acme-data-lake-raw", "acme-orders-exports", "acme-static-assets", "acme-logs-archive"})
	key := fmt.Sprintf("2025/06/%02d/part-%05d.parquet", 1+g.rng.IntN(28), g.rng.IntN(4000))
	lambdaRead := []string{"GetFunction20150331v2", "ListFunctions20150331", "GetFunctionConfiguration20150331v2",
		"GetPolicy20150331v2", "ListVersionsByFunction20150331", "ListAliases20150331", "ListEventSourceMappings20150331",
		"GetAccountSettings20160819", "ListTags20170331", "ListLayers20181031", "ListLayerVersions20181031",
		"GetLayerVersion20181031", "ListFunctionUrlConfigs20211031", "GetFunctionUrlConfig20211031",
		"GetFunctionCodeSigningConfig20200630", "GetFunctionConcurrency20190930", "GetProvisionedConcurrencyConfig20190930"}
	kinds := []int{30, 9, 10, 6, 4, 3, 14, 4, 3, 2, 3}
	switch g.pick(kinds) {
	case 0: // S3 data events
		name := g.pickString([]string{"GetObject", "GetObject", "GetObject", "PutObject", "HeadObject"})
		return call{source: "s3.amazonaws.com", name: name, readOnly: name != "PutObject", data: true,
			params:   object{{"bucketName", bucket}, {"Host", bucket + ".s3.eu-west-1.amazonaws.com"}, {"key", key}},
			response: nil,
			resources: []any{
				object{{"type", "AWS::S3::Object"}, {"ARN", "arn:aws:s3:::" + bucket + "/" + key}},
				object{{"accountId", ownAccount}, {"type", "AWS::S3::Bucket"}, {"ARN", "arn:aws:s3:::" + bucket}},
			},
			extra: object{{"additionalEventData", object{{"SignatureVersion", "SigV4"},
				{"CipherSuite", "TLS_AES_128_GCM_SHA256"}, {"bytesTransferredIn", 0},
				{"bytesTransferredOut", g.rng.IntN(8 << 20)}}}},
			identity: -1}
	case 1: // KMS
		return call{source: "kms.amazonaws.com", name: g.pickString([]string{"Decrypt", "GenerateDataKey"}), readOnly: true,
			params: object{{"encryptionAlgorithm", "SYMMETRIC_DEFAULT"},
				{"encryptionContext", object{{"aws:lambda:FunctionArn", fnArn}}}},
			resources: []any{object{{"accountId", ownAccount}, {"type", "AWS::KMS::Key"},
				{"ARN", "arn:aws:kms:eu-west-1:" + ownAccount + ":key/" + g.uuid()}}},
			identity: -1}
	case 2: // STS
		if g.rng.IntN(3) == 0 {
			return call{source: "sts.amazonaws.com", name: "GetCallerIdentity", readOnly: true, identity: -1}
		}
		return call{source: "sts.amazonaws.com", name: "AssumeRole", readOnly: true,
			params: object{{"roleArn", "arn:aws:iam::" + ownAccount + ":role/data-pipeline-ingest"},
				{"roleSessionName", "i-0a1b2c3d4e5f60718"}, {"durationSeconds", 3600}},
			response: object{{"credentials", object{{"accessKeyId", "ASIA" + pseudoID(key, 16)},
				{"sessionToken", "IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJHMEUCIQ" + pseudoID(key, 48)},
				{"expiration", "Jun 2, 2025, 9:58:12 AM"}}}},
			identity: -1}
	case 3: // EC2 reads
		return call{source: "ec2.amazonaws.com", name: g.pickString([]string{"DescribeInstances", "DescribeSecurityGroups", "DescribeSubnets", "DescribeNetworkInterfaces"}),
			readOnly: true, params: object{{"filterSet", object{{"items", []any{object{{"name", "vpc-id"},
				{"valueSet", object{{"items", []any{object{{"value", "vpc-0f1e2d3c4b5a69788"}}}}}}}}}}}},
			identity: -1}
	case 4: // IAM reads
		return call{source: "iam.amazonaws.com", name: g.pickString([]string{"GetRole", "ListRoles", "ListAttachedRolePolicies", "GetPolicyVersion"}),
			readOnly: true, params: object{{"roleName", fn + "-exec"}}, identity: -1}
	case 5: // CloudWatch Logs
		return call{source: "logs.amazonaws.com", name: g.pickString([]string{"CreateLogStream", "DescribeLogGroups", "FilterLogEvents"}),
			params:   object{{"logGroupName", "/aws/lambda/" + fn}, {"logStreamName", "2025/06/02/[$LATEST]" + pseudoID(key, 32)}},
			identity: -1}
	case 6: // Lambda reads
		return call{source: "lambda.amazonaws.com", name: g.pickString(lambdaRead), readOnly: true,
			params: object{{"functionName", fn}}, identity: -1}
	case 7: // Lambda invocations (data events)
		return call{source: "lambda.amazonaws.com", name: "Invoke", data: true,
			params:    object{{"functionName", fnArn}, {"invocationType", "RequestResponse"}, {"logType", "None"}},
			resources: []any{object{{"accountId", ownAccount}, {"type", "AWS::Lambda::Function"}, {"ARN", fnArn}}},
			identity:  -1}
	case 8: // Lambda writes by the pipeline (matched only by the execution-role rule when the role changes)
		name := g.pickString([]string{"UpdateFunctionCode20150331v2", "PublishVersion20150331", "UpdateAlias20150331",
			"TagResource20170331v2", "PutFunctionConcurrency20171031", "UpdateFunctionConfiguration20150331v2"})
		params := object{{"functionName", fn}}
		switch name {
		case "UpdateFunctionCode20150331v2":
			params = append(params, member{"s3Bucket", "acme-deploy-artifacts"}, member{"s3Key", fn + "/" + g.uuid() + ".zip"}, member{"publish", true})
		case "UpdateFunctionConfiguration20150331v2":
			params = append(params, member{"memorySize", 512}, member{"timeout", 30},
				member{"environment", object{{"variables", object{{"LOG_LEVEL", "info"}, {"TABLE", fn + "-table"}}}}})
		}
		return call{source: "lambda.amazonaws.com", name: name, params: params, identity: 3}
	case 9: // EventBridge
		return call{source: "events.amazonaws.com", name: g.pickString([]string{"DescribeRule", "ListTargetsByRule", "PutEvents"}),
			readOnly: true, params: object{{"name", fn + "-schedule"}}, identity: -1}
	default: // S3 bucket reads
		return call{source: "s3.amazonaws.com", name: g.pickString([]string{"GetBucketAcl", "GetBucketPolicy", "GetBucketLocation", "GetBucketNotification"}),
			readOnly: true, params: object{{"bucketName", bucket}, {"Host", bucket + ".s3.eu-west-1.amazonaws.com"}, {g.pickString([]string{"acl", "policy", "location", "notification"}), ""}},
			identity: -1}
	}
}

// suspiciousCall returns one of the writes the pack watches for, some of them benign
// variants (near misses) the rules must let pass.
func (g *generator) suspiciousCall() call {
	fn := g.pickString(functions)
	fnArn := "arn:aws:lambda:eu-west-1:" + ownAccount + ":function:" + fn
	human := g.humans[g.rng.IntN(len(g.humans))]
	layer := func(account string) string {
		return fmt.Sprintf("arn:aws:lambda:eu-west-1:%s:layer:shared-deps:%d", account, 1+g.rng.IntN(30))
	}
	switch g.rng.IntN(12) {
	case 0:
		role := g.pickString([]string{"arn:aws:iam::" + ownAccount + ":role/" + fn + "-exec",
			"arn:aws:iam::" + ownAccount + ":role/LambdaAdminRole", "arn:aws:iam::" + ownAccount + ":role/break-glass-ops"})
		layers := []any{layer(ownAccount)}
		if g.rng.IntN(3) == 0 {
			layers = append(layers, layer(foreignAccount))
		}
		mem, timeout := 1024, 60
		if g.rng.IntN(4) == 0 {
			mem, timeout = 10240, 900
		}
		return call{source: "lambda.amazonaws.com", name: "CreateFunction20150331", identity: human,
			params: object{{"functionName", fn + "-" + pseudoID(fn, 4)}, {"runtime", g.pickString([]string{"python3.12", "provided.al2023", "nodejs20.x"})},
				{"role", role}, {"handler", "app.handler"}, {"code", object{{"zipFile", "HIDDEN_DUE_TO_SECURITY_REASONS"}}},
				{"timeout", timeout}, {"memorySize", mem}, {"publish", true}, {"layers", layers},
				{"architectures", []any{"arm64"}}},
			response: object{{"functionName", fn}, {"functionArn", fnArn}, {"state", "Pending"}}}
	case 1:
		return call{source: "lambda.amazonaws.com", name: "UpdateFunctionCode20150331v2", identity: human,
			params: object{{"functionName", fn}, {"zipFile", "HIDDEN_DUE_TO_SECURITY_REASONS"}, {"publish", false}, {"dryRun", false}}}
	case 2:
		return call{source: "lambda.amazonaws.com", name: "UpdateFunctionConfiguration20150331v2", identity: human,
			params: object{{"functionName", fn}, {"role", "arn:aws:iam::" + ownAccount + ":role/" + g.pickString([]string{"OrganizationAccountAccessRole", fn + "-exec-v2"})},
				{"layers", []any{layer(g.pickString([]string{ownAccount, vendorAccount, foreignAccount}))}}}}
	case 3:
		principal := g.pickString([]string{"*", "s3.amazonaws.com", foreignAccount, "arn:aws:iam::" + stagingAccount + ":root"})
		params := object{{"functionName", fn}, {"statementId", "stmt-" + pseudoID(fn, 6)},
			{"action", g.pickString([]string{"lambda:InvokeFunction", "lambda:InvokeFunctionUrl"})}, {"principal", principal}}
		if principal == "s3.amazonaws.com" {
			params = append(params, member{"sourceArn", "arn:aws:s3:::acme-orders-exports"})
		}
		return call{source: "lambda.amazonaws.com", name: "AddPermission20150331v2", identity: human, params: params}
	case 4:
		return call{source: "lambda.amazonaws.com", name: g.pickString([]string{"CreateFunctionUrlConfig20211031", "UpdateFunctionUrlConfig20211031"}),
			identity: human, params: object{{"functionName", fn}, {"authType", g.pickString([]string{"NONE", "AWS_IAM"})},
				{"cors", object{{"allowOrigins", []any{"*"}}}}}}
	case 5:
		return call{source: "lambda.amazonaws.com", name: "PublishLayerVersion20181031", identity: human,
			params: object{{"layerName", "shared-deps"}, {"compatibleRuntimes", []any{"python3.12"}},
				{"content", object{{"s3Bucket", "acme-deploy-artifacts"}, {"s3Key", "layers/shared-deps.zip"}}}}}
	case 6:
		params := object{{"layerName", "shared-deps"}, {"versionNumber", 3}, {"statementId", "public"},
			{"action", "lambda:GetLayerVersion"}, {"principal", "*"}}
		if g.rng.IntN(2) == 0 {
			params = append(params, member{"organizationId", "o-a1b2c3d4e5"})
		}
		return call{source: "lambda.amazonaws.com", name: "AddLayerVersionPermission20181031", identity: human, params: params}
	case 7:
		return call{source: "lambda.amazonaws.com", name: "CreateEventSourceMapping20150331", identity: 3,
			params: object{{"functionName", fn}, {"eventSourceArn", "arn:aws:sqs:eu-west-1:" + ownAccount + ":" + fn + "-queue"},
				{"batchSize", 10}, {"enabled", true}}}
	case 8:
		params := object{{"name", fn + "-schedule"}, {"state", "ENABLED"}}
		if g.rng.IntN(2) == 0 {
			params = append(params, member{"scheduleExpression", "rate(5 minutes)"})
		} else {
			params = append(params, member{"eventPattern", `{"source":["aws.iam"],"detail":{"eventSource":["iam.amazonaws.com"],"eventName":["CreateUser","CreateAccessKey"]}}`})
		}
		return call{source: "events.amazonaws.com", name: "PutRule", identity: human, params: params}
	case 9:
		target := "arn:aws:lambda:eu-west-1:" + ownAccount + ":function:" + fn
		if g.rng.IntN(2) == 0 {
			target = "arn:aws:sqs:eu-west-1:" + ownAccount + ":uploads"
		}
		kind := "CloudFunctionConfiguration"
		field := "CloudFunction"
		if target[8:11] == "sqs" {
			kind, field = "QueueConfiguration", "Queue"
		}
		return call{source: "s3.amazonaws.com", name: "PutBucketNotification", identity: 3,
			params: object{{"bucketName", "acme-orders-exports"}, {"Host", "acme-orders-exports.s3.eu-west-1.amazonaws.com"},
				{"notification", ""}, {"NotificationConfiguration", object{{kind, object{{"Event", "s3:ObjectCreated:*"}, {field, target}}},
					{"xmlns", "http://s3.amazonaws.com/doc/2006-03-01/"}}}}}
	case 10:
		return call{source: "iam.amazonaws.com", name: g.pickString([]string{"CreateAccessKey", "AttachRolePolicy", "PutRolePolicy"}),
			identity: g.lambdaExec[g.rng.IntN(len(g.lambdaExec))],
			params:   object{{"userName", "svc-backup"}, {"roleName", "orders-api-exec"}, {"policyArn", "arn:aws:iam::aws:policy/AdministratorAccess"}}}
	default:
		return call{source: "ec2.amazonaws.com", name: "AuthorizeSecurityGroupIngress", identity: g.lambdaExec[g.rng.IntN(len(g.lambdaExec))],
			params: object{{"groupId", "sg-0a1b2c3d4e5f67890"}, {"ipPermissions", object{{"items", []any{object{{"ipProtocol", "tcp"},
				{"fromPort", 22}, {"toPort", 22}, {"ipRanges", object{{"items", []any{object{{"cidrIp", "0.0.0.0/0"}}}}}}}}}}}}}
	}
}

// event renders event number i.
func (g *generator) event(i int) object {
	var c call
	if g.rng.IntN(100) < 4 {
		c = g.suspiciousCall()
	} else {
		c = g.ordinaryCall()
	}
	idx := c.identity
	if idx < 0 {
		idx = g.pick(g.weights)
	}
	id := g.identities[idx]
	agent := c.agent
	if agent == "" {
		agent = g.pickString(id.agents)
	}
	if id.userIdentity[0].val == "AWSService" {
		agent = id.agents[0]
	}
	t := g.start.Add(time.Duration(i) * 37 * time.Millisecond)
	ip := fmt.Sprintf("198.51.100.%d", 1+g.rng.IntN(254))
	if id.userIdentity[0].val == "AWSService" {
		ip = id.agents[0]
	}
	ev := object{
		{"eventVersion", g.pickString([]string{"1.08", "1.09", "1.10"})},
		{"userIdentity", id.userIdentity},
		{"eventTime", t.Format(time.RFC3339)},
		{"eventSource", c.source},
		{"eventName", c.name},
		{"awsRegion", "eu-west-1"},
		{"sourceIPAddress", ip},
		{"userAgent", agent},
	}
	failed := !c.readOnly && g.rng.IntN(25) == 0
	if failed {
		ev = append(ev, member{"errorCode", "AccessDenied"},
			member{"errorMessage", "User is not authorized to perform: " + c.name + " because no identity-based policy allows the action"})
	}
	ev = append(ev, member{"requestParameters", c.params})
	if failed {
		ev = append(ev, member{"responseElements", nil})
	} else {
		ev = append(ev, member{"responseElements", c.response})
	}
	ev = append(ev, c.extra...)
	ev = append(ev,
		member{"requestID", g.uuid()},
		member{"eventID", g.uuid()},
		member{"readOnly", c.readOnly},
	)
	if c.resources != nil {
		ev = append(ev, member{"resources", c.resources})
	}
	category := "Management"
	if c.data {
		category = "Data"
	}
	ev = append(ev,
		member{"eventType", "AwsApiCall"},
		member{"managementEvent", !c.data},
		member{"recipientAccountId", ownAccount},
		member{"eventCategory", category},
	)
	if id.userIdentity[0].val != "AWSService" {
		host := c.source[:len(c.source)-len(".amazonaws.com")] + ".eu-west-1.amazonaws.com"
		ev = append(ev, member{"tlsDetails", object{{"tlsVersion", "TLSv1.3"},
			{"cipherSuite", "TLS_AES_128_GCM_SHA256"}, {"clientProvidedHostHeader", host}}})
	}
	return ev
}

// writeEvents writes n events as JSON lines and returns the bytes written.
func writeEvents(w io.Writer, n int) (int64, error) {
	g := newGenerator()
	bw := bufio.NewWriterSize(w, 1<<20)
	var total int64
	for i := range n {
		line, err := g.event(i).MarshalJSON()
		if err != nil {
			return total, err
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return total, err
		}
		total += int64(len(line))
	}
	return total, bw.Flush()
}
