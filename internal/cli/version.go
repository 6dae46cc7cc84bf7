package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X github.com/rolecall/rolecall/internal/cli.version=v1.2.3".
var version = ""

// Version returns the build's version: the ldflags value, else the module version, else
// the VCS revision, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

func (a *App) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.json() {
				return printJSON(a.Stdout, map[string]string{"version": Version(), "go": runtime.Version()})
			}
			_, err := fmt.Fprintf(a.Stdout, "rolecall %s (%s)\n", Version(), runtime.Version())
			return err
		},
	}
}
