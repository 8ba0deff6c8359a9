// Package serve implements `sigmabridge serve`: the rule playground of package serve on a
// local address. It parses flags, refuses a non-loopback address without --allow-remote
// (exit 2), loads the organisation profile and, with --es, connects to a node.
package serve
