package enforce

import "github.com/rolecall/rolecall/internal/access"

// ReferenceState returns the organization of the enforce-groups reference page, built so
// that its plan renders exactly the reference preview:
//
//   - user1@example.com is directly owner of staging-cloud and the org and collaborator on
//     prod-cloud and proj-1; through backend, nested in engineering, it gets readonly on
//     prod-cloud and proj-1 and org collaborator.
//   - user2@example.com is directly collaborator on dev-cloud; its group developers grants
//     readonly on proj-2 only; the group contractors would grant dev-cloud collaborator but
//     is inactive.
//   - orphan-user@example.com is in no active group (only in the inactive contractors) and
//     has a direct readonly binding on proj-2: it is listed for removal only.
//   - admin@example.com is org owner through org-admins and has no direct binding, so the
//     org keeps an owner after apply; the service account ci-deployer is collaborator on
//     proj-1 and is never touched.
//
// IDs are fixed, readable strings; `rolecall demo` seeds a database from it.
func ReferenceState() *access.State {
	const (
		user, group, sa = access.PrincipalUser, access.PrincipalGroup, access.PrincipalServiceAccount
		owner, collab   = access.RoleOwner, access.RoleCollaborator
		readonly        = access.RoleReadonly
	)
	return &access.State{
		Users: []access.User{
			{ID: "user-1", UserName: "user1@example.com", Active: true},
			{ID: "user-2", UserName: "user2@example.com", Active: true},
			{ID: "user-orphan", UserName: "orphan-user@example.com", Active: true},
			{ID: "user-admin", UserName: "admin@example.com", Active: true},
		},
		Groups: []access.Group{
			{ID: "group-engineering", DisplayName: "engineering", Active: true},
			{ID: "group-backend", DisplayName: "backend", Active: true},
			{ID: "group-developers", DisplayName: "developers", Active: true},
			{ID: "group-contractors", DisplayName: "contractors", Active: false},
			{ID: "group-org-admins", DisplayName: "org-admins", Active: true},
		},
		Memberships: []access.Membership{
			{GroupID: "group-backend", MemberType: user, MemberID: "user-1"},
			{GroupID: "group-engineering", MemberType: group, MemberID: "group-backend"},
			{GroupID: "group-developers", MemberType: user, MemberID: "user-2"},
			{GroupID: "group-contractors", MemberType: user, MemberID: "user-2"},
			{GroupID: "group-contractors", MemberType: user, MemberID: "user-orphan"},
			{GroupID: "group-org-admins", MemberType: user, MemberID: "user-admin"},
		},
		ServiceAccounts: []access.ServiceAccount{{ID: "sa-ci-deployer", Name: "ci-deployer"}},
		Resources: []access.Resource{
			{ID: "org-example", Kind: access.KindOrganization, Name: "example-org"},
			{ID: "cloud-prod", Kind: access.KindCloud, Name: "prod-cloud"},
			{ID: "cloud-staging", Kind: access.KindCloud, Name: "staging-cloud"},
			{ID: "cloud-dev", Kind: access.KindCloud, Name: "dev-cloud"},
			{ID: "project-1", Kind: access.KindProject, Name: "proj-1", ParentID: "cloud-prod"},
			{ID: "project-2", Kind: access.KindProject, Name: "proj-2", ParentID: "cloud-dev"},
		},
		Bindings: []access.Binding{
			{ID: "b-user1-staging", ResourceID: "cloud-staging", PrincipalType: user, PrincipalID: "user-1", Role: owner},
			{ID: "b-user1-prod", ResourceID: "cloud-prod", PrincipalType: user, PrincipalID: "user-1", Role: collab},
			{ID: "b-user1-proj1", ResourceID: "project-1", PrincipalType: user, PrincipalID: "user-1", Role: collab},
			{ID: "b-user1-org", ResourceID: "org-example", PrincipalType: user, PrincipalID: "user-1", Role: owner},
			{ID: "b-user2-dev", ResourceID: "cloud-dev", PrincipalType: user, PrincipalID: "user-2", Role: collab},
			{ID: "b-orphan-proj2", ResourceID: "project-2", PrincipalType: user, PrincipalID: "user-orphan", Role: readonly},
			{ID: "b-engineering-prod", ResourceID: "cloud-prod", PrincipalType: group, PrincipalID: "group-engineering", Role: readonly},
			{ID: "b-engineering-proj1", ResourceID: "project-1", PrincipalType: group, PrincipalID: "group-engineering", Role: readonly},
			{ID: "b-engineering-org", ResourceID: "org-example", PrincipalType: group, PrincipalID: "group-engineering", Role: collab},
			{ID: "b-developers-proj2", ResourceID: "project-2", PrincipalType: group, PrincipalID: "group-developers", Role: readonly},
			{ID: "b-contractors-dev", ResourceID: "cloud-dev", PrincipalType: group, PrincipalID: "group-contractors", Role: collab},
			{ID: "b-org-admins-org", ResourceID: "org-example", PrincipalType: group, PrincipalID: "group-org-admins", Role: owner},
			{ID: "b-ci-deployer-proj1", ResourceID: "project-1", PrincipalType: sa, PrincipalID: "sa-ci-deployer", Role: collab},
		},
	}
}
