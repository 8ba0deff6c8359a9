//go:build !linux

package plugin_test

import "time"

func selfCPU() time.Duration       { return 0 }
func processCPU(int) time.Duration { return 0 }
