package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).auditCommand) }

type auditFlags struct {
	since, until, actor, action, target string
	offset, limit                       int
}

// parseWhen reads an RFC 3339 time or a duration meaning "that long ago" (e.g. 24h).
func parseWhen(flag, v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--%s %q: use an RFC 3339 time (2025-01-31T09:00:00Z), a date (2025-01-31) or a duration ago (24h)", flag, v)
}

// parseTarget reads --target: "TYPE/NAME-OR-ID" (e.g. cloud/prod) or a bare name or id.
func parseTarget(v string) (typ, ref string) {
	if t, r, ok := strings.Cut(v, "/"); ok {
		switch t {
		case "cloud", "project", "service_account", "service-account", "user", "group", "grant", "token", "organization":
			return strings.ReplaceAll(t, "-", "_"), r
		}
	}
	return "", v
}

// auditFilter turns the flags into the API filter.
func (f auditFlags) filter(now time.Time) (api.AuditFilter, error) {
	since, err := parseWhen("since", f.since, now)
	if err != nil {
		return api.AuditFilter{}, err
	}
	until, err := parseWhen("until", f.until, now)
	if err != nil {
		return api.AuditFilter{}, err
	}
	typ, target := parseTarget(f.target)
	return api.AuditFilter{Since: since, Until: until, Actor: f.actor, Action: f.action, TargetType: typ, Target: target,
		Page: api.Page{Offset: f.offset, Limit: f.limit}}, nil
}

func (a *App) auditCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read the audit log: every change, who made it, before and after"}
	var f auditFlags
	list := &cobra.Command{
		Use:   "list [--since T] [--until T] [--actor A] [--action A[,PREFIX.]] [--target NAME|TYPE/NAME|ID]",
		Short: "List audit events, newest first, one line each",
		Long: `List audit events, newest first, one page at a time (--limit, --offset), each with a
one-line summary ("okta deactivated alice@example.com").

--action takes an action (grant.create), a prefix ending in "." or "*" (enforce. is every
enforce event) or a comma-separated list of both. --target takes a plain name — a user's
userName, a group, cloud, project, token or service account name — or an id, or TYPE/NAME
when a name is ambiguous; for a user, group or service account it also finds the grants to
and from it. Names are recorded as events are written, so deleted objects are found too.

With -o json it prints the API's list document: {"items": [events with summary, target,
targetName, before/after], "total": N}.`,
		Example: `  rolecall audit list --since 24h --action grant.create
  rolecall audit list --action enforce.,org.settings.update
  rolecall audit list --target alice@example.com
  rolecall audit list --target cloud/prod
  rolecall audit list --actor okta -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			af, err := f.filter(time.Now().UTC())
			if err != nil {
				return err
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.ListAudit(ctx, af)
				if err != nil {
					return err
				}
				out.Items = nonNilSlice(out.Items)
				return a.printed(out, func() error {
					t := newTable(a.Stdout, "SEQ", "TIME", "ACTION", "SUMMARY")
					for _, e := range out.Items {
						t.row(strconv.FormatInt(e.Seq, 10), stamp(e.Time), e.Action, e.Summary)
					}
					if err := t.flush(); err != nil {
						return err
					}
					if shown := f.offset + len(out.Items); shown < out.Total {
						fmt.Fprintf(a.Stdout, "(%d of %d events; see more with --offset %d)\n", len(out.Items), out.Total, shown)
					}
					return nil
				})
			})
		},
	}
	fl := list.Flags()
	fl.StringVar(&f.since, "since", "", "only events at or after this time (RFC 3339, a date, or a duration ago such as 24h)")
	fl.StringVar(&f.until, "until", "", "only events before this time (same forms as --since)")
	fl.StringVar(&f.actor, "actor", "", "only events by this actor (a token name, cli, bootstrap, system)")
	fl.StringVar(&f.action, "action", "", "only these actions: grant.create, a prefix such as enforce. or scim.*, or a comma-separated list")
	fl.StringVar(&f.target, "target", "", "only events about this object (and grants to it): a name (alice@example.com, prod), TYPE/NAME (cloud/prod) or an id")
	fl.IntVar(&f.offset, "offset", 0, "skip this many events")
	fl.IntVar(&f.limit, "limit", api.DefaultLimit, fmt.Sprintf("show at most this many events (at most %d)", api.MaxLimit))
	cmd.AddCommand(list, a.auditExportCommand())
	return cmd
}
