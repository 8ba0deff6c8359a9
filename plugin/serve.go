package plugin

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ServeOpts says what a plugin binary serves.
type ServeOpts struct {
	// Backend, if set, is served as the "backend" kind.
	Backend Backend
	// Detector, if set, is served as the "detector" kind.
	Detector Detector
	// Logger receives the plugin's own log lines. The default writes JSON to stderr at
	// Info level, which the host re-emits under the plugin's name. Create a custom logger
	// before calling Serve and never write to stdout: the handshake owns it.
	Logger hclog.Logger
}

// Serve serves the plugin over gRPC until the host stops it. A plugin's main calls it once
// and returns when it returns. Run by hand, outside a host, it explains that the binary is
// a plugin and exits with status 1.
//
// Serve also exits the process when the host disappears without stopping it (the host
// was killed): the plugin checks its parent process id once a second, in addition to the
// parent-death signal the host sets on Linux.
func Serve(opts *ServeOpts) error {
	if opts == nil || (opts.Backend == nil && opts.Detector == nil) {
		return errors.New("plugin.Serve: nothing to serve (set Backend or Detector)")
	}
	logger := opts.Logger
	if logger == nil {
		logger = NewLogger(filepath.Base(os.Args[0]))
	}
	if os.Getenv(Handshake().MagicCookieKey) == Handshake().MagicCookieValue {
		go exitWhenOrphaned(logger, os.Getppid())
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  Handshake(),
		VersionedPlugins: servePluginSets(opts.Backend, opts.Detector),
		GRPCServer:       newGRPCServer,
		Logger:           logger,
	})
	return nil
}

// NewLogger returns the logger Serve uses by default: JSON lines on stderr, which the host
// parses and re-emits with their levels.
func NewLogger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.Info,
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts, serverTransportOptions()...)
	return goplugin.DefaultGRPCServer(opts)
}

// exitWhenOrphaned exits the process once its parent has changed, which means the host
// died without stopping the plugin.
func exitWhenOrphaned(logger hclog.Logger, parent int) {
	for {
		time.Sleep(time.Second)
		if os.Getppid() != parent {
			logger.Error("host process is gone; exiting", "host_pid", parent)
			os.Exit(2)
		}
	}
}
