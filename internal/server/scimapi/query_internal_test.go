package scimapi

import (
	"testing"

	"github.com/rolecall/rolecall/internal/scim"
)

func TestSCIMFilterPushdown(t *testing.T) {
	cases := []struct {
		filter           string
		sql, inMemory    bool
		rt               *scim.ResourceType
		sqliteOrderingOK bool
	}{
		{`userName eq "x"`, true, false, scim.UserResourceType, true},
		{`userName eq "x" and name.familyName eq "y"`, true, true, scim.UserResourceType, true},
		{`name.familyName eq "y"`, false, true, scim.UserResourceType, true},
		{`userName eq "x" or name.familyName eq "y"`, false, true, scim.UserResourceType, true},
		{`emails.value eq "a" and active eq true and not (externalId pr)`, true, false, scim.UserResourceType, true},
		{`userName gt "m"`, true, false, scim.UserResourceType, true},
		{`userName gt "m"`, false, true, scim.UserResourceType, false},
		{`meta.created gt "2020-01-01T00:00:00.1234567Z"`, false, true, scim.UserResourceType, true},
		{`meta.created gt "2020-01-01T00:00:00.123456Z"`, true, false, scim.UserResourceType, true},
		{`members.value eq "a" and displayName sw "x"`, true, false, scim.GroupResourceType, true},
		{`members.display eq "a"`, false, true, scim.GroupResourceType, true},
		{`emails[type eq "work"].value eq "a"`, false, true, scim.UserResourceType, true},
		{`externalId eq null`, false, true, scim.UserResourceType, true},
	}
	for _, c := range cases {
		p, err := planFilter(c.rt, c.filter, c.sqliteOrderingOK)
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		if (p.cond != nil) != c.sql || (p.residual != nil) != c.inMemory {
			t.Errorf("%s: sql=%v inMemory=%v, want %v %v", c.filter, p.cond != nil, p.residual != nil, c.sql, c.inMemory)
		}
	}
}
