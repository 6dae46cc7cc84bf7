package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).eventsCommand) }

// followWait is how long one request of `events tail --follow` waits for news before asking
// again: under the server's bound (a minute), long enough to cost nothing when idle.
const followWait = 30 * time.Second

type tailFlags struct {
	follow bool
	types  string
	after  string
	limit  int
}

func (a *App) eventsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "events", Short: "Read the change feed: every committed change, in order (docs/events.md)"}
	var f tailFlags
	tail := &cobra.Command{
		Use:   "tail [--follow] [--types T1,T2] [--after CURSOR]",
		Short: "Print change events after a cursor, oldest first; --follow keeps printing new ones",
		Long: `Print the org's change events after a cursor (the oldest retained one when --after is not
given), oldest first, then stop — or, with --follow, keep printing each new event as soon as
it commits until interrupted. With -o json each event is one line of CloudEvents 1.0 JSON
(for scripts and pipes); its revision is the cursor to resume from (--after). Works with an
events-scope token (rolecall token create --scope events) as well as an admin one.`,
		Example: `  rolecall events tail
  rolecall events tail --follow --types user.deactivated,grant.revoked -o json
  rolecall events tail --after 1200 -o json > changes.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := client.EventQuery{Limit: f.limit}
			if f.after != "" {
				n, err := strconv.ParseInt(f.after, 10, 64)
				if err != nil || n < 0 {
					return fmt.Errorf("--after %q: use a cursor, the revision of an event printed before (a number)", f.after)
				}
				q.After = &n
			}
			for _, t := range strings.Split(f.types, ",") {
				if t = strings.TrimSpace(t); t != "" {
					q.Types = append(q.Types, t)
				}
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				return a.tailEvents(ctx, c, q, f.follow)
			})
		},
	}
	fl := tail.Flags()
	fl.BoolVarP(&f.follow, "follow", "f", false, "keep printing new events as they commit (until interrupted)")
	fl.StringVar(&f.types, "types", "", "only these event types, comma-separated: user.deactivated, membership.added, grant.revoked… (docs/events.md)")
	fl.StringVar(&f.after, "after", "", "start after this cursor (an event's revision); default: the oldest retained event")
	fl.IntVar(&f.limit, "limit", 1000, "events per request (1 to 10000)")
	cmd.AddCommand(tail)
	return cmd
}

// tailEvents prints pages of the feed until it is caught up (or, following, until ctx
// ends), each event as it arrives.
func (a *App) tailEvents(ctx context.Context, c *client.Client, q client.EventQuery, follow bool) error {
	enc := json.NewEncoder(a.Stdout)
	if !a.json() {
		fmt.Fprintf(a.Stdout, "%-10s %-20s %-28s %-48s %s\n", "REVISION", "TIME", "TYPE", "SUBJECT", "ACTOR")
	}
	for {
		if follow {
			q.Wait = followWait
		}
		page, err := c.Events(ctx, q)
		if err != nil {
			if follow && ctx.Err() != nil {
				return nil // interrupted: a normal end of --follow
			}
			var ae *api.Error
			if errors.As(err, &ae) && ae.Code == api.CodeCursorExpired {
				return fmt.Errorf("%w (run without --after to start at the oldest retained event)", err)
			}
			return err
		}
		for _, ev := range page.Events {
			if a.json() {
				if err := enc.Encode(ev); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(a.Stdout, "%-10s %-20s %-28s %-48s %s\n", ev.Revision, stamp(ev.Time),
				strings.TrimPrefix(ev.Type, "com.rolecall."), ev.Subject, ev.Actor)
			for _, line := range accessLines(ev.Data, maxTailAccessLines) {
				fmt.Fprintf(a.Stdout, "%10s %s\n", "", line)
			}
		}
		next, err := strconv.ParseInt(page.Next, 10, 64)
		if err != nil {
			return fmt.Errorf("the server answered a cursor that is not a number (%q): is it a rolecall server?", page.Next)
		}
		q.After = &next
		if !follow && page.Next == page.Revision {
			return nil // caught up
		}
	}
}

// maxTailAccessLines bounds the role changes `events tail` prints under one event; -o json
// has them all.
const maxTailAccessLines = 5

// accessLines are an event's effective-role changes (data.access, docs/events.md) as
// `events tail` prints them under the event: "alice  project billing  none → collaborator",
// at most max of them and then how many more. An event without access prints none.
func accessLines(data json.RawMessage, max int) []string {
	var d struct {
		Access *struct {
			Changes []struct {
				UserName     string `json:"userName"`
				ResourceKind string `json:"resourceKind"`
				ResourceName string `json:"resourceName"`
				Before       string `json:"before"`
				After        string `json:"after"`
			} `json:"changes"`
			Omitted int `json:"omitted"`
		} `json:"access"`
	}
	if json.Unmarshal(data, &d) != nil || d.Access == nil {
		return nil
	}
	var out []string
	for i, c := range d.Access.Changes {
		if i == max {
			break
		}
		out = append(out, fmt.Sprintf("%s  %s %s  %s → %s", c.UserName, c.ResourceKind, c.ResourceName, c.Before, c.After))
	}
	if more := len(d.Access.Changes) - len(out) + d.Access.Omitted; more > 0 {
		out = append(out, fmt.Sprintf("… and %d more role changes (-o json lists them)", more))
	}
	return out
}
