// Package rules is the sigmabridge T1648 (Serverless Execution) Sigma rule pack for AWS, Azure,
// Google Cloud, Microsoft 365 / Power Platform and Google Workspace.
// It embeds the YAML rule files so the sigmabridge binary ships the pack with no files around it.
package rules
