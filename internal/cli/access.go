package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

func init() { extraCommands = append(extraCommands, (*App).accessCommand) }

func (a *App) accessCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "access", Short: "Effective access: who holds what, and why"}
	var user string
	list := &cobra.Command{
		Use:   "list [--user U]",
		Short: "Effective access of one user, or the whole organization's access review",
		Long: `Without --user: the access-review export. Org owners are listed apart (they are owner on
everything); then every other active user and every service account, with its role on the
organization and on each cloud, and under each cloud its projects.
With --user: that user's groups and its role on every resource it can reach, implicit
access (org owners) marked as such.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				if user != "" {
					ua, err := c.UserAccess(ctx, user)
					if err != nil {
						return err
					}
					return a.printed(ua, func() error { return printUserAccess(a.Stdout, ua) })
				}
				rv, err := c.AccessReview(ctx)
				if err != nil {
					return err
				}
				return a.printed(rv, func() error { return printReview(a.Stdout, rv) })
			})
		},
	}
	list.Flags().StringVar(&user, "user", "", "one user (id or userName)")
	a.completeFlag(list, "user", a.userNames)

	review := &cobra.Command{
		Use:   "review",
		Short: "The organization's access review: who holds which role where (-o csv for a spreadsheet)",
		Long: `The access-review export: org owners apart (they are owner on everything), then every other
active user and every service account, with its role on the organization and on each cloud,
and under each cloud its projects (the same as access list without --user).

-o json prints the review document; -o csv one line per principal and resource with a header
row: principal_type, principal, principal_id, resource_kind, resource, resource_id, cloud
(a project's), role, source (direct, group NAME, org owner, public project, every service
account; several joined with "; "; a grant another source covers is not named). An org owner
has one line, on the organization.`,
		Example: `  rolecall access review
  rolecall access review -o csv > access-review.csv`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{csvAnnotation: "yes"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				if a.csv() {
					rows, err := c.AccessReviewRows(ctx)
					if err != nil {
						return err
					}
					return access.WriteReviewCSV(a.Stdout, rows)
				}
				rv, err := c.AccessReview(ctx)
				if err != nil {
					return err
				}
				return a.printed(rv, func() error { return printReview(a.Stdout, rv) })
			})
		},
	}

	var s selectors
	explain := &cobra.Command{
		Use:   "explain --user U [--org | --cloud C | --project P]",
		Short: "Every source of a user's access: direct grants, groups (with the nesting path), org ownership",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if s.user == "" {
				return errors.New("--user is required: whose access to explain")
			}
			kind, res, err := s.resource(false)
			if err != nil {
				return err
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				ex, err := c.Explain(ctx, s.user, kind, res)
				if err != nil {
					return err
				}
				return a.printed(ex, func() error { return printExplanation(a.Stdout, ex) })
			})
		},
	}
	explain.Flags().StringVar(&s.user, "user", "", "the user (id or userName) (required)")
	a.completeFlag(explain, "user", a.userNames)
	a.addResource(explain, &s, "explain access to")
	cmd.AddCommand(list, review, explain)
	return cmd
}

// accessTable is a tabwriter that, unlike table, keeps empty cells empty: continuation rows
// of one principal leave its name blank so the eye can follow the blocks.
func accessTable(w io.Writer, headers ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	return tw
}

func printReview(w io.Writer, rv access.Review) error {
	fmt.Fprintln(w, "Org owners (owner on the organization, every cloud and every project):")
	if len(rv.OrgOwners) == 0 {
		fmt.Fprintln(w, "  none")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, p := range rv.OrgOwners {
			fmt.Fprintf(tw, "  %s\t%s\n", p.Name, strings.ReplaceAll(p.Type.String(), "_", " "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	tw := accessTable(w, "PRINCIPAL", "TYPE", "RESOURCE", "ROLE")
	rows := 0
	for _, group := range [][]access.PrincipalReview{rv.Users, rv.ServiceAccounts} {
		for _, p := range group {
			name, typ := p.Name, strings.ReplaceAll(p.Type.String(), "_", " ")
			row := func(res, role string) {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, typ, res, role)
				name, typ = "", ""
				rows++
			}
			if p.Organization != access.RoleNone {
				row("organization", p.Organization.String())
			}
			for _, c := range p.Clouds {
				row("cloud "+c.Name, c.Role.String())
				for _, pr := range c.Projects {
					row("  project "+pr.Name, pr.Role.String())
				}
			}
		}
	}
	if rows == 0 {
		fmt.Fprintln(tw, "(nobody else holds anything)")
	}
	return tw.Flush()
}

func printUserAccess(w io.Writer, ua api.UserAccess) error {
	d := newDetails(w)
	d.field("User", ua.User.UserName)
	d.field("Status", userStatus(ua.User.Active, ua.User.Removed))
	d.field("Groups", groupNamesOf(ua.Groups))
	if err := d.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if !ua.HoldsAccess {
		_, err := fmt.Fprintln(w, "This user is inactive or removed: it holds no access. `rolecall access explain` shows what would apply were it active.")
		return err
	}
	if len(ua.Access) == 0 {
		_, err := fmt.Fprintln(w, "No access.")
		return err
	}
	t := newTable(w, "KIND", "NAME", "CLOUD", "ROLE", "SOURCE")
	for _, r := range ua.Access {
		src := "grant"
		switch {
		case r.Implicit && r.Public:
			src = "implicit (public project: role on its cloud)"
		case r.Implicit:
			src = "implicit (org owner)"
		}
		t.row(r.Kind, r.Name, r.Cloud, r.Role, src)
	}
	return t.flush()
}

func printExplanation(w io.Writer, ex api.Explanation) error {
	fmt.Fprintf(w, "User %s (%s)\n", ex.User.UserName, userStatus(ex.User.Active, ex.User.Removed))
	if !ex.HoldsAccess {
		fmt.Fprintln(w, "It holds no access while inactive or removed; the sources below would apply were it active.")
	}
	if len(ex.Resources) == 0 {
		_, err := fmt.Fprintln(w, "No source of access.")
		return err
	}
	for _, r := range ex.Resources {
		fmt.Fprintf(w, "\n%s: %s\n", describeResource(r.Kind, r.Name), r.Role)
		if len(r.Sources) == 0 {
			fmt.Fprintln(w, "  no source")
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, s := range r.Sources {
			line := describeSource(s, r)
			if s.Redundant {
				line += "  [redundant: " + s.CoveredBy + " already gives as much]"
			}
			fmt.Fprintf(tw, "  %s\t%s\n", s.Role, line)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if r.Kind == api.KindProject && r.Visibility == api.VisibilityPrivate && r.CloudRole != "" &&
			(r.Role == "none" || r.Role == "readonly") {
			// The newcomer's surprise: a cloud role that says nothing here, where the project
			// being public would have given collaborator.
			fmt.Fprintf(w, "  note: the user holds %s on this project's cloud, but cloud roles do not reach private projects\n"+
				"        (grant a role on the project, or make it public: rolecall project set-visibility %s public)\n", r.CloudRole, r.Name)
		}
	}
	return nil
}

// describeSource renders a source of r: "direct grant", "group platform (via eng >
// platform)", "group eng-prod, bound by rule eng clouds", "org owner (implicit)", "public project (implicit: ...)".
func describeSource(s api.AccessSource, r api.ResourceExplanation) string {
	switch s.Kind {
	case "direct":
		return "direct grant"
	case "group":
		out := "group " + s.GroupName
		if len(s.Path) > 1 {
			out += " (via " + strings.Join(s.Path, " > ") + ")"
		}
		if s.RuleName != "" {
			out += ", bound by rule " + s.RuleName
		}
		return out
	case "implicit_org_owner":
		return "org owner (implicit: owner on everything)"
	case "public_project":
		return fmt.Sprintf("public project (implicit: the user holds %s on its cloud, and every role there is a collaborator here)", r.CloudRole)
	}
	return s.Kind
}
