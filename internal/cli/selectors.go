package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

// Helpers shared by the admin nouns: principal and resource selectors (--user, --group,
// --service-account; --org, --cloud, --project), shell completion of object names, and
// key/value detail output.

// selectors holds the principal and resource flags of grant, revoke and access commands.
type selectors struct {
	user, group, account string
	org                  bool
	cloud, project       string
}

// addPrincipal adds --user, --group and --service-account (with name completion).
func (a *App) addPrincipal(cmd *cobra.Command, s *selectors, what string) {
	f := cmd.Flags()
	f.StringVar(&s.user, "user", "", what+" a user (id or userName)")
	f.StringVar(&s.group, "group", "", what+" a group (id or displayName)")
	f.StringVar(&s.account, "service-account", "", what+" a service account (id or name)")
	a.completeFlag(cmd, "user", a.userNames)
	a.completeFlag(cmd, "group", a.groupNames)
	a.completeFlag(cmd, "service-account", a.serviceAccountNames)
}

// addResource adds --org, --cloud and --project (with name completion).
func (a *App) addResource(cmd *cobra.Command, s *selectors, what string) {
	f := cmd.Flags()
	f.BoolVar(&s.org, "org", false, what+" the organization")
	f.StringVar(&s.cloud, "cloud", "", what+" a cloud (id or name)")
	f.StringVar(&s.project, "project", "", what+" a project (id or name)")
	a.completeFlag(cmd, "cloud", a.cloudNames)
	a.completeFlag(cmd, "project", a.projectNames)
}

// principal returns the chosen principal; required means exactly one must be chosen.
func (s selectors) principal(required bool) (typ, ref string, err error) {
	n := 0
	for _, c := range []struct{ t, v string }{{api.PrincipalUser, s.user}, {api.PrincipalGroup, s.group}, {api.PrincipalServiceAccount, s.account}} {
		if c.v != "" {
			typ, ref = c.t, c.v
			n++
		}
	}
	if n > 1 || (required && n == 0) {
		return "", "", errors.New("choose exactly one of --user, --group or --service-account")
	}
	return typ, ref, nil
}

// resource returns the chosen resource; required means exactly one must be chosen.
func (s selectors) resource(required bool) (kind, ref string, err error) {
	n := 0
	if s.org {
		kind, n = api.KindOrganization, 1
	}
	for _, c := range []struct{ k, v string }{{api.KindCloud, s.cloud}, {api.KindProject, s.project}} {
		if c.v != "" {
			kind, ref = c.k, c.v
			n++
		}
	}
	if n > 1 || (required && n == 0) {
		return "", "", errors.New("choose exactly one of --org, --cloud or --project")
	}
	return kind, ref, nil
}

// describeResource names a resource for messages: "the organization", "cloud prod".
func describeResource(kind, name string) string {
	if kind == api.KindOrganization {
		return "the organization"
	}
	return kind + " " + name
}

// describePrincipal names a principal for messages: "user alice", "service account ci".
func describePrincipal(typ, name string) string {
	return strings.ReplaceAll(typ, "_", " ") + " " + name
}

// completeFlag registers name completion for a flag.
func (a *App) completeFlag(cmd *cobra.Command, flag string, names func(context.Context, *client.Client) ([]string, error)) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		return a.complete(cmd, prefix, names)
	})
}

// completeArg completes the first positional argument with names.
func (a *App) completeArg(names func(context.Context, *client.Client) ([]string, error)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return a.complete(cmd, prefix, names)
	}
}

// complete asks the server for names; without a reachable server it completes nothing
// rather than failing the shell.
func (a *App) complete(cmd *cobra.Command, prefix string, names func(context.Context, *client.Client) ([]string, error)) ([]string, cobra.ShellCompDirective) {
	c, err := a.client()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 3*time.Second)
	defer cancel()
	all, err := names(ctx, c)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, n := range all {
		if strings.HasPrefix(strings.ToLower(n), strings.ToLower(prefix)) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func (a *App) cloudNames(ctx context.Context, c *client.Client) ([]string, error) {
	cs, err := c.ListClouds(ctx)
	names := make([]string, len(cs))
	for i, x := range cs {
		names[i] = x.Name
	}
	return names, err
}

func (a *App) projectNames(ctx context.Context, c *client.Client) ([]string, error) {
	ps, err := c.ListProjects(ctx, "")
	names := make([]string, len(ps))
	for i, x := range ps {
		names[i] = x.Name
	}
	return names, err
}

func (a *App) serviceAccountNames(ctx context.Context, c *client.Client) ([]string, error) {
	sas, err := c.ListServiceAccounts(ctx)
	names := make([]string, len(sas))
	for i, x := range sas {
		names[i] = x.Name
	}
	return names, err
}

// userNames completes from the first page of users only: an org may hold 100,000.
func (a *App) userNames(ctx context.Context, c *client.Client) ([]string, error) {
	l, err := c.ListUsers(ctx, "", api.Page{Limit: api.MaxLimit})
	names := make([]string, len(l.Items))
	for i, x := range l.Items {
		names[i] = x.UserName
	}
	return names, err
}

func (a *App) groupNames(ctx context.Context, c *client.Client) ([]string, error) {
	l, err := c.ListGroups(ctx, "", api.Page{Limit: api.MaxLimit})
	names := make([]string, len(l.Items))
	for i, x := range l.Items {
		names[i] = x.DisplayName
	}
	return names, err
}

// details prints "Key:  value" lines, aligned, for one object.
type details struct{ tw *tabwriter.Writer }

func newDetails(w io.Writer) *details {
	return &details{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

func (d *details) field(key, value string) {
	if value == "" {
		value = "-"
	}
	fmt.Fprintf(d.tw, "%s:\t%s\n", key, value)
}

func (d *details) flush() error { return d.tw.Flush() }

// stamp formats a time for tables.
func stamp(t time.Time) string { return when(&t) }

// withClient runs fn with an admin API client.
func (a *App) withClient(cmd *cobra.Command, fn func(ctx context.Context, c *client.Client) error) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	return fn(cmd.Context(), c)
}

// printed prints v as JSON with -o json, else runs human.
func (a *App) printed(v any, human func() error) error {
	if a.json() {
		return printJSON(a.Stdout, v)
	}
	return human()
}
