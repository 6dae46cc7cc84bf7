// Package cli is rolecall's command line: one file per noun, output.go for table|json
// rendering (-o csv only where a command exports rows: access review, enforce-groups
// --dry-run). Commands reach a server only through package client; only `serve` and the
// offline admin commands (`--db`) open the database, and those call package service rather
// than the store. It may import every internal package but the handler packages under
// server (it starts server itself) and service/enforcegroups: enforce-groups runs through
// the admin API (packages api and client).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/client"
)

// App is one invocation of the CLI: its streams, environment and global flags.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment (tests pass their own).
	Getenv func(string) string

	server string
	token  string
	output string
}

// DefaultServer is where the CLI looks for a server when told nothing.
const DefaultServer = "http://127.0.0.1:8080"

// exitError carries an exit code chosen by a command (e.g. 1 for "aborted by the user").
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// Run runs the CLI with args (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	return a.Run(ctx, args)
}

// Run runs the CLI on this App.
func (a *App) Run(ctx context.Context, args []string) int {
	if a.Getenv == nil {
		a.Getenv = os.Getenv
	}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(a.Stdin)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	asJSON := a.output == "json" || argsAskJSON(args)
	return report(a.Stderr, err, asJSON)
}

func (a *App) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "rolecall",
		Short: "Access control for organizations, clouds and projects, provisioned over SCIM",
		Long: `rolecall is an access-control service: identity providers provision users and groups
over SCIM 2.0, administrators grant roles on the organization, clouds and projects, and
"rolecall scim enforce-groups" moves an organization from per-user grants to group-derived access.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.server, "server", "", "rolecall server URL (env ROLECALL_URL; default "+DefaultServer+")")
	pf.StringVar(&a.token, "token", "", "admin API token (env ROLECALL_TOKEN)")
	pf.StringVarP(&a.output, "output", "o", "table", "output format: table (or text) or json (csv for access review, scim enforce-groups --dry-run and scim drift)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		a.output = strings.ToLower(a.output)
		switch a.output {
		case "table", "json":
			return nil
		case "text":
			a.output = "table"
			return nil
		case "csv":
			// CSV is for the exports that are tables of rows; elsewhere it would be a lie.
			if cmd.Annotations[csvAnnotation] != "" {
				return nil
			}
			return fmt.Errorf("--output csv is written by rolecall access review, rolecall scim enforce-groups --dry-run and rolecall scim drift only; use table or json here")
		}
		return fmt.Errorf("--output %q: use table or json (or csv for access review, scim enforce-groups --dry-run and scim drift)", a.output)
	}
	root.AddCommand(a.serveCommand(), a.versionCommand(), a.tokenCommand(), a.orgCommand())
	for _, add := range extraCommands {
		root.AddCommand(add(a))
	}
	refuseUnknownSubcommands(root)
	return root
}

// extraCommands lets each noun's file register its command from an init function, so that
// adding a noun touches one file.
var extraCommands []func(*App) *cobra.Command

// client returns an admin API client from --server/--token or the environment.
func (a *App) client() (*client.Client, error) {
	server := firstNonEmpty(a.server, a.Getenv("ROLECALL_URL"), DefaultServer)
	tok := firstNonEmpty(a.token, a.Getenv("ROLECALL_TOKEN"))
	if tok == "" {
		return nil, errors.New("no token: pass --token or set ROLECALL_TOKEN (an admin token; `rolecall serve` prints one on first start, `rolecall token create --db …` makes another)")
	}
	return client.New(server, tok)
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if strings.TrimSpace(x) != "" {
			return strings.TrimSpace(x)
		}
	}
	return ""
}

// csvAnnotation marks the commands that write --output csv.
const csvAnnotation = "rolecall/csv"

// csv reports whether --output csv was asked for (only commands marked with csvAnnotation
// get this far with it).
func (a *App) csv() bool { return a.output == "csv" }

// json reports whether --output json was asked for.
func (a *App) json() bool { return a.output == "json" }
