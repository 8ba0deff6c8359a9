package host_test

import "github.com/sigmabridge/sigmabridge/plugin/host"

func removeTestBuilds() { host.RemoveTestBuilds() }
