// Package profile reads an organisation profile: one YAML file holding what only the user
// knows about their organisation, and turns it into what the rest of sigmabridge already
// understands.
//
// A profile holds identity and tenancy values (accepted mail domains, own AWS accounts and
// organisation, trusted deployers, Azure tenants, GCP projects, ...) and where the logs live
// (Splunk index and sourcetype, Elastic index patterns, per log source). It is found from an
// explicit path, then $SIGMABRIDGE_PROFILE, then <user config dir>/sigmabridge/profile.yml
// (Find). Decoding is strict: an unknown key is an error naming file:line, with the nearest
// known key as a suggestion (Parse).
//
// What a profile becomes:
//   - Values (the table of profile keys and the rule placeholders they fill) become the
//     variables of a value_placeholders pipeline (Profile.ValuesPipeline), so a rule's
//     `field|expand: '%own_account_ids%'` gets the organisation's accounts;
//   - the log locations become set_state items for the pipeline state `index` and
//     `sourcetype` that the Splunk and Elasticsearch targets and the hunt command read
//     (Profile.LogsPipeline), guarded by logsource conditions;
//   - the accepted mail domains go to the mail input adapters (input.Options.AcceptedDomains).
//
// Placeholder policy. A rule may declare, in its top-level `placeholders` attribute, what each
// of its placeholders means when no value is given:
//
//	placeholders:
//	  trusted_deployer_arns:
//	    without_value: empty     # an allowlist: empty excludes nothing, the rule runs
//	  own_account_ids:
//	    without_value: inactive  # the rule cannot decide without it: it does not run
//	    note: without the organisation's accounts every layer looks foreign
//
// `empty` resolves the placeholder to the empty list, which the pipeline folds exactly (an
// item over an empty list matches nothing; see translator/pipeline/fold.go); `inactive` leaves
// the rule out, and the caller reports it once (Setup.Apply returns the Need). A placeholder
// the rule does not declare keeps pySigma's behaviour: unresolved, it is an error unless a
// pipeline resolves it. Every rule of the built-in pack declares each of its placeholders.
//
// The profile is meant to grow (per-format defaults such as savedsearch schedules belong in new
// top-level sections); version 1 is the only version today.
package profile
