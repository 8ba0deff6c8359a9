// Command scanbench is the end-to-end benchmark of `sigmabridge scan`: it generates
// CloudTrail events, times the sigmabridge CLI (in process and through the detector
// plugin, on one core and unpinned), sigma-go v0.6.6 on the pack rules it can evaluate,
// plugin start and `sigmabridge check`, and prints a Markdown table. bench/scan.sh builds
// it and runs it; see that script for the flags.
package main
