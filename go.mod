module github.com/sigmabridge/sigmabridge

go 1.26.8

require (
	github.com/alecthomas/participle v0.7.1 // indirect
	github.com/bradleyjkemp/sigma-go v0.6.6 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/cobra v1.10.2 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
