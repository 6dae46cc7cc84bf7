package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).webhookCommand) }

// exitNotDelivered is the exit status of `webhook test` and `webhook redeliver --event` when
// the receiver did not take the event (no 2xx): the attempt was made and logged, and a
// script checking a receiver must see that it failed.
const exitNotDelivered = 1

// webhookCommand manages the org's webhook endpoints through the admin API: each receives
// the org's change events, signed, in order, at least once (docs/webhooks.md).
func (a *App) webhookCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Push change events to your endpoints: add, list, update, delete, rotate the secret, read the delivery log, redeliver, test",
		Long: `A webhook endpoint receives the organization's change events (docs/events.md) as they commit:
POSTed one at a time, in order, signed per Standard Webhooks with the endpoint's secret (shown
once), retried for about three days until it answers 2xx. See docs/webhooks.md.`,
	}
	cmd.AddCommand(a.webhookAdd(), a.webhookList(), a.webhookShow(), a.webhookUpdate(), a.webhookDelete(),
		a.webhookRotate(), a.webhookDeliveries(), a.webhookRedeliver(), a.webhookTest())
	return cmd
}

// splitList reads a comma-separated flag value; "" is an empty list.
func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (a *App) webhookAdd() *cobra.Command {
	var types, description string
	var disabled bool
	c := &cobra.Command{
		Use:   "add URL [--types a,b] [--description TEXT]",
		Short: "Add an endpoint; prints its signing secret, which is shown only this once",
		Example: `  rolecall webhook add https://platform.example.com/rolecall/events
  rolecall webhook add https://platform.example.com/hooks --types user.deactivated,user.removed,grant.revoked --description "session killer"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := api.CreateWebhookRequest{URL: args[0], Types: splitList(types), Description: description, Disabled: disabled}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.CreateWebhook(ctx, req)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					fmt.Fprintf(a.Stdout, "Added webhook %s → %s\n", out.Endpoint.ID, out.Endpoint.URL)
					fmt.Fprintf(a.Stdout, "  types: %s\n", webhookTypesText(out.Endpoint.Types))
					if !out.Endpoint.Enabled {
						fmt.Fprintf(a.Stdout, "  disabled: enable it with rolecall webhook update %s --enable\n", out.Endpoint.ID)
					}
					_, err := fmt.Fprintf(a.Stdout, "Signing secret (shown once: it will not be shown again; keep it in the receiver):\n%s\n", out.Secret)
					return err
				})
			})
		},
	}
	c.Flags().StringVar(&types, "types", "", "event types to deliver, comma-separated, full or short (user.deactivated); default every type")
	c.Flags().StringVar(&description, "description", "", "what the endpoint is for")
	c.Flags().BoolVar(&disabled, "disabled", false, "add it turned off (enable it later with update --enable)")
	return c
}

func webhookTypesText(ts []string) string {
	if len(ts) == 0 {
		return "every type"
	}
	return strings.Join(ts, ", ")
}

// webhookStatus is an endpoint's status in one word or two: enabled, failing (N attempts),
// disabled (reason).
func webhookStatus(e api.WebhookEndpoint) string {
	switch {
	case !e.Enabled:
		return "disabled (" + e.DisabledReason + ")"
	case e.Attempts > 0:
		return fmt.Sprintf("failing (%d attempts)", e.Attempts)
	}
	return "enabled"
}

func (a *App) webhookList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the endpoints: status, why one is disabled, backlog, last delivery",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.Webhooks(ctx)
				if err != nil {
					return err
				}
				return a.printed(api.List[api.WebhookEndpoint]{Items: nonNilSlice(out), Total: len(out)}, func() error {
					t := newTable(a.Stdout, "ID", "URL", "TYPES", "STATUS", "BACKLOG", "LAST DELIVERY")
					for _, e := range out {
						t.row(e.ID, e.URL, webhookTypesText(e.Types), webhookStatus(e), strconv.FormatInt(max(e.Revision-e.Cursor, 0), 10), when(e.LastDeliveredAt))
					}
					return t.flush()
				})
			})
		},
	}
}

// printWebhook writes an endpoint as "key: value" lines.
func printWebhook(w io.Writer, e api.WebhookEndpoint) error {
	t := newTable(w, "ID:", e.ID)
	t.row("URL:", e.URL)
	t.row("Description:", e.Description)
	t.row("Types:", webhookTypesText(e.Types))
	t.row("Status:", webhookStatus(e))
	t.row("Delivered up to:", fmt.Sprintf("revision %d of %d", e.Cursor, e.Revision))
	if e.Attempts > 0 {
		t.row("Failing since:", when(e.FailingSince))
		t.row("Next attempt:", when(e.NextAttemptAt))
	}
	t.row("Last delivery:", when(e.LastDeliveredAt))
	if e.PreviousSecretExpiresAt != nil {
		t.row("Previous secret:", "signs until "+when(e.PreviousSecretExpiresAt))
	}
	t.row("Created:", when(&e.CreatedAt)+" by "+e.CreatedBy)
	return t.flush()
}

func (a *App) webhookShow() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one endpoint and its delivery state",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.Webhook(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(out, func() error { return printWebhook(a.Stdout, out) })
			})
		},
	}
}

func (a *App) webhookUpdate() *cobra.Command {
	var url, types, description string
	var enable, disable bool
	c := &cobra.Command{
		Use:   "update ID [--url URL] [--types a,b] [--description TEXT] [--enable|--disable]",
		Short: "Change an endpoint; --enable resumes a disabled one where it stopped",
		Example: `  rolecall webhook update 3c0e… --disable
  rolecall webhook update 3c0e… --enable
  rolecall webhook update 3c0e… --types ""        # every type again`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req api.UpdateWebhookRequest
			f := cmd.Flags()
			if f.Changed("url") {
				req.URL = &url
			}
			if f.Changed("types") {
				ts := splitList(types)
				req.Types = &ts
			}
			if f.Changed("description") {
				req.Description = &description
			}
			switch {
			case enable && disable:
				return errors.New("--enable and --disable contradict each other: give one")
			case enable || disable:
				req.Enabled = &enable
			}
			if req == (api.UpdateWebhookRequest{}) {
				return errors.New("nothing to change: give --url, --types, --description, --enable or --disable")
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.UpdateWebhook(ctx, args[0], req)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					fmt.Fprintf(a.Stdout, "Updated webhook %s.\n", out.ID)
					return printWebhook(a.Stdout, out)
				})
			})
		},
	}
	c.Flags().StringVar(&url, "url", "", "the new URL")
	c.Flags().StringVar(&types, "types", "", `event types, comma-separated ("" for every type)`)
	c.Flags().StringVar(&description, "description", "", "the new description")
	c.Flags().BoolVar(&enable, "enable", false, "turn it on: delivery resumes where it stopped")
	c.Flags().BoolVar(&disable, "disable", false, "turn it off: it keeps its place in the stream")
	return c
}

func (a *App) webhookDelete() *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete an endpoint and its delivery log (asks first; --yes to skip)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				if !yes {
					e, err := c.Webhook(ctx, args[0])
					if err != nil {
						return err
					}
					pending := ""
					if n := e.Revision - e.Cursor; n > 0 {
						pending = fmt.Sprintf(" Up to %d event(s) not delivered yet will never be.", n)
					}
					if err := a.ask(fmt.Sprintf("Delete webhook %s (%s)? Nothing more is sent to it and its delivery log goes with it.%s [y/N]: ", e.ID, e.URL, pending),
						"stdin is not a terminal: pass --yes to delete the webhook without a prompt",
						"Aborted: nothing was deleted."); err != nil {
						return err
					}
				}
				out, err := c.DeleteWebhook(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					_, err := fmt.Fprintf(a.Stdout, "Deleted webhook %s (%s).\n", out.ID, out.URL)
					return err
				})
			})
		},
	}
	c.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking (needed when stdin is not a terminal, and with -o json)")
	return c
}

func (a *App) webhookRotate() *cobra.Command {
	var now bool
	c := &cobra.Command{
		Use:   "rotate-secret ID [--expire-previous-now]",
		Short: "Give an endpoint a new signing secret, shown once; the old one keeps signing for 24 hours",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.RotateWebhookSecret(ctx, args[0], api.RotateWebhookSecretRequest{ExpirePreviousNow: now})
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					fmt.Fprintf(a.Stdout, "New signing secret of webhook %s (shown once: it will not be shown again; keep it in the receiver):\n%s\n", out.Endpoint.ID, out.Secret)
					if p := out.Endpoint.PreviousSecretExpiresAt; p != nil {
						_, err := fmt.Fprintf(a.Stdout, "Deliveries are signed with the previous secret too until %s: switch the receiver before then.\n", when(p))
						return err
					}
					_, err := fmt.Fprintln(a.Stdout, "The previous secret no longer signs anything.")
					return err
				})
			})
		},
	}
	c.Flags().BoolVar(&now, "expire-previous-now", false, "stop signing with the previous secret at once (it leaked)")
	return c
}

// latencyText shows a latency in milliseconds.
func latencyText(ms float64) string {
	return (time.Duration(ms * float64(time.Millisecond))).Round(100 * time.Microsecond).String()
}

// statusText is an attempt's HTTP status, or "-" when there was no answer.
func statusText(s int) string {
	if s == 0 {
		return ""
	}
	return strconv.Itoa(s)
}

func (a *App) webhookDeliveries() *cobra.Command {
	var event string
	var limit int
	var before int64
	c := &cobra.Command{
		Use:   "deliveries ID [--event EVENT-ID] [--limit N] [-o json]",
		Short: "The endpoint's delivery log, newest first: attempt, time, status, outcome, latency, error",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 || limit > 1000 {
				return errors.New("--limit must be 1 to 1000")
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.WebhookDeliveries(ctx, args[0], before, event, limit)
				if err != nil {
					return err
				}
				return a.printed(out, func() error {
					t := newTable(a.Stdout, "ATTEMPT", "TIME", "EVENT", "REVISION", "TYPE", "STATUS", "OUTCOME", "LATENCY", "ERROR")
					for _, d := range out.Items {
						attempt := strconv.Itoa(d.Attempt)
						if d.Manual {
							attempt += " (manual)"
						}
						rev := ""
						if d.EventSeq > 0 {
							rev = strconv.FormatInt(d.EventSeq, 10)
						}
						t.row(attempt, when(&d.At), d.EventID, rev, d.EventType, statusText(d.Status), d.Outcome, latencyText(d.LatencyMS), d.Error)
					}
					if err := t.flush(); err != nil {
						return err
					}
					if out.Next > 0 {
						_, err := fmt.Fprintf(a.Stdout, "Older attempts: rolecall webhook deliveries %s --before %d\n", args[0], out.Next)
						return err
					}
					return nil
				})
			})
		},
	}
	c.Flags().StringVar(&event, "event", "", "only this event's attempts (its id, the webhook-id header)")
	c.Flags().IntVar(&limit, "limit", 100, "at most this many lines (1 to 1000)")
	c.Flags().Int64Var(&before, "before", 0, "the next (older) page: the number the previous page printed")
	return c
}

// printAttempt says how one synchronous attempt went, and fails the command when the event
// was not delivered.
func (a *App) printAttempt(what string, d api.WebhookDelivery) error {
	answer := "no answer"
	if d.Status != 0 {
		answer = "HTTP " + strconv.Itoa(d.Status)
	}
	fmt.Fprintf(a.Stdout, "%s: %s in %s, %s.\n", what, answer, latencyText(d.LatencyMS), d.Outcome)
	if d.Outcome != "delivered" {
		msg := "the receiver did not take it"
		if d.Error != "" {
			msg += ": " + d.Error
		} else if d.Answer != "" {
			msg += "; it answered: " + d.Answer
		}
		return &exitError{code: exitNotDelivered, msg: msg}
	}
	return nil
}

func (a *App) webhookRedeliver() *cobra.Command {
	var event string
	var revision, from int64
	c := &cobra.Command{
		Use:   "redeliver ID (--event EVENT-ID | --revision N | --from-revision N)",
		Short: "Send one event again now, or replay every event after a revision in order",
		Long: `With --event (or --revision), send that one event again now, synchronously, outside the
ordered stream, and print how the receiver answered (exit status 1 when it did not take it).
With --from-revision, move the endpoint's place in the stream back: every retained event after
that revision is delivered again, in order.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req api.RedeliverRequest
			n := 0
			if event != "" {
				req.EventID, n = event, n+1
			}
			if cmd.Flags().Changed("revision") {
				req.Revision, n = revision, n+1
			}
			if cmd.Flags().Changed("from-revision") {
				req.FromRevision, n = &from, n+1
			}
			if n != 1 {
				return errors.New("give exactly one of --event, --revision or --from-revision")
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.Redeliver(ctx, args[0], req)
				if err != nil {
					return err
				}
				if a.json() {
					if err := printJSON(a.Stdout, out); err != nil {
						return err
					}
					if out.Delivery != nil && out.Delivery.Outcome != "delivered" {
						return &exitError{code: exitNotDelivered, msg: "the receiver did not take it"}
					}
					return nil
				}
				if out.Delivery != nil {
					return a.printAttempt("Redelivered event "+out.Delivery.EventID, *out.Delivery)
				}
				_, err = fmt.Fprintf(a.Stdout, "Replaying webhook %s from revision %d: every retained event after it is delivered again, in order.\n", args[0], from)
				return err
			})
		},
	}
	c.Flags().StringVar(&event, "event", "", "the event's id (the webhook-id header; see deliveries or events tail)")
	c.Flags().Int64Var(&revision, "revision", 0, "the event's revision, instead of its id")
	c.Flags().Int64Var(&from, "from-revision", 0, "replay every event after this revision, in order")
	return c
}

func (a *App) webhookTest() *cobra.Command {
	return &cobra.Command{
		Use:   "test ID",
		Short: "Send a com.rolecall.webhook.test event now; prints the receiver's status and latency (exit 1 when not delivered)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				out, err := c.TestWebhook(ctx, args[0])
				if err != nil {
					return err
				}
				if a.json() {
					if err := printJSON(a.Stdout, out); err != nil {
						return err
					}
					if out.Delivery.Outcome != "delivered" {
						return &exitError{code: exitNotDelivered, msg: "the receiver did not take it"}
					}
					return nil
				}
				return a.printAttempt("Sent a test event to webhook "+args[0], out.Delivery)
			})
		},
	}
}
