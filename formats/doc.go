// Package formats turns converted rules into content a SIEM deploys: Splunk
// savedsearches.conf with one macro per log source (macros.conf), an installable Splunk app,
// Elastic Security detection rules (NDJSON for the import API, or one JSON file per rule),
// per-rule files with a manifest, and ATT&CK coverage (a Navigator layer and a Markdown
// table).
//
// It sits after conversion: an Item is a rule after its pipelines and profile, with the
// target's queries. The root package's ConvertItems produces Items; for the Splunk formats
// (Desc.Macros) it renders the queries without the Deployment's index, sourcetype and source,
// which go to one macro per log source instead, so an admin changes one place.
//
// # What a rule carries into the content
//
//   - Level: Splunk alert.severity (informational 2, low 3, medium 4, high 5, critical 6);
//     Elastic severity and risk_score (low 21, medium 47, high 73, critical 99,
//     informational low/1). A rule without a level counts as medium.
//   - attack.* tags: Splunk action.correlationsearch.annotations (mitre_attack, the technique
//     ids); the Elastic threat mapping, with names and references
//     from the ATT&CK table in attack/ (attack/README.md: source and licence). Tags naming
//     nothing in the table are warned about and left out.
//   - The schedule: Options, overridden per rule by the ScheduleAttribute custom attribute.
//   - Elastic rule_id: RuleUUID, a name-based UUID of the Sigma id and the condition.
//
// # Correlations
//
// A Sigma correlation rule is an Item of its own (Item.Correlation, its metadata as
// CorrelationRule): a saved search whose named rules read their events through their own log
// source macros (CorrMacroIndex marks each in the query), or an esql or eql Elastic rule
// whose index is its named rules'. Its schedule looks back over its timespan as well (the
// Splunk earliest time and the Elastic lookback), so a correlation that ends in the
// scheduled range is seen whole. The rules it names are not deployed alone
// (ir.RuleSet.Alerting).
//
// # Formats from plugins
//
// A backend plugin can render deployable formats of its own: it describes each
// (plugin.FormatDescription: name, description, file extension, whether it has a file per
// rule, the targets it takes) and implements plugin.Renderer, the protocol's Render call
// (revision 2 of protocol version 1, plugin.ProtocolRevision): the host sends the rules
// after their pipelines and profile with their places in the rule tree, and gets back the
// whole rendering's files and each rule's own file and diagnostics. `convert -t TARGET -f
// FORMAT` and `--per-rule` write them like the built-in formats' (the per-rule files and
// manifest.json), and `list formats` lists them. A plugin of an earlier revision renders
// no formats, and asking it for one is a usage error that names it
// (cmd/sigmabridge/internal/convert/pluginformat.go). The formats of this package are
// rendered by sigmabridge itself from the built-in backends' queries.
package formats
