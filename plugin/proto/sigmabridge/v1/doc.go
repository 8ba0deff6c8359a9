// Package sigmabridgev1 is the generated Go code of version 1 of the sigmabridge plugin
// protocol (sigmabridge.proto), in which the detection IR crosses the process boundary.
// Regenerate it with plugin/proto/generate.sh; the .proto file is frozen once released.
package sigmabridgev1
