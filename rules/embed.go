package rules

import "embed"

// FS holds every rule file of the pack, one directory per platform (aws, azure, gcp, m365,
// workspace), with paths relative to this package (for example "aws/lambda_policy_any_principal.yml").
//
//go:embed aws/*.yml azure/*.yml gcp/*.yml m365/*.yml workspace/*.yml
var FS embed.FS
