package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/audit"
	"github.com/rolecall/rolecall/internal/store"
)

// DefaultOrg is the org created on an empty database.
const DefaultOrg = "default"

// Bootstrap prepares an empty database: it creates the org "default" and an admin token
// named "bootstrap" whose secret is the given one (ROLECALL_BOOTSTRAP_TOKEN) or a new random
// one. On a database that already has an org it does nothing and returns created=false. Two
// servers starting at once on one PostgreSQL database are safe: the org name is unique, so
// exactly one of them creates it.
func Bootstrap(ctx context.Context, st store.Store, secret string) (tok api.CreatedToken, created bool, err error) {
	ctx = audit.WithActor(ctx, audit.Actor{Name: "bootstrap"})
	err = st.Update(ctx, func(tx store.Tx) error {
		orgs, err := tx.ListOrgs(ctx)
		if err != nil || len(orgs) > 0 {
			return err
		}
		org, err := CreateOrg(ctx, tx, DefaultOrg)
		if err != nil {
			return err
		}
		tok, err = CreateToken(ctx, tx, org.ID, api.CreateTokenRequest{Name: "bootstrap", Scope: string(store.ScopeAdmin)}, secret)
		created = err == nil
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return api.CreatedToken{}, false, nil
	}
	return tok, created, err
}

// CreateOrg creates an org (and its organization resource) and records the event.
func CreateOrg(ctx context.Context, tx store.Tx, name string) (store.Org, error) {
	name = strings.TrimSpace(name)
	if err := ValidName("organization", name); err != nil {
		return store.Org{}, err
	}
	org, err := tx.CreateOrg(ctx, name)
	if err != nil {
		return store.Org{}, err
	}
	return org, audit.Log(ctx, tx, org.ID, audit.ActionOrgCreate, audit.TargetOrganization, org.ID, nil,
		api.Org{ID: org.ID, Name: org.Name, CreatedAt: org.CreatedAt})
}

// ValidName checks a name of an org, cloud, project or service account: 1–63 characters of
// letters, digits, '-', '_' and '.', starting with a letter or digit. Names appear in CLI
// output and enforce-groups plans, so they must be printable and unambiguous.
func ValidName(what, name string) error {
	if name == "" || len(name) > 63 {
		return fmt.Errorf("%w: %s name %q must be 1–63 characters", store.ErrInvalid, what, name)
	}
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '-' || c == '_' || c == '.')
		if !ok {
			return fmt.Errorf("%w: %s name %q may hold only letters, digits, '-', '_' and '.', and must start with a letter or digit", store.ErrInvalid, what, name)
		}
	}
	return nil
}
