package main

import (
	"flag"
	"fmt"
	"os"
)

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  scanbench gen -n N -o FILE             write N CloudTrail JSON lines (deterministic)
  scanbench sigmago -rules DIR FILE      scan FILE with sigma-go v0.6.6 (one process, as a user would)
  scanbench subset -rules DIR -o DIR FILE   copy the rules sigma-go evaluates without error on FILE
  scanbench pluginstart -bin SIGMABRIDGE -n N   time the start of the built-in detector plugin
  scanbench run -bin SIGMABRIDGE [flags] the whole benchmark (see bench/scan.sh)
`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		fs := flag.NewFlagSet("gen", flag.ExitOnError)
		n := fs.Int("n", 200000, "events")
		out := fs.String("o", "", "output file")
		_ = fs.Parse(os.Args[2:])
		err = genFile(*out, *n)
	case "sigmago":
		err = sigmaGoMain(os.Args[2:])
	case "subset":
		err = subsetMain(os.Args[2:])
	case "pluginstart":
		err = pluginStartMain(os.Args[2:])
	case "run":
		err = runMain(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scanbench:", err)
		os.Exit(1)
	}
}

func genFile(path string, n int) error {
	if path == "" {
		return fmt.Errorf("gen: -o is required")
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := writeEvents(f, n); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
