package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// tokenFlags select where a token command runs: offline on --db (bootstrap, recovery, other
// orgs) or through the admin API of --server.
type tokenFlags struct {
	db, org, name, scope string
	expiresIn            lifetime
}

func (a *App) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens (through the server, or offline with --db)",
	}
	var f tokenFlags
	create := &cobra.Command{
		Use:   "create --name NAME --scope scim|admin|events|decision",
		Short: "Create a token; prints the secret alone (shown once), or the whole record with -o json",
		Example: `  rolecall token create --name okta --scope scim
  rolecall token create --db sqlite:rolecall.db --org acme --name admin --scope admin
  rolecall token create --name platform-feed --scope events
  rolecall token create --name gateway --scope decision   # AuthZEN decisions only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := api.CreateTokenRequest{Name: f.name, Scope: strings.ToLower(f.scope)}
			if f.expiresIn < 0 {
				return errors.New("--expires-in must be positive")
			}
			if f.expiresIn > 0 {
				e := time.Now().UTC().Add(time.Duration(f.expiresIn))
				req.ExpiresAt = &e
			}
			var out api.CreatedToken
			err := a.tokenDo(cmd.Context(), f, func(ctx context.Context, svc *service.Service, org store.Org) (err error) {
				out, err = svc.CreateToken(ctx, org.ID, req, "")
				return err
			}, func(ctx context.Context) (err error) {
				c, err := a.client()
				if err != nil {
					return err
				}
				out, err = c.CreateToken(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			if a.json() {
				return printJSON(a.Stdout, out)
			}
			_, err = fmt.Fprintln(a.Stdout, out.Secret)
			return err
		},
	}
	create.Flags().StringVar(&f.name, "name", "", "token name: the audit log's actor (required)")
	create.Flags().StringVar(&f.scope, "scope", "", "scim (for an identity provider), admin (for the CLI and admin API), events (reads the change feed, GET /api/v1/events, and nothing else) or decision (AuthZEN decisions, /access/v1/..., and nothing else) (required)")
	create.Flags().Var(&f.expiresIn, "expires-in", "lifetime, e.g. 30d, 720h or 1d12h (default: no expiry)")
	_ = create.MarkFlagRequired("name")
	_ = create.MarkFlagRequired("scope")

	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out []api.Token
			err := a.tokenDo(cmd.Context(), f, func(ctx context.Context, svc *service.Service, org store.Org) (err error) {
				out, err = svc.Tokens(ctx, org.ID)
				return err
			}, func(ctx context.Context) (err error) {
				c, err := a.client()
				if err != nil {
					return err
				}
				out, err = c.ListTokens(ctx)
				return err
			})
			if err != nil {
				return err
			}
			if a.json() {
				return printJSON(a.Stdout, api.List[api.Token]{Items: nonNilSlice(out), Total: len(out)})
			}
			// LAST SEEN is what the token last sent and when (for a SCIM token, what the
			// identity provider last did), recorded at most once a minute per token.
			t := newTable(a.Stdout, "NAME", "SCOPE", "STATUS", "CREATED", "EXPIRES", "LAST SEEN", "ID")
			now := time.Now()
			for _, tk := range out {
				t.row(tk.Name, tk.Scope, tokenStatus(tk, now), when(&tk.CreatedAt), when(tk.ExpiresAt), tk.LastSeen(now), tk.ID)
			}
			return t.flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke a token: it stops working at once; its record stays for the audit log",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.Token
			err := a.tokenDo(cmd.Context(), f, func(ctx context.Context, svc *service.Service, org store.Org) (err error) {
				out, err = svc.RevokeToken(ctx, org.ID, args[0])
				return err
			}, func(ctx context.Context) (err error) {
				c, err := a.client()
				if err != nil {
					return err
				}
				out, err = c.RevokeToken(ctx, args[0])
				return err
			})
			if err != nil {
				return err
			}
			if a.json() {
				return printJSON(a.Stdout, out)
			}
			_, err = fmt.Fprintf(a.Stdout, "Revoked token %s (%s).\n", out.Name, out.ID)
			return err
		},
	}
	for _, c := range []*cobra.Command{create, list, revoke} {
		c.Flags().StringVar(&f.db, "db", "", "work offline on this database (sqlite:PATH or postgres://…) instead of through --server")
		c.Flags().StringVar(&f.org, "org", "", "organization, with --db (default: the only one)")
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// tokenDo runs offline when --db is given, else through the API.
func (a *App) tokenDo(ctx context.Context, f tokenFlags, offline func(context.Context, *service.Service, store.Org) error, online func(context.Context) error) error {
	if f.db == "" {
		if f.org != "" {
			return errors.New("--org needs --db: through the server, a token acts only in its own organization")
		}
		return online(ctx)
	}
	ctx = offlineActor(ctx)
	return a.offline(ctx, f.db, func(st store.Store) error {
		svc := service.New(st)
		org, err := resolveOrg(ctx, svc, f.org)
		if err != nil {
			return err
		}
		return offline(ctx, svc, org)
	})
}

func tokenStatus(t api.Token, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return "expired"
	}
	return "active"
}

func nonNilSlice[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
