package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sigmabridge/sigmabridge/cmd/sigmabridge/internal/cli"
	"github.com/sigmabridge/sigmabridge/internal/esclient"
	"github.com/sigmabridge/sigmabridge/plugin/host"
	"github.com/sigmabridge/sigmabridge/serve"
)

// DefaultAddr is where the playground listens without --addr.
const DefaultAddr = "127.0.0.1:8080"

// Options are the flags of `sigmabridge serve`.
type Options struct {
	Addr        string
	AllowRemote bool
	ES          string
	Profile     string
	PluginDir   string

	Stdout io.Writer
	Stderr io.Writer
	// Ready, when set, receives the address listened on once the server accepts
	// connections (tests listen on port 0).
	Ready func(addr string)
	// Stop, when set, stops the server when closed (tests); otherwise SIGINT and SIGTERM do.
	Stop <-chan struct{}
}

// NewCommand returns the cobra command.
func NewCommand() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080] [--allow-remote] [--es URL] [--plugin-dir DIR] [--profile FILE]",
		Short: "Serve a local rule playground: every target, lint and matching events",
		Long: `Serve a single-page rule playground from the binary: a Sigma editor with lint findings
at their line and column, the queries of every target side by side with their diagnostics,
built-in or pasted pipelines, and pasted events in any --input format with the events the
rule matches, the selections that matched and the fields they read. A share link keeps
the rule, the pipelines and the events in the URL fragment; nothing is stored.

The page and its JSON API (/api/, see the README) listen on loopback by default. The
playground has no authentication: an address that is not loopback is refused unless
--allow-remote is given. With --es URL, a button runs the Lucene, DSL and ES|QL forms on
the pasted events in a throwaway index of that node (credentials from ELASTIC_API_KEY or
ELASTIC_USERNAME and ELASTIC_PASSWORD). External backend plugins pinned in the plugin
directory (see 'sigmabridge plugins') convert beside the built-in targets.

Exit status: 0 stopped by a signal, 1 the server failed, 2 usage.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Stdout = cmd.OutOrStdout()
			o.Stderr = cmd.ErrOrStderr()
			return cli.Exit(Run(o))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", DefaultAddr, "address to listen on (host:port)")
	f.BoolVar(&o.AllowRemote, "allow-remote", false, "allow an address that is not loopback (the playground has no authentication)")
	f.StringVar(&o.ES, "es", "", "Elasticsearch URL for the live-node button (optional)")
	f.StringVar(&o.PluginDir, "plugin-dir", "", "directory of external plugins whose pinned backends convert beside the built-in targets (default $"+host.DirEnv+", then <user config dir>/sigmabridge/plugins)")
	cli.AddProfileFlag(f, &o.Profile)
	return cmd
}

// Run serves until stopped and returns the exit code. A returned error is a usage error.
func Run(o *Options) (int, error) {
	if err := serve.CheckAddr(o.Addr, o.AllowRemote); err != nil {
		return cli.ExitUsage, cli.Usagef("%v", err)
	}
	prof, err := cli.LoadProfile(o.Profile)
	if err != nil {
		return cli.ExitUsage, err
	}
	cfg := serve.Config{Profile: prof}
	if o.ES != "" {
		c, err := esclient.New(esclient.Config{
			URL: o.ES, APIKey: os.Getenv("ELASTIC_API_KEY"),
			Username: os.Getenv("ELASTIC_USERNAME"), Password: os.Getenv("ELASTIC_PASSWORD"),
			RequestTimeout: 20 * time.Second,
		})
		if err != nil {
			return cli.ExitUsage, cli.Usagef("--es: %v", err)
		}
		cfg.ES = c
	}
	dir, err := host.ResolveDir(o.PluginDir)
	if err != nil {
		return cli.ExitUsage, cli.Usagef("%v", err)
	}
	plugins, err := host.New(host.Config{Dir: dir})
	if err != nil {
		return cli.ExitUsage, cli.Usagef("%v", err)
	}
	defer plugins.Close()
	for _, p := range plugins.Problems() {
		fmt.Fprintf(o.Stderr, "sigmabridge serve: %s\n", cli.Printable(p.Error()))
	}
	if len(plugins.Specs()) > 0 {
		cfg.Plugins = plugins
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		fmt.Fprintf(o.Stderr, "sigmabridge serve: %s\n", cli.Printable(err.Error()))
		return cli.ExitFailure, nil
	}
	srv := serve.HTTPServer(o.Addr, serve.New(cfg))
	addr := ln.Addr().String()
	fmt.Fprintf(o.Stdout, "sigmabridge playground on http://%s/ (Ctrl-C stops it)\n", addr)
	if o.Ready != nil {
		o.Ready(addr)
	}

	stop := o.Stop
	if stop == nil {
		ch := make(chan struct{})
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sig)
		go func() { <-sig; close(ch) }()
		stop = ch
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(o.Stderr, "sigmabridge serve: %s\n", cli.Printable(err.Error()))
		return cli.ExitFailure, nil
	case <-stop:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(o.Stderr, "sigmabridge serve: %s\n", cli.Printable(err.Error()))
	}
	return cli.ExitOK, nil
}
