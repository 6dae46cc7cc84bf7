package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

// exportPage is how many events one request of `audit export` asks for: the API's maximum,
// so that a large log takes few round trips.
const exportPage = api.MaxLimit

// auditExportCommand is `rolecall audit export`: the whole (filtered) log as JSON lines,
// oldest first, for SIEMs and archives. It pages with the API's seq cursor (after=SEQ), so
// events appended while it runs are neither skipped nor repeated, and it writes each page as
// it arrives: memory stays one page whatever the size of the log.
func (a *App) auditExportCommand() *cobra.Command {
	var f auditFlags
	cmd := &cobra.Command{
		Use:   "export [--since T] [--until T] [--actor A] [--action A] [--target TYPE/NAME|ID]",
		Short: "Print audit events as JSON lines, oldest first (for archives and SIEMs)",
		Long: `Print every audit event matching the filters as one JSON object per line, oldest first,
streaming page by page. Each object is the API's audit event (seq, time, actor, action,
targetType, targetId, before, after, requestId). Resume an interrupted export with --since, or
keep the last seq and filter on it downstream.`,
		Example: `  rolecall audit export > audit.jsonl
  rolecall audit export --since 24h --action scim.user.create`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			af, err := f.filter(time.Now().UTC())
			if err != nil {
				return err
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				n, err := exportAudit(ctx, c, af, a.Stdout)
				if err != nil {
					return fmt.Errorf("audit export stopped after %d events: %w", n, err)
				}
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.since, "since", "", "only events at or after this time (RFC 3339, a date, or a duration ago such as 24h)")
	fl.StringVar(&f.until, "until", "", "only events before this time (same forms as --since)")
	fl.StringVar(&f.actor, "actor", "", "only events by this actor (a token name, cli, bootstrap, system)")
	fl.StringVar(&f.action, "action", "", "only this action, e.g. grant.create, scim.user.create")
	fl.StringVar(&f.target, "target", "", "only events about this object: TYPE/NAME or an id")
	return cmd
}

// exportAudit writes the events of af to w as JSON lines, oldest first, and returns how
// many it wrote. The cursor needs a starting seq: the oldest matching event is the last one
// of the newest-first list, found with one count and one single-item request.
func exportAudit(ctx context.Context, c *client.Client, af api.AuditFilter, out interface{ Write([]byte) (int, error) }) (int, error) {
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	n := 0
	write := func(es []api.AuditEvent) error {
		for _, e := range es {
			if err := enc.Encode(e); err != nil {
				return err
			}
			n++
		}
		return w.Flush()
	}
	af.After, af.Page = 0, api.Page{Limit: 1}
	first, err := c.ListAudit(ctx, af)
	if err != nil || first.Total == 0 {
		return 0, err
	}
	af.Page.Offset = first.Total - 1
	oldest, err := c.ListAudit(ctx, af)
	if err != nil {
		return 0, err
	}
	if len(oldest.Items) == 0 {
		return 0, nil
	}
	if err := write(oldest.Items); err != nil {
		return n, err
	}
	af.After, af.Page = oldest.Items[0].Seq, api.Page{Limit: exportPage}
	for {
		page, err := c.ListAudit(ctx, af)
		if err != nil {
			return n, err
		}
		if err := write(page.Items); err != nil {
			return n, err
		}
		if len(page.Items) < exportPage {
			return n, nil
		}
		af.After = page.Items[len(page.Items)-1].Seq
	}
}
