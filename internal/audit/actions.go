package audit

// Action names of audit events: what a change did, as the log and its readers (the admin
// API's /audit, the console, SIEM exports) filter on. They are part of the log's format:
// renaming one breaks every saved query, so add new names rather than change old ones.
const (
	ActionOrgCreate         = "org.create"
	ActionOrgSettingsUpdate = "org.settings.update"

	ActionTokenCreate = "token.create"
	ActionTokenRevoke = "token.revoke"

	ActionSCIMUserCreate  = "scim.user.create"
	ActionSCIMUserReplace = "scim.user.replace"
	ActionSCIMUserPatch   = "scim.user.patch"
	ActionSCIMUserDelete  = "scim.user.delete"

	ActionSCIMGroupCreate  = "scim.group.create"
	ActionSCIMGroupReplace = "scim.group.replace"
	ActionSCIMGroupPatch   = "scim.group.patch"
	ActionSCIMGroupDelete  = "scim.group.delete"

	ActionCloudCreate          = "cloud.create"
	ActionCloudRename          = "cloud.rename"
	ActionCloudDelete          = "cloud.delete"
	ActionProjectCreate        = "project.create"
	ActionProjectRename        = "project.rename"
	ActionProjectDelete        = "project.delete"
	ActionProjectVisibility    = "project.visibility"
	ActionServiceAccountCreate = "service_account.create"
	ActionServiceAccountDelete = "service_account.delete"

	ActionCustomActionSet    = "custom_action.set"
	ActionCustomActionDelete = "custom_action.delete"

	// Group → role rule changes. Each is one transaction that stores the new rule set and
	// applies its binding changes, with a restore point (the target is the rule change).
	ActionRuleAdded    = "rule.added"
	ActionRuleChanged  = "rule.changed"
	ActionRuleDeleted  = "rule.deleted"
	ActionRuleReplaced = "rule.replaced" // a whole set at once (reorder, bulk edit)
	ActionRuleUndone   = "rule.undone"

	ActionGrantCreate = "grant.create"
	ActionGrantRevoke = "grant.revoke"
	// ActionGrantChangeRole replaces a principal's role on a resource: before is the old
	// grant, after the new one (a new grant id).
	ActionGrantChangeRole = "grant.change_role"

	ActionEnforceApply = "enforce.apply"
	ActionEnforceUndo  = "enforce.undo"
	// ActionEnforceScheduled is a due run of the org's drift schedule: it applied
	// enforce-groups within the schedule's limits (after names the run) or only reported.
	ActionEnforceScheduled = "enforce.scheduled"
	// ActionScheduleSet and ActionScheduleDelete set and turn off the drift schedule.
	ActionScheduleSet    = "enforce.schedule.set"
	ActionScheduleDelete = "enforce.schedule.delete"

	// ActionUserExempted and ActionUserUnexempted mark a user exempt from enforce-groups
	// (break-glass) and lift it.
	ActionUserExempted   = "user.exempted"
	ActionUserUnexempted = "user.unexempted"

	// Webhook endpoints. webhook.disabled is written by an admin turning an endpoint off and
	// by the dispatcher (actor "rolecall") when a receiver answered 410, failed for about
	// three days or fell behind the event retention.
	ActionWebhookCreate       = "webhook.created"
	ActionWebhookUpdate       = "webhook.updated"
	ActionWebhookDelete       = "webhook.deleted"
	ActionWebhookSecretRotate = "webhook.secret_rotated"
	ActionWebhookDisable      = "webhook.disabled"
	ActionWebhookRedeliver    = "webhook.redelivered"
	ActionWebhookTest         = "webhook.tested"
)

// Target types of audit events: what kind of object TargetID names.
const (
	TargetOrganization   = "organization"
	TargetToken          = "token"
	TargetUser           = "user"
	TargetGroup          = "group"
	TargetCloud          = "cloud"
	TargetProject        = "project"
	TargetServiceAccount = "service_account"
	TargetGrant          = "grant"
	TargetEnforceRun     = "enforce_run"
	TargetCustomAction   = "custom_action"
	TargetDriftSchedule  = "drift_schedule"
	TargetRuleChange     = "rule_change"
	TargetWebhook        = "webhook"
)
