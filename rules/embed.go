package rules

import (
	"embed"
)

// FS holds every rule file of the pack, one directory per platform (aws, azure, gcp, m365,
// workspace), with paths relative to this package (for example "aws/lambda_policy_any_principal.yml").
//
//go:embed aws/*.yml azure/*.yml gcp/*.yml m365/*.yml workspace/*.yml
var FS embed.FS

// License is the pack's licence, the Detection Rule License 1.1 (LICENSE.Detection.Rules.md),
// which the deployable content built from the pack ships or names.
//
//go:embed LICENSE.Detection.Rules.md
var License string

// LicenseName is License's short name, as an Elastic rule's license field gives it.
const LicenseName = "DRL 1.1"
