// Package example holds example third-party plugins: each is its own main package that
// uses only the public plugin API (plugin and translator/ir), as code outside this module
// would. cmd/sigmabridge-plugin-kql renders a subset of Sigma as Kusto (KQL) queries.
package example
