package cli

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
	"github.com/rolecall/rolecall/internal/enforce"
	"github.com/rolecall/rolecall/internal/server"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
)

// `rolecall seed example` and `rolecall demo --serve` fill an organization with the example
// of the enforce-groups reference page, for a first hour without an identity provider. They
// write it the way it would arrive in real life, over HTTP: the users and groups as an IdP
// sends them (SCIM, with a scim token named ExampleIdP, so the audit log shows them as
// provisioned), the clouds, projects, service account and grants through the admin API.

// ExampleIdP names the scim token the example's users and groups arrive with: the audit
// log's actor of their creation, as "okta" would be.
const ExampleIdP = "example-idp"

func init() { extraCommands = append(extraCommands, (*App).seedCommand) }

func (a *App) seedCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Fill an empty organization with example data (no identity provider needed)",
	}
	var db, org string
	example := &cobra.Command{
		Use:   "example",
		Short: "Seed the enforce-groups reference organization: users and groups over SCIM, clouds, projects and grants",
		Long: `Seed an empty organization with the example of the enforce-groups reference: 4 users and 5 groups
(created over SCIM, as an identity provider would: the audit log shows them as provisioned by
the scim token "` + ExampleIdP + `", which stays listed under "rolecall token list"), 3 clouds,
2 projects, a service account and 13 grants (through the admin API).

Through the server (default) it seeds the organization of the admin token. Offline, with --db,
it seeds the organization --org (default "` + DemoOrg + `"), creating it if it does not exist,
and prints a new admin token for it. It refuses an organization that already holds users,
groups, clouds or service accounts.`,
		Example: `  rolecall seed example                                  # into the org of ROLECALL_TOKEN
  rolecall seed example --db sqlite:rolecall.db --org example-org`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if db == "" {
				if org != "" {
					return errors.New("--org needs --db: through the server, seed example fills the organization of the admin token")
				}
				c, err := a.client()
				if err != nil {
					return err
				}
				sum, err := seedExample(ctx, c, enforce.ReferenceState())
				if err != nil {
					return err
				}
				return a.printSeeded(sum, "")
			}
			if org == "" {
				org = DemoOrg
			}
			return a.offline(ctx, db, func(st store.Store) error {
				sum, secret, err := seedOffline(ctx, st, org, "seed-example")
				if err != nil {
					return err
				}
				return a.printSeeded(sum, secret)
			})
		},
	}
	example.Flags().StringVar(&db, "db", "", "seed offline on this database (sqlite:PATH or postgres://…) instead of through --server")
	example.Flags().StringVar(&org, "org", "", "organization, with --db (default "+DemoOrg+"; created when missing)")
	cmd.AddCommand(example)
	return cmd
}

// seeded is what seedExample wrote.
type seeded struct {
	Org             string `json:"org"`
	Users           int    `json:"users"`
	Groups          int    `json:"groups"`
	Clouds          int    `json:"clouds"`
	Projects        int    `json:"projects"`
	ServiceAccounts int    `json:"serviceAccounts"`
	Grants          int    `json:"grants"`
	// AdminToken is the secret of the admin token created for an offline seed (shown once).
	AdminToken string `json:"adminToken,omitempty"`
}

func (a *App) printSeeded(s seeded, secret string) error {
	s.AdminToken = secret
	if a.json() {
		return printJSON(a.Stdout, s)
	}
	fmt.Fprintf(a.Stdout, "Seeded organization %q: %d users and %d groups (over SCIM, as the identity provider %q), %d clouds, %d projects, %d service account, %d grants.\n",
		s.Org, s.Users, s.Groups, ExampleIdP, s.Clouds, s.Projects, s.ServiceAccounts, s.Grants)
	if secret != "" {
		fmt.Fprintf(a.Stdout, "Its admin token (shown once): %s\n", secret)
	}
	_, err := fmt.Fprintln(a.Stdout, "Try: rolecall user list; rolecall access explain --user user1@example.com --cloud prod-cloud; rolecall scim enforce-groups --dry-run")
	return err
}

// seedOffline seeds the org name of st (created, with an admin token, when it does not
// exist; else it must be empty) through a server started in-process on a loopback port,
// so that the writes go through SCIM and the admin API exactly as they do over the network.
// It returns the secret of the admin token it created, named tokenName, which stays.
func seedOffline(ctx context.Context, st store.Store, name, tokenName string) (seeded, string, error) {
	secret, err := prepareOrg(ctx, st, name, tokenName)
	if err != nil {
		return seeded{}, "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return seeded{}, "", err
	}
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- server.New(server.Config{}, st, nil, nil).Serve(sctx, l) }()
	defer func() { cancel(); <-served }()
	c, err := client.New("http://"+l.Addr().String(), secret)
	if err != nil {
		return seeded{}, "", err
	}
	sum, err := seedExample(ctx, c, enforce.ReferenceState())
	return sum, secret, err
}

// prepareOrg makes sure the org name exists and is empty, and creates an admin token
// tokenName in it; it returns the token's secret. A non-empty org is refused before
// anything is written.
func prepareOrg(ctx context.Context, st store.Store, name, tokenName string) (string, error) {
	ctx = offlineActor(ctx)
	svc := service.New(st)
	req := api.CreateTokenRequest{Name: tokenName, Scope: string(store.ScopeAdmin)}
	org, err := svc.OrgByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		_, tok, err := svc.CreateOrgWithToken(ctx, name, req)
		return tok.Secret, err
	}
	if err != nil {
		return "", err
	}
	var h holdings
	h.org = name
	if _, h.users, err = svc.Users(ctx, org.ID, service.UserQuery{Page: store.Page{Limit: 1}}); err != nil {
		return "", err
	}
	if _, h.groups, err = svc.Groups(ctx, org.ID, "", store.Page{Limit: 1}); err != nil {
		return "", err
	}
	clouds, err := svc.Clouds(ctx, org.ID)
	if err != nil {
		return "", err
	}
	sas, err := svc.ServiceAccounts(ctx, org.ID)
	if err != nil {
		return "", err
	}
	h.clouds, h.accounts = len(clouds), len(sas)
	if err := h.refuse(); err != nil {
		return "", err
	}
	tok, err := svc.CreateToken(ctx, org.ID, req, "")
	return tok.Secret, err
}

// holdings is what an organization already holds, for the refusal to seed into it.
type holdings struct {
	org                             string
	users, groups, clouds, accounts int
}

func (h holdings) refuse() error {
	if h.users+h.groups+h.clouds+h.accounts == 0 {
		return nil
	}
	return fmt.Errorf("organization %q is not empty (%d users, %d groups, %d clouds, %d service accounts): the example is seeded only into an empty organization, so that it never mixes with real data. "+
		"Seed another organization offline (`rolecall seed example --db … --org NEW-NAME`) or use `rolecall demo --serve`, which keeps its own database",
		h.org, h.users, h.groups, h.clouds, h.accounts)
}

// seedExample writes s into the (empty) org of the admin client c: users and groups over
// SCIM with a new scim token, then clouds, projects, service accounts and grants through
// the admin API, then deactivates (SCIM DELETE) the groups s holds inactive, after their
// grants exist. It refuses an org that holds anything.
func seedExample(ctx context.Context, c *client.Client, s *access.State) (sum seeded, err error) {
	o, err := c.Org(ctx)
	if err != nil {
		return sum, err
	}
	h := holdings{org: o.Name}
	users, err := c.ListUsers(ctx, "", api.Page{Limit: 1})
	if err != nil {
		return sum, err
	}
	groups, err := c.ListGroups(ctx, "", api.Page{Limit: 1})
	if err != nil {
		return sum, err
	}
	clouds, err := c.ListClouds(ctx)
	if err != nil {
		return sum, err
	}
	sas, err := c.ListServiceAccounts(ctx)
	if err != nil {
		return sum, err
	}
	h.users, h.groups, h.clouds, h.accounts = users.Total, groups.Total, len(clouds), len(sas)
	if err := h.refuse(); err != nil {
		return sum, err
	}
	sum.Org = o.Name

	tok, err := c.CreateToken(ctx, api.CreateTokenRequest{Name: ExampleIdP, Scope: string(store.ScopeSCIM)})
	if err != nil {
		return sum, fmt.Errorf("creating the scim token %q the example's users and groups arrive with: %w", ExampleIdP, err)
	}
	idp, err := client.New(c.BaseURL(), tok.Secret)
	if err != nil {
		return sum, err
	}
	ids := map[string]string{}
	for _, u := range s.Users {
		if u.Removed {
			return sum, fmt.Errorf("user %s: a removed user cannot be sent over SCIM", u.UserName)
		}
		if ids[u.ID], err = idp.SCIMCreateUser(ctx, client.SCIMUser{UserName: u.UserName, Active: u.Active}); err != nil {
			return sum, err
		}
		sum.Users++
	}
	order, err := groupOrder(s)
	if err != nil {
		return sum, err
	}
	for _, g := range order {
		var ms []client.SCIMMember
		for _, m := range s.Memberships {
			if m.GroupID == g.ID {
				ms = append(ms, client.SCIMMember{ID: ids[m.MemberID], Group: m.MemberType == access.PrincipalGroup})
			}
		}
		if ids[g.ID], err = idp.SCIMCreateGroup(ctx, g.DisplayName, ms); err != nil {
			return sum, err
		}
		sum.Groups++
	}

	for _, pass := range []access.Kind{access.KindOrganization, access.KindCloud, access.KindProject} {
		for _, r := range s.Resources {
			switch {
			case r.Kind != pass:
			case r.Kind == access.KindOrganization:
				ids[r.ID] = ""
			case r.Kind == access.KindCloud:
				cl, err := c.CreateCloud(ctx, r.Name)
				if err != nil {
					return sum, err
				}
				ids[r.ID] = cl.ID
				sum.Clouds++
			default:
				vis := "private"
				if r.Public {
					vis = "public"
				}
				p, err := c.CreateProjectWith(ctx, api.CreateProjectRequest{Name: r.Name, Cloud: ids[r.ParentID], Visibility: vis})
				if err != nil {
					return sum, err
				}
				ids[r.ID] = p.ID
				sum.Projects++
			}
		}
	}
	for _, sa := range s.ServiceAccounts {
		got, err := c.CreateServiceAccount(ctx, sa.Name)
		if err != nil {
			return sum, err
		}
		ids[sa.ID] = got.ID
		sum.ServiceAccounts++
	}
	kinds := map[string]access.Kind{}
	for _, r := range s.Resources {
		kinds[r.ID] = r.Kind
	}
	for _, b := range s.Bindings {
		req := api.GrantRequest{Role: b.Role.String(), PrincipalType: apiPrincipal(b.PrincipalType), Principal: ids[b.PrincipalID],
			ResourceKind: kinds[b.ResourceID].String(), Resource: ids[b.ResourceID]}
		if _, _, err := c.CreateGrant(ctx, req); err != nil {
			return sum, fmt.Errorf("granting %s: %w", b.Role, err)
		}
		sum.Grants++
	}
	for _, g := range s.Groups {
		if !g.Active {
			if err := idp.SCIMDeleteGroup(ctx, ids[g.ID]); err != nil {
				return sum, err
			}
		}
	}
	return sum, nil
}

func apiPrincipal(t access.PrincipalType) string {
	switch t {
	case access.PrincipalGroup:
		return api.PrincipalGroup
	case access.PrincipalServiceAccount:
		return api.PrincipalServiceAccount
	}
	return api.PrincipalUser
}

// groupOrder orders s's groups so that a group comes after the groups it holds as members:
// a SCIM POST can name only members that exist.
func groupOrder(s *access.State) ([]access.Group, error) {
	var out []access.Group
	state := map[string]int{} // 1 visiting, 2 done
	byID := map[string]access.Group{}
	for _, g := range s.Groups {
		byID[g.ID] = g
	}
	var visit func(id string) error
	visit = func(id string) error {
		switch state[id] {
		case 1:
			return fmt.Errorf("group %s is (indirectly) a member of itself", byID[id].DisplayName)
		case 2:
			return nil
		}
		state[id] = 1
		for _, m := range s.Memberships {
			if m.GroupID == id && m.MemberType == access.PrincipalGroup {
				if err := visit(m.MemberID); err != nil {
					return err
				}
			}
		}
		state[id] = 2
		out = append(out, byID[id])
		return nil
	}
	for _, g := range s.Groups {
		if err := visit(g.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
