// Package rules is the sigmabridge T1648 (Serverless Execution) Sigma rule pack for AWS, Azure,
// Google Cloud, Microsoft 365 / Power Platform and Google Workspace.
// It embeds the YAML rule files so the sigmabridge binary ships the pack with no files around it.
//
// # Licence
//
// The rules are the sigmabridge project's own work (author: sigmabridge project): none is
// copied or adapted from the SigmaHQ rule repository or another rule set; the references to
// SigmaHQ in the correlation rules name the Sigma correlation specification, not rules. They
// are licensed under the Detection Rule License 1.1 (LICENSE.Detection.Rules.md, embedded
// as License), the licence of the SigmaHQ rules and the Sigma community's norm, so that they
// can be shared and mixed with other Sigma rules on the same terms. The DRL asks that the
// author field, a link to the rule set and the licence travel with the rules, and that
// matches name the author: the Splunk app ships the licence as LICENSE.txt and each saved
// search's annotations carry the author; each Elastic rule has author and license set.
package rules
