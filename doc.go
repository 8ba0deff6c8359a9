// Package sigmabridge is the application layer: what every command does, in reach of a
// library user. It loads rules (the built-in pack or files), prepares them for a target
// with the organisation profile and processing pipelines (Setup, Prepare), and hands them
// to a backend (Convert, ConvertThroughPlugins) or a detector (LoadDetector), in process or
// through the plugin host. The commands under cmd/ only parse flags, print and choose exit
// codes.
//
// It also embeds the rule pack's sample logs (PackSamples), so the binary can test the
// built-in pack with no files around it; the rules themselves are embedded by package rules.
package sigmabridge
