package rules

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/access"
)

// MatchKind is how a rule selects groups.
type MatchKind uint8

// The match kinds. The zero MatchKind is invalid so that a forgotten field is caught.
const (
	// MatchDisplayName selects the groups whose displayName equals the rule's value, ignoring
	// case (the store keeps displayNames unique per org ignoring case, too).
	MatchDisplayName MatchKind = iota + 1
	// MatchExternalID selects the groups whose externalId equals the value exactly: it is
	// the IdP's identifier, compared as the IdP sent it.
	MatchExternalID
	// MatchPattern selects the groups whose displayName the value, a Go (RE2) regular
	// expression, matches. The pattern is anchored only as written: "eng-" matches anywhere,
	// "^eng-$" only the whole name.
	MatchPattern
)

var matchNames = [...]string{MatchDisplayName: "displayName", MatchExternalID: "externalId", MatchPattern: "pattern"}

// String returns the wire name of k ("displayName", "externalId", "pattern").
func (k MatchKind) String() string {
	if k >= MatchDisplayName && k <= MatchPattern {
		return matchNames[k]
	}
	return fmt.Sprintf("MatchKind(%d)", uint8(k))
}

// ParseMatchKind parses a wire name as written by MatchKind.String.
func ParseMatchKind(s string) (MatchKind, error) {
	for k := MatchDisplayName; k <= MatchPattern; k++ {
		if s == matchNames[k] {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown match %q; valid matches: displayName, externalId, pattern", s)
}

// MarshalText makes MatchKind a JSON string.
func (k MatchKind) MarshalText() ([]byte, error) {
	if k < MatchDisplayName || k > MatchPattern {
		return nil, fmt.Errorf("cannot marshal invalid match kind %d", uint8(k))
	}
	return []byte(matchNames[k]), nil
}

// UnmarshalText is the inverse of MarshalText.
func (k *MatchKind) UnmarshalText(b []byte) error {
	v, err := ParseMatchKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// The capture names a pattern may use. Any other named capture is refused: a misspelt
// "(?P<projet>…)" would otherwise silently bind nothing.
const (
	CaptureCloud   = "cloud"
	CaptureProject = "project"
	CaptureRole    = "role"
)

// Limits that keep a rule something a person wrote: they bound the work a rule costs on
// every SCIM group write and the size of what the admin API stores.
const (
	MaxValueLen = 1024 // bytes of a displayName, externalId or pattern
	MaxNameLen  = 200  // bytes of a rule name
	MaxRules    = 5000 // rules in one organization's set
)

// Rule binds a role on a resource to every group it matches. The resource and the role are
// each either fixed in the rule or taken from the pattern's named captures:
//
//	pattern ^rc-(?P<project>[a-z0-9-]+)-(?P<role>owner|write|readonly)$   → that role on that project
//	pattern ^eng-(?P<cloud>.+)$, role readonly                            → readonly on that cloud
//	displayName "Platform Admins", resource organization, role owner      → owner on the org
//
// Captured resources are looked up by name (ignoring case, as the store does) among the
// org's existing clouds or projects; a rule never creates a resource.
type Rule struct {
	// ID identifies the rule; rule-made bindings carry it.
	ID string `json:"id"`
	// Name is what people call the rule (unique in the org, ignoring case).
	Name string `json:"name"`
	// Position orders the org's rules, lowest first. When two rules make the same binding
	// the first owns it. Ties are broken by ID so that the order is always total.
	Position int `json:"position"`
	// Match is how the rule selects groups. It is zero (and omitted from JSON) only in the
	// placeholder a preview shows for rule-made bindings of a rule neither set knows.
	Match MatchKind `json:"match,omitempty"`
	// Value is the displayName, the externalId or the pattern, per Match.
	Value string `json:"value"`
	// ResourceKind and ResourceName fix the resource: organization (no name), or a cloud or
	// project by name. Both are empty when a pattern captures cloud or project.
	ResourceKind access.Kind `json:"resourceKind,omitempty"`
	ResourceName string      `json:"resourceName,omitempty"`
	// Role fixes the role by name: owner, collaborator, readonly, or write (the projects'
	// alias of collaborator). Empty when a pattern captures role.
	Role string `json:"role,omitempty"`
}

// ParseResourceKind parses a rule's fixed resource kind: "organization" (or "org"),
// "cloud" or "project".
func ParseResourceKind(s string) (access.Kind, error) {
	if s == "org" {
		return access.KindOrganization, nil
	}
	k, err := access.ParseKind(s)
	if err != nil {
		return 0, fmt.Errorf("unknown resource kind %q; valid kinds: organization (or org), cloud, project", s)
	}
	return k, nil
}

// ParseRoleOn parses a role name for a resource of kind k and checks that the role is valid
// there. It accepts "write" as the alias of collaborator on projects (and only there), and
// ignores case, so that a pattern capturing "Owner" from a group name still works.
func ParseRoleOn(k access.Kind, name string) (access.Role, error) {
	s := strings.ToLower(name)
	if s == "write" {
		if k == access.KindProject {
			return access.RoleCollaborator, nil
		}
		return access.RoleNone, fmt.Errorf("role \"write\" is an alias of collaborator on projects only; on %s %s use collaborator", article(k), k)
	}
	r, err := access.ParseRole(s)
	if err != nil {
		return access.RoleNone, fmt.Errorf("unknown role %q; valid roles on %s %s: %s", name, article(k), k, roleNames(k))
	}
	if err := access.ValidateBinding(k, r); err != nil {
		return access.RoleNone, err
	}
	return r, nil
}

func article(k access.Kind) string {
	if k == access.KindOrganization {
		return "an"
	}
	return "a"
}

func roleNames(k access.Kind) string {
	var names []string
	for _, r := range access.ValidRoles(k) {
		names = append(names, r.String())
	}
	if k == access.KindProject {
		names = append(names, "write")
	}
	return strings.Join(names, ", ")
}

// ErrInvalidRule is wrapped by every validation error of this package.
var ErrInvalidRule = errors.New("invalid rule")

// Error is a rule that cannot be used, and why. Field names the rule field at fault
// ("value", "role", "resourceKind", …) so that an API can point at it; Msg says what to do.
type Error struct {
	RuleID   string `json:"ruleId,omitempty"`
	RuleName string `json:"ruleName,omitempty"`
	Field    string `json:"field"`
	Msg      string `json:"message"`
}

func (e *Error) Error() string {
	who := "rule"
	switch {
	case e.RuleName != "":
		who = fmt.Sprintf("rule %q", e.RuleName)
	case e.RuleID != "":
		who = fmt.Sprintf("rule %s", e.RuleID)
	}
	return fmt.Sprintf("%s: %s: %s", who, e.Field, e.Msg)
}

// Unwrap makes errors.Is(err, ErrInvalidRule) true.
func (e *Error) Unwrap() error { return ErrInvalidRule }

// compiled is a validated rule, ready to match.
type compiled struct {
	Rule
	kind  access.Kind
	fixed access.Role // RoleNone when role is captured
	re    *regexp.Regexp
	// capture indexes into the submatch slice; -1 when absent.
	resCap, roleCap int
	// prefix is a literal every matching displayName starts with; need is a literal every
	// matching displayName contains. Both are prefilters only: the regexp decides.
	prefix, need string
	key          string // lower-cased value for MatchDisplayName
}

// Validate reports the first reason r cannot be used, as an *Error, or nil.
func Validate(r Rule) error {
	_, err := compile(r)
	return err
}

func compile(r Rule) (*compiled, error) {
	fail := func(field, f string, a ...any) (*compiled, error) {
		return nil, &Error{RuleID: r.ID, RuleName: r.Name, Field: field, Msg: fmt.Sprintf(f, a...)}
	}
	switch {
	case r.ID == "":
		return fail("id", "a rule needs an id")
	case strings.TrimSpace(r.Name) == "":
		return fail("name", "a rule needs a name")
	case len(r.Name) > MaxNameLen:
		return fail("name", "longer than %d bytes", MaxNameLen)
	case !utf8.ValidString(r.Name):
		return fail("name", "not valid UTF-8")
	case r.Match < MatchDisplayName || r.Match > MatchPattern:
		return fail("match", "unknown match %d; valid matches: displayName, externalId, pattern", uint8(r.Match))
	case r.Value == "":
		return fail("value", "a %s rule needs a value to match", r.Match)
	case len(r.Value) > MaxValueLen:
		return fail("value", "longer than %d bytes", MaxValueLen)
	case !utf8.ValidString(r.Value):
		return fail("value", "not valid UTF-8")
	}
	c := &compiled{Rule: r, resCap: -1, roleCap: -1}
	captured := map[string]bool{}
	switch r.Match {
	case MatchDisplayName:
		c.key = strings.ToLower(r.Value)
	case MatchExternalID:
	case MatchPattern:
		re, err := regexp.Compile(r.Value)
		if err != nil {
			return fail("value", "the pattern does not compile: %v (patterns use Go RE2 syntax, named captures as (?P<project>…))", err)
		}
		c.re = re
		for i, name := range re.SubexpNames() {
			switch name {
			case "":
				continue
			case CaptureCloud, CaptureProject, CaptureRole:
			default:
				return fail("value", "unknown capture name %q; valid capture names: cloud, project, role (use (?:…) for a group that captures nothing)", name)
			}
			if captured[name] {
				return fail("value", "the pattern captures %q twice; capture it once", name)
			}
			captured[name] = true
			if name == CaptureRole {
				c.roleCap = i
			} else {
				c.resCap = i
			}
		}
		if captured[CaptureCloud] && captured[CaptureProject] {
			return fail("value", "the pattern captures both cloud and project; project names are unique in an organization, so capture only project (use (?:…) for the cloud part)")
		}
		c.prefix, c.need = prefilter(r.Value)
	}

	resCaptured := captured[CaptureCloud] || captured[CaptureProject]
	switch {
	case resCaptured && (r.ResourceKind != 0 || r.ResourceName != ""):
		return fail("resourceKind", "the pattern captures the %s, so the rule must not also fix a resource; remove one of the two", captureName(captured))
	case resCaptured && captured[CaptureCloud]:
		c.kind = access.KindCloud
	case resCaptured:
		c.kind = access.KindProject
	case r.ResourceKind == 0 && r.Match == MatchPattern:
		return fail("resourceKind", "the rule names no resource: fix one (organization, a cloud or a project) or capture it with (?P<cloud>…) or (?P<project>…)")
	case r.ResourceKind == 0:
		return fail("resourceKind", "the rule names no resource: fix one (organization, a cloud or a project)")
	case r.ResourceKind == access.KindOrganization:
		if r.ResourceName != "" {
			return fail("resourceName", "the organization target takes no name; remove %q", r.ResourceName)
		}
		c.kind = access.KindOrganization
	case r.ResourceKind == access.KindCloud || r.ResourceKind == access.KindProject:
		if strings.TrimSpace(r.ResourceName) == "" {
			return fail("resourceName", "a %s target needs the %s's name", r.ResourceKind, r.ResourceKind)
		}
		c.kind = r.ResourceKind
	default:
		return fail("resourceKind", "unknown resource kind %d; valid kinds: organization, cloud, project", uint8(r.ResourceKind))
	}

	switch {
	case captured[CaptureRole] && r.Role != "":
		return fail("role", "the pattern captures the role, so the rule must not also fix one; remove %q or the (?P<role>…) capture", r.Role)
	case captured[CaptureRole]:
	case r.Role == "" && r.Match == MatchPattern:
		return fail("role", "the rule names no role: fix one (%s) or capture it with (?P<role>…)", roleNames(c.kind))
	case r.Role == "":
		return fail("role", "the rule names no role; valid roles on %s %s: %s", article(c.kind), c.kind, roleNames(c.kind))
	default:
		role, err := ParseRoleOn(c.kind, r.Role)
		if err != nil {
			return fail("role", "%v", err)
		}
		c.fixed = role
	}
	return c, nil
}

func captureName(captured map[string]bool) string {
	if captured[CaptureCloud] {
		return CaptureCloud
	}
	return CaptureProject
}

// Describe says in one line what r does, for lists and previews:
//
//	pattern ^eng-(?P<cloud>.+)$ → readonly on the captured cloud
//	displayName "Platform Admins" → owner on the organization
func (r Rule) Describe() string {
	var m string
	switch r.Match {
	case MatchDisplayName, MatchExternalID:
		m = fmt.Sprintf("%s %q", r.Match, r.Value)
	default:
		m = fmt.Sprintf("%s %s", r.Match, r.Value)
	}
	role := r.Role
	if role == "" {
		role = "the captured role"
	}
	var res string
	switch {
	case r.ResourceKind == access.KindOrganization:
		res = "the organization"
	case r.ResourceKind != 0:
		res = fmt.Sprintf("%s %s", r.ResourceKind, r.ResourceName)
	case strings.Contains(r.Value, "<"+CaptureCloud+">"):
		res = "the captured cloud"
	default:
		res = "the captured project"
	}
	return fmt.Sprintf("%s → %s on %s", m, role, res)
}
