package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode"

	gh "gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/directory"
	"gatehouse.dev/gatehouse/engine"
	"gatehouse.dev/gatehouse/ldap"
	"gatehouse.dev/gatehouse/notify"
	"gatehouse.dev/gatehouse/provision"
	"gatehouse.dev/gatehouse/signin"
	"gatehouse.dev/gatehouse/sso"
)

// op is what the OpenAPI document says about one route beyond its method and
// pattern. Error responses follow from these facts (see errorStatuses).
type op struct {
	id      string // operationId; a workspace twin inserts "Workspace" after the verb
	tag     string
	summary string // "%s" is "the organization" or "a workspace" on twins
	in, out reflect.Type
	csvIn   bool     // the body is a CSV file of users instead of JSON
	imageIn bool     // the body is a picture (PNG, JPEG or GIF) instead of JSON
	pngOut  bool     // the answer is a PNG picture instead of JSON
	csvOut  string   // the answer is a CSV file with these columns instead of JSON
	textOut string   // the answer is plain text of this kind instead of JSON
	htmlOut string   // the answer is an HTML page of this kind instead of JSON
	formIn  []string // the body is an HTML form (urlencoded) with these fields
	status  []int    // success statuses, all with the body out; 200 when empty
	query   []param
	etag    bool // the answer carries the object's revision as ETag
	ifMatch bool // the request may carry If-Match
	idemKey bool // the request may carry an Idempotency-Key
	waits   bool // the request may ask for a revision, so 503 when the node is behind
	public  bool
	both    bool // also served under /v1/orgs/{org}/workspaces/{ws}, as Server.both registers it
}

func typ[T any]() reflect.Type { return reflect.TypeFor[T]() }

// operations holds the facts of every route, keyed by "METHOD PATTERN".
var operations = map[string]op{
	"GET /healthz":      {id: "health", tag: "health", summary: "Liveness: the process answers", out: typ[healthBody](), public: true},
	"GET /readyz":       {id: "ready", tag: "health", summary: "Readiness: 503 until the index has caught up", out: typ[readyBody](), status: []int{200, 503}, public: true},
	"GET /metrics":      {id: "getMetrics", tag: "health", summary: "Prometheus metrics", textOut: "Metrics in the Prometheus text exposition format.", public: true},
	"GET /openapi.json": {id: "getOpenAPI", tag: "health", summary: "This OpenAPI document", out: typ[map[string]any](), public: true},

	"GET /v1/capabilities":                {id: "listCapabilities", tag: "catalogue", summary: "List the capability catalogue", out: typ[directory.List[gh.CapabilityInfo]]()},
	"GET /v1/capabilities/custom":         {id: "listCustomCapabilities", tag: "catalogue", summary: "List the capabilities the operator added (operator only)", out: typ[directory.List[*gh.CustomCapability]](), query: pages},
	"POST /v1/capabilities/custom":        {id: "createCustomCapability", tag: "catalogue", summary: "Add a workspace capability to the catalogue (operator only)", in: typ[directory.CapabilityInput](), out: typ[*gh.CustomCapability](), status: created, etag: true},
	"GET /v1/capabilities/custom/{id}":    {id: "getCustomCapability", tag: "catalogue", summary: "Get a capability the operator added", out: typ[*gh.CustomCapability](), etag: true},
	"PATCH /v1/capabilities/custom/{id}":  {id: "updateCustomCapability", tag: "catalogue", summary: "Change a custom capability's description or built-in grants", in: typ[directory.CapabilityPatch](), out: typ[*gh.CustomCapability](), etag: true, ifMatch: true},
	"DELETE /v1/capabilities/custom/{id}": {id: "deleteCustomCapability", tag: "catalogue", summary: "Remove a custom capability no custom role grants", out: typ[revisionBody](), ifMatch: true},
	"GET /v1/roles":                       {id: "listBuiltinRoles", tag: "catalogue", summary: "List the built-in roles", out: typ[directory.List[*gh.Role]]()},
	"GET /v1/roles/{id}":                  {id: "getBuiltinRole", tag: "catalogue", summary: "Get a built-in role", out: typ[*gh.Role]()},

	"GET /v1/orgs":         {id: "listOrgs", tag: "orgs", summary: "List the organizations the key may see", out: typ[directory.List[*gh.Org]](), query: pages},
	"POST /v1/orgs":        {id: "createOrg", tag: "orgs", summary: "Create an organization with its first Organization Admin (operator only)", in: typ[directory.OrgInput](), out: typ[orgCreated](), status: created, etag: true},
	"GET /v1/orgs/{org}":   {id: "getOrg", tag: "orgs", summary: "Get an organization", out: typ[orgView](), etag: true},
	"PATCH /v1/orgs/{org}": {id: "updateOrg", tag: "orgs", summary: "Change an organization", in: typ[directory.OrgPatch](), out: typ[orgView](), etag: true, ifMatch: true},

	"GET /v1/orgs/{org}/workspaces":         {id: "listWorkspaces", tag: "workspaces", summary: "List the workspaces of an organization", out: typ[directory.List[*gh.Workspace]](), query: append(pages, statusQuery(gh.StatusActive, gh.StatusSuspended, gh.StatusArchived))},
	"POST /v1/orgs/{org}/workspaces":        {id: "createWorkspace", tag: "workspaces", summary: "Create a workspace", in: typ[directory.WorkspaceInput](), out: typ[*gh.Workspace](), status: created, etag: true},
	"GET /v1/orgs/{org}/workspaces/{ws}":    {id: "getWorkspace", tag: "workspaces", summary: "Get a workspace", out: typ[workspaceView](), etag: true},
	"PATCH /v1/orgs/{org}/workspaces/{ws}":  {id: "updateWorkspace", tag: "workspaces", summary: "Change a workspace", in: typ[directory.WorkspacePatch](), out: typ[workspaceView](), etag: true, ifMatch: true},
	"DELETE /v1/orgs/{org}/workspaces/{ws}": {id: "deleteWorkspace", tag: "workspaces", summary: "Delete a workspace", out: typ[revisionBody](), ifMatch: true},

	"GET /v1/orgs/{org}/users":                  {id: "listUsers", tag: "users", summary: "List the users of %s", out: typ[directory.List[*gh.User]](), query: append(pages, statusQuery(gh.StatusActive, gh.StatusInvited, gh.StatusDisabled), qUsers, qOrgRole, qGroup), both: true},
	"POST /v1/orgs/{org}/users":                 {id: "createUser", tag: "users", summary: "Create a user of %s", in: typ[directory.UserInput](), out: typ[*gh.User](), status: created, etag: true, both: true},
	"GET /v1/orgs/{org}/users/{id}":             {id: "getUser", tag: "users", summary: "Get a user of %s", out: typ[*gh.User](), etag: true, both: true},
	"PATCH /v1/orgs/{org}/users/{id}":           {id: "updateUser", tag: "users", summary: "Change a user of %s", in: typ[directory.UserPatch](), out: typ[*gh.User](), etag: true, ifMatch: true, both: true},
	"DELETE /v1/orgs/{org}/users/{id}":          {id: "deleteUser", tag: "users", summary: "Delete a user of %s", out: typ[revisionBody](), ifMatch: true, both: true},
	"GET /v1/orgs/{org}/users/{id}/avatar":      {id: "getUserAvatar", tag: "users", summary: "Get the picture of a user of %s, a 256×256 PNG", pngOut: true, both: true},
	"PUT /v1/orgs/{org}/users/{id}/avatar":      {id: "setUserAvatar", tag: "users", summary: "Set the picture of a user of %s: the user or its admins", imageIn: true, out: typ[*gh.User](), etag: true, both: true},
	"DELETE /v1/orgs/{org}/users/{id}/avatar":   {id: "removeUserAvatar", tag: "users", summary: "Remove the picture of a user of %s", out: typ[*gh.User](), etag: true, both: true},
	"GET /v1/orgs/{org}/users/{id}/assignments": {id: "listUserAssignments", tag: "users", summary: "List the assignments of a user of %s", out: typ[directory.List[directory.AssignmentView]](), both: true},
	"POST /v1/orgs/{org}/users/import":          {id: "importUsers", tag: "users", summary: "Import users of %s from a CSV file", csvIn: true, out: typ[CSVImportResult](), query: []param{qMode}, both: true},
	"GET /v1/orgs/{org}/users/import/sample":    {id: "importSample", tag: "users", summary: "A sample CSV file the import of %s takes as it is", csvOut: "email, first_name, last_name, role, group", both: true},
	"GET /v1/orgs/{org}/users/export":           {id: "exportUsers", tag: "users", summary: "Export the users of %s as CSV", csvOut: "id, email, first_name, last_name, status, org_role, job_title, department, phone, groups, phones (TYPE:NUMBER; …), manager (email), skills (; separated), specializations, language, time_zone", both: true},
	"GET /v1/orgs/{org}/access/export":          {id: "exportAccess", tag: "access", summary: "Export who holds which role in which workspace, as CSV", csvOut: "workspace, workspace_id, user_email, user_id, role, role_id, assigned_to, via", query: []param{qExportWorkspace}},

	"GET /v1/orgs/{org}/groups":                                 {id: "listGroups", tag: "groups", summary: "List the groups of %s", out: typ[directory.List[*gh.Group]](), query: append(pages, qGroups), both: true},
	"POST /v1/orgs/{org}/groups":                                {id: "createGroup", tag: "groups", summary: "Create a group of %s", in: typ[directory.GroupInput](), out: typ[*gh.Group](), status: created, etag: true, both: true},
	"GET /v1/orgs/{org}/groups/{id}":                            {id: "getGroup", tag: "groups", summary: "Get a group of %s", out: typ[*gh.Group](), etag: true, both: true},
	"PATCH /v1/orgs/{org}/groups/{id}":                          {id: "updateGroup", tag: "groups", summary: "Change a group of %s", in: typ[directory.GroupPatch](), out: typ[*gh.Group](), etag: true, ifMatch: true, both: true},
	"DELETE /v1/orgs/{org}/groups/{id}":                         {id: "deleteGroup", tag: "groups", summary: "Delete a group of %s", out: typ[revisionBody](), ifMatch: true, both: true},
	"GET /v1/orgs/{org}/groups/{id}/rule-members":               {id: "listRuleMembers", tag: "groups", summary: "List the users of %s a group's membership rule holds now (its listed members are under /members)", out: typ[directory.List[*gh.User]](), both: true},
	"GET /v1/orgs/{org}/groups/{id}/members":                    {id: "listGroupMembers", tag: "groups", summary: "List the members of a group of %s", out: typ[directory.List[directory.Member]](), query: pages, both: true},
	"POST /v1/orgs/{org}/groups/{id}/members":                   {id: "addGroupMember", tag: "groups", summary: "Add a user or group to a group of %s (200 when it was already a member)", in: typ[memberInput](), out: typ[memberAdded](), status: createdOrKept, both: true},
	"DELETE /v1/orgs/{org}/groups/{id}/members/{type}/{member}": {id: "removeGroupMember", tag: "groups", summary: "Remove a member from a group of %s", out: typ[revisionBody](), both: true},
	"GET /v1/orgs/{org}/roles":                                  {id: "listRoles", tag: "roles", summary: "List the custom roles defined in %s (usable=true: every role that may be assigned there)", out: typ[directory.List[*gh.Role]](), query: append(pages, qUsable), both: true},
	"POST /v1/orgs/{org}/roles":                                 {id: "createRole", tag: "roles", summary: "Create a custom role in %s", in: typ[directory.RoleInput](), out: typ[*gh.Role](), status: created, etag: true, both: true},
	"GET /v1/orgs/{org}/roles/{id}":                             {id: "getRole", tag: "roles", summary: "Get a role usable in %s, by id or name", out: typ[*gh.Role](), etag: true, both: true},
	"PATCH /v1/orgs/{org}/roles/{id}":                           {id: "updateRole", tag: "roles", summary: "Change a custom role of %s", in: typ[directory.RolePatch](), out: typ[*gh.Role](), etag: true, ifMatch: true, both: true},
	"DELETE /v1/orgs/{org}/roles/{id}":                          {id: "deleteRole", tag: "roles", summary: "Delete a custom role of %s", out: typ[revisionBody](), ifMatch: true, both: true},
	"GET /v1/orgs/{org}/workspaces/{ws}/assignments":            {id: "listAssignments", tag: "assignments", summary: "List the role assignments of a workspace", out: typ[directory.List[directory.AssignmentView]](), query: pages},
	"POST /v1/orgs/{org}/workspaces/{ws}/assignments":           {id: "assignRole", tag: "assignments", summary: "Give a user or group a role in a workspace (200 when it already had it)", in: typ[assignInput](), out: typ[directory.AssignmentView](), status: createdOrKept, etag: true},
	"GET /v1/orgs/{org}/workspaces/{ws}/assignments/{id}":       {id: "getAssignment", tag: "assignments", summary: "Get a role assignment", out: typ[directory.AssignmentView](), etag: true},
	"PATCH /v1/orgs/{org}/workspaces/{ws}/assignments/{id}":     {id: "updateAssignment", tag: "assignments", summary: "Change the role of an assignment", in: typ[assignmentPatch](), out: typ[directory.AssignmentView](), etag: true, ifMatch: true},
	"DELETE /v1/orgs/{org}/workspaces/{ws}/assignments/{id}":    {id: "deleteAssignment", tag: "assignments", summary: "Remove a role assignment", out: typ[revisionBody](), ifMatch: true},
	"POST /v1/orgs/{org}/batch":                                 {id: "applyBatch", tag: "batch", summary: "Apply up to 1000 changes (workspaces, users, groups, memberships, roles, assignments) all or nothing; a refused batch names every failed operation", in: typ[batchInput](), out: typ[BatchAnswer](), idemKey: true},
	"POST /v1/orgs/{org}/whatif":                                {id: "whatIf", tag: "batch", summary: "Preview a batch: run its operations as a dry run and list who would lose and gain which capability where, as the caller may see them; writes nothing (dry_run is implied)", in: typ[batchInput](), out: typ[*directory.Impact]()},
	"GET /v1/orgs/{org}/exclusions":                             {id: "listExclusions", tag: "assignments", summary: "List the exclusions of %s (at workspace scope, the workspace's own)", out: typ[directory.List[*gh.Exclusion]](), both: true},
	"POST /v1/orgs/{org}/exclusions":                            {id: "createExclusion", tag: "assignments", summary: "Take capabilities (or all) away from a user, a group or an email in %s; an exclusion wins over every grant. At organization scope, workspace_id limits it to one workspace", in: typ[directory.ExclusionInput](), out: typ[*gh.Exclusion](), status: created, etag: true, both: true},
	"GET /v1/orgs/{org}/exclusions/{id}":                        {id: "getExclusion", tag: "assignments", summary: "Get an exclusion", out: typ[*gh.Exclusion](), etag: true, both: true},
	"DELETE /v1/orgs/{org}/exclusions/{id}":                     {id: "liftExclusion", tag: "assignments", summary: "Lift an exclusion; one the workspace set is lifted only by the workspace's managers", out: typ[revisionBody](), both: true},
	"GET /v1/orgs/{org}/templates":                              {id: "listTemplates", tag: "templates", summary: "List the onboarding templates of an organization", out: typ[directory.List[*gh.Template]](), query: pages},
	"POST /v1/orgs/{org}/templates":                             {id: "createTemplate", tag: "templates", summary: "Create an onboarding template", in: typ[directory.TemplateInput](), out: typ[*gh.Template](), status: created, etag: true},
	"GET /v1/orgs/{org}/templates/{id}":                         {id: "getTemplate", tag: "templates", summary: "Get an onboarding template", out: typ[*gh.Template](), etag: true},
	"PUT /v1/orgs/{org}/templates/{id}":                         {id: "replaceTemplate", tag: "templates", summary: "Replace an onboarding template", in: typ[directory.TemplateInput](), out: typ[*gh.Template](), etag: true, ifMatch: true},
	"DELETE /v1/orgs/{org}/templates/{id}":                      {id: "deleteTemplate", tag: "templates", summary: "Delete an onboarding template", out: typ[revisionBody](), ifMatch: true},
	"POST /v1/orgs/{org}/workspaces/{ws}/templates/{id}/apply":  {id: "applyTemplate", tag: "templates", summary: "Apply an onboarding template to a workspace", out: typ[templateApplied]()},
	"GET /v1/orgs/{org}/users/{id}/keys":                        {id: "listKeys", tag: "keys", summary: "List a user's API keys (never their secrets)", out: typ[directory.List[keyView]]()},
	"POST /v1/orgs/{org}/users/{id}/keys":                       {id: "createKey", tag: "keys", summary: "Create a personal API key; its secret is shown only in this answer", in: typ[directory.KeyInput](), out: typ[keyCreated](), status: created},
	"DELETE /v1/orgs/{org}/users/{id}/keys/{key}":               {id: "revokeKey", tag: "keys", summary: "Revoke an API key", out: typ[revisionBody]()},
	"POST /v1/orgs/{org}/recover":                               {id: "recoverOrg", tag: "keys", summary: "Give a locked-out organization a one-hour key for an Organization Admin that works from any address; audited in the organization and announced to its security contacts (operator only)", in: typ[directory.RecoverInput](), out: typ[keyCreated](), status: created},
	"GET /v1/orgs/{org}/events":                                 {id: "listEvents", tag: "events", summary: "List the audit events of %s, newest first", out: typ[directory.List[*gh.Event]](), query: eventQuery, both: true},
	"GET /v1/orgs/{org}/events/verify":                          {id: "verifyEvents", tag: "events", summary: "Verify the hash chain of an organization's events", out: typ[*gh.ChainReport]()},
	"GET /v1/orgs/{org}/reports/users/{id}":                     {id: "userReport", tag: "reports", summary: "Report on a user of %s: last sign-in, sign-ins and changes by and to the user over a period, API keys and their last use", out: typ[*directory.UserReport](), csvOut: "section, time, item, by, detail", query: reportParams, both: true},
	"GET /v1/orgs/{org}/reports/inactive":                       {id: "inactiveReport", tag: "reports", summary: "List the people of %s with no sign-in for a number of days (never signed in counts)", out: typ[inactiveList](), csvOut: "user_id, email, name, workspace_id, status, created_at, last_sign_in", query: []param{{name: "days", desc: "Days without a sign-in (1 to 3650).", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 3650}, required: true}, qFormat}, both: true},
	"GET /v1/orgs/{org}/workspaces/{ws}/reports/workspace":      {id: "workspaceReport", tag: "reports", summary: "Report on a workspace: who holds which role since when (directly or through which group), and who signed in over a period", out: typ[*directory.WorkspaceReport](), csvOut: "section, user_id, email, name, role, via, since, sign_ins, sign_in_failures, last_sign_in", query: reportParams},
	"GET /v1/events":                                            {id: "listOperatorEvents", tag: "events", summary: "List the deployment's own events (capability catalogue, operator keys), newest first (operator only)", out: typ[directory.List[*gh.Event]](), query: eventQuery},
	"GET /v1/events/verify":                                     {id: "verifyOperatorEvents", tag: "events", summary: "Verify the hash chain of the deployment's own events (operator only)", out: typ[*gh.ChainReport]()},

	"POST /v1/login":                                        {id: "login", tag: "signin", summary: "Sign in with email and password; the session is the gatehouse_session cookie", in: typ[signin.LoginInput](), out: typ[loginAnswer](), public: true},
	"POST /v1/login/mfa":                                    {id: "loginMFA", tag: "signin", summary: "Complete a sign-in with an authenticator or recovery code", in: typ[codeInput](), out: typ[loginAnswer]()},
	"POST /v1/login/mfa/code":                               {id: "sendLoginCode", tag: "signin", summary: "Send a one-time code by email or SMS for the second step of this sign-in (when the policy allows it and the user set it up); it works once, for 10 minutes, for 5 tries", in: typ[codeRequest](), out: typ[signin.CodeSent](), status: []int{202}},
	"GET /v1/me/mfa":                                        {id: "getMyFactors", tag: "signin", summary: "My second factors, what a sign-in's second step offers me, and what my organization allows", out: typ[signin.Factors]()},
	"PUT /v1/me/mfa/email":                                  {id: "setMyEmailCodes", tag: "signin", summary: "Turn codes by email to my own address on or off as a second factor (recent sign-in)", in: typ[emailCodesInput](), out: typ[signin.Factors]()},
	"POST /v1/me/mfa/sms":                                   {id: "beginSMS", tag: "signin", summary: "Start adding a phone for codes by SMS: a code is texted to it", in: typ[phoneInput](), out: typ[signin.CodeSent](), status: []int{202}},
	"POST /v1/me/mfa/sms/confirm":                           {id: "confirmSMS", tag: "signin", summary: "Prove the phone with the code texted to it; it becomes a second factor", in: typ[codeInput](), out: typ[signin.Factors]()},
	"DELETE /v1/me/mfa/sms":                                 {id: "removeSMS", tag: "signin", summary: "Remove my phone as a second factor (recent sign-in)", out: typ[signin.Factors]()},
	"POST /v1/logout":                                       {id: "logout", tag: "signin", summary: "End this session", out: typ[struct{}]()},
	"PATCH /v1/me/profile":                                  {id: "updateMyProfile", tag: "signin", summary: "Change my names, contact details and profile", in: typ[directory.SelfProfile](), out: typ[*gh.User](), etag: true, ifMatch: true},
	"GET /v1/me/avatar":                                     {id: "getMyAvatar", tag: "signin", summary: "Get my picture, a 256×256 PNG", pngOut: true},
	"PUT /v1/me/avatar":                                     {id: "setMyAvatar", tag: "signin", summary: "Set my picture", imageIn: true, out: typ[*gh.User](), etag: true},
	"DELETE /v1/me/avatar":                                  {id: "removeMyAvatar", tag: "signin", summary: "Remove my picture", out: typ[*gh.User](), etag: true},
	"GET /v1/me":                                            {id: "getMe", tag: "signin", summary: "The signed-in user, its organization and second factor", out: typ[meAnswer]()},
	"GET /v1/me/sessions":                                   {id: "listMySessions", tag: "signin", summary: "List my sessions", out: typ[sessionList]()},
	"DELETE /v1/me/sessions/{id}":                           {id: "endMySession", tag: "signin", summary: "End one of my sessions", out: typ[struct{}]()},
	"POST /v1/me/password":                                  {id: "changeMyPassword", tag: "signin", summary: "Change my password; my other sessions end", in: typ[passwordChange](), out: typ[struct{}]()},
	"POST /v1/me/reauthenticate":                            {id: "reauthenticate", tag: "signin", summary: "Confirm my password (and code) before a sensitive action", in: typ[reauthInput](), out: typ[struct{}]()},
	"POST /v1/me/passkeys/begin":                            {id: "beginPasskey", tag: "signin", summary: "Start adding a passkey (browser session, recent sign-in): options for navigator.credentials.create", out: typ[signin.Options]()},
	"POST /v1/me/passkeys":                                  {id: "addPasskey", tag: "signin", summary: "Keep the passkey the device made for the ceremony", in: typ[signin.PasskeyAnswer](), out: typ[gh.Passkey](), status: created},
	"GET /v1/me/notifications":                              {id: "listMyNotifications", tag: "notifications", summary: "My newest 100 notifications with the unread count, and the announcements shown to me now", out: typ[*notify.Inbox]()},
	"POST /v1/me/notifications/read":                        {id: "readMyNotifications", tag: "notifications", summary: "Mark my notifications read: those named, or all", in: typ[readInput](), out: typ[readAnswer]()},
	"GET /v1/me/notification-preferences":                   {id: "getMyNotificationPreferences", tag: "notifications", summary: "Where each category of my notifications reaches me (email, console)", out: typ[prefList]()},
	"PUT /v1/me/notification-preferences":                   {id: "setMyNotificationPreferences", tag: "notifications", summary: "Choose, per category, whether my notifications come by email and in the console", in: typ[prefList](), out: typ[prefList]()},
	"GET /v1/me/tasks":                                      {id: "listMyTasks", tag: "notifications", summary: "What awaits me: a password to change, a second factor to set up, unread notifications, my organization's warnings", out: typ[taskList]()},
	"GET /v1/orgs/{org}/announcements":                      {id: "listAnnouncements", tag: "notifications", summary: "List the announcements published in %s, ended ones included", out: typ[announcementList](), both: true},
	"POST /v1/orgs/{org}/announcements":                     {id: "publishAnnouncement", tag: "notifications", summary: "Publish an announcement to the people of %s or one of its groups, for a time window", in: typ[announcementInput](), out: typ[announcementCreated](), status: created, etag: true, both: true},
	"DELETE /v1/orgs/{org}/announcements/{id}":              {id: "deleteAnnouncement", tag: "notifications", summary: "Withdraw an announcement of %s", out: typ[revisionBody](), both: true},
	"GET /v1/announcements":                                 {id: "listOperatorAnnouncements", tag: "notifications", summary: "List the operator's announcements to everyone (operator only)", out: typ[announcementList]()},
	"POST /v1/announcements":                                {id: "publishOperatorAnnouncement", tag: "notifications", summary: "Publish an announcement to every person of the deployment (operator only)", in: typ[announcementInput](), out: typ[announcementCreated](), status: created, etag: true},
	"DELETE /v1/announcements/{id}":                         {id: "deleteOperatorAnnouncement", tag: "notifications", summary: "Withdraw an announcement of the operator (operator only)", out: typ[revisionBody]()},
	"GET /v1/me/passkeys":                                   {id: "listMyPasskeys", tag: "signin", summary: "List my passkeys", out: typ[passkeyList]()},
	"DELETE /v1/me/passkeys/{id}":                           {id: "removePasskey", tag: "signin", summary: "Remove one of my passkeys (browser session, recent sign-in)", out: typ[struct{}]()},
	"POST /v1/login/passkey/begin":                          {id: "beginPasskeyLogin", tag: "signin", summary: "Start signing in with a passkey: options for navigator.credentials.get", out: typ[signin.Options](), public: true},
	"POST /v1/login/passkey":                                {id: "passkeyLogin", tag: "signin", summary: "Sign in with the device's signed answer; the session is the gatehouse_session cookie", in: typ[signin.PasskeyAnswer](), out: typ[loginAnswer](), public: true},
	"POST /v1/me/mfa/totp":                                  {id: "beginTOTP", tag: "signin", summary: "Start setting up an authenticator app (secret, otpauth URI and QR code, shown once)", out: typ[totpEnrolment]()},
	"POST /v1/me/mfa/totp/confirm":                          {id: "confirmTOTP", tag: "signin", summary: "Turn the authenticator on with its first code; answers ten recovery codes, shown once", in: typ[codeInput](), out: typ[recoveryCodes]()},
	"POST /v1/me/mfa/recovery-codes":                        {id: "renewRecoveryCodes", tag: "signin", summary: "Replace my recovery codes (needs a recent sign-in)", out: typ[recoveryCodes]()},
	"POST /v1/orgs/{org}/users/{id}/password":               {id: "setUserPassword", tag: "signin", summary: "Set the password of a user of %s (temporary: changed at the next sign-in); its sessions end", in: typ[signin.SetPasswordInput](), out: typ[revisionBody](), both: true},
	"POST /v1/orgs/{org}/users/{id}/mfa/reset":              {id: "resetUserMFA", tag: "signin", summary: "Remove the second factor of a user of %s; its sessions end", out: typ[revisionBody](), both: true},
	"GET /v1/orgs/{org}/users/{id}/sessions":                {id: "listUserSessions", tag: "signin", summary: "List the sessions of a user of %s", out: typ[sessionList](), both: true},
	"DELETE /v1/orgs/{org}/users/{id}/sessions/{sid}":       {id: "endUserSession", tag: "signin", summary: "End a session of a user of %s", out: typ[struct{}](), both: true},
	"POST /v1/orgs/{org}/invitations":                       {id: "inviteUsers", tag: "signin", summary: "Invite a user of %s (JSON), many at once with one role and group for all (emails; answers 200 with the import result, all or nothing), or the users of a CSV file (text/csv), by email", in: typ[invitation](), out: typ[*gh.User](), status: created, etag: true, query: []param{qMode}, both: true},
	"POST /v1/orgs/{org}/users/bulk":                        {id: "bulkUsers", tag: "users", summary: "Apply one action to up to 1000 users of %s chosen by a list or a filter; preview says who would change, stay unchanged or be refused, and why, changing nothing", in: typ[directory.BulkInput](), out: typ[*directory.BulkResult](), both: true},
	"POST /v1/orgs/{org}/users/{id}/invitation":             {id: "resendInvitation", tag: "signin", summary: "Send an invited user of %s a new link", out: typ[revisionBody](), both: true},
	"POST /v1/invitations/accept":                           {id: "acceptInvitation", tag: "signin", summary: "Set the password of an invitation link", in: typ[signin.AcceptInput](), out: typ[acceptedAnswer](), public: true},
	"POST /v1/password/reset":                               {id: "requestReset", tag: "signin", summary: "Email a password reset link (the same answer whether or not the email exists)", in: typ[resetRequest](), out: typ[struct{}](), status: []int{202}, public: true},
	"POST /v1/password/reset/confirm":                       {id: "confirmReset", tag: "signin", summary: "Set a new password from a reset link; every session of the user ends", in: typ[signin.AcceptInput](), out: typ[acceptedAnswer](), public: true},
	"POST /v1/orgs/{org}/webhook/secret":                    {id: "rotateWebhookSecret", tag: "signin", summary: "Make a new signing key for the security webhook, shown once (Org Admins)", out: typ[webhookSecret]()},
	"GET /v1/orgs/{org}/mail":                               {id: "listMail", tag: "signin", summary: "The organization's outgoing mail and its delivery status (Org Admins)", out: typ[mailList]()},
	"GET /signin":                                           {id: "signinPage", tag: "pages", summary: "The sign-in page (welcome emails link here); with org (and workspace), that home's single sign-on buttons too", query: []param{qNext, {name: "org", desc: "An organization's slug: its identity providers are offered.", schema: str}, {name: "workspace", desc: "A workspace's slug: its own identity providers are offered instead.", schema: str}}, htmlOut: "The sign-in form.", public: true},
	"POST /signin":                                          {id: "signinForm", tag: "pages", summary: "Sign in from the page's form; the session is the gatehouse_session cookie", formIn: []string{"form_token", "email", "password", "org", "workspace", "next"}, htmlOut: "The next step, or the form again with what went wrong.", public: true},
	"POST /signin/mfa":                                      {id: "signinMFAForm", tag: "pages", summary: "Finish a sign-in from the page with an authenticator or recovery code", formIn: []string{"form_token", "code", "next"}, htmlOut: "Signed in, or the form again with what went wrong.", public: true},
	"POST /signin/mfa/code":                                 {id: "signinCodeForm", tag: "pages", summary: "Email or text a one-time code for the second step of a sign-in from the page", formIn: []string{"form_token", "method", "next"}, htmlOut: "The second step again, saying where the code went, or what went wrong.", public: true},
	"GET /invitations/accept":                               {id: "invitationPage", tag: "pages", summary: "Where an invitation email's link leads: a form to set a password", query: []param{qToken}, htmlOut: "The set-password form.", public: true},
	"POST /invitations/accept":                              {id: "invitationForm", tag: "pages", summary: "Set the password of an invitation link from the page's form", formIn: []string{"token", "password", "confirm"}, htmlOut: "Done, the form again with what went wrong, or a page saying the link no longer works.", public: true},
	"GET /password/reset":                                   {id: "resetPage", tag: "pages", summary: "Where a reset email's link leads (a form to set a new password); without a token, a form to ask for a link", query: []param{qToken}, htmlOut: "The form.", public: true},
	"POST /password/reset":                                  {id: "resetForm", tag: "pages", summary: "Set a new password from a reset link (token), or ask for a link (form_token, email, org)", formIn: []string{"token", "password", "confirm", "form_token", "email", "org"}, htmlOut: "Done, the form again with what went wrong, or a page saying the link no longer works.", public: true},
	"GET /v1/orgs/{org}/mail/{id}":                          {id: "getCaughtMail", tag: "signin", summary: "One message with its text, as serve --demo without SMTP caught it (Org Admins); 404 on other servers", out: typ[caughtMail]()},
	"GET /v1/orgs/{org}/identity-providers":                 {id: "listProviders", tag: "sso", summary: "List the identity providers of %s", out: typ[directory.List[*sso.ProviderView]](), both: true},
	"POST /v1/orgs/{org}/identity-providers":                {id: "createProvider", tag: "sso", summary: "Add an OIDC or SAML identity provider to %s (its issuer must answer discovery; SAML metadata must parse)", in: typ[sso.ProviderInput](), out: typ[*sso.ProviderView](), status: created, etag: true, both: true},
	"GET /v1/orgs/{org}/identity-providers/{id}":            {id: "getProvider", tag: "sso", summary: "Get an identity provider of %s, with the URLs its own admin needs", out: typ[*sso.ProviderView](), etag: true, both: true},
	"PUT /v1/orgs/{org}/identity-providers/{id}":            {id: "replaceProvider", tag: "sso", summary: "Replace an identity provider's settings (an empty client_secret keeps the old one)", in: typ[sso.ProviderInput](), out: typ[*sso.ProviderView](), etag: true, ifMatch: true, both: true},
	"DELETE /v1/orgs/{org}/identity-providers/{id}":         {id: "deleteProvider", tag: "sso", summary: "Remove an identity provider and every group's reference to it", out: typ[revisionBody](), ifMatch: true, both: true},
	"POST /v1/orgs/{org}/identity-providers/{id}/test":      {id: "testProvider", tag: "sso", summary: "Mapping test bench: what a pasted SAML response or ID token's claims would do, changing nothing", in: typ[sso.BenchInput](), out: typ[sso.BenchResult](), both: true},
	"GET /v1/orgs/{org}/identity-providers/{id}/attempts":   {id: "listProviderAttempts", tag: "sso", summary: "The last sign-ins through an identity provider, refused ones with the check that failed", out: typ[directory.List[*gh.Event]](), query: pages[:1], both: true},
	"PUT /v1/orgs/{org}/workspaces/{ws}/sign-in":            {id: "setWorkspaceSignIn", tag: "sso", summary: "Set whether a workspace's users may sign in with a password, or through single sign-on only", in: typ[gh.SignInRule](), out: typ[*gh.Workspace](), etag: true},
	"GET /v1/orgs/{org}/domains":                            {id: "listDomains", tag: "sso", summary: "List the email domains %s claims", out: typ[directory.List[*gh.Domain]](), both: true},
	"POST /v1/orgs/{org}/domains":                           {id: "claimDomain", tag: "sso", summary: "Claim an email domain for %s; publish its verification_token as a TXT record at _gatehouse-challenge.DOMAIN", in: typ[domainInput](), out: typ[*gh.Domain](), status: created, etag: true, both: true},
	"GET /v1/orgs/{org}/domains/{id}":                       {id: "getDomain", tag: "sso", summary: "Get a domain claim", out: typ[*gh.Domain](), etag: true, both: true},
	"POST /v1/orgs/{org}/domains/{id}/verify":               {id: "verifyDomain", tag: "sso", summary: "Look up the domain's TXT record and mark the claim verified", out: typ[*gh.Domain](), etag: true, both: true},
	"DELETE /v1/orgs/{org}/domains/{id}":                    {id: "releaseDomain", tag: "sso", summary: "Release a domain claim", out: typ[revisionBody](), both: true},
	"GET /v1/orgs/{org}/directories":                        {id: "listDirectories", tag: "provisioning", summary: "List the directories connected to %s", out: typ[directory.List[*provision.View]](), both: true},
	"POST /v1/orgs/{org}/directories":                       {id: "createDirectory", tag: "provisioning", summary: "Connect a SCIM or LDAP directory to %s; a SCIM directory's first token comes in the answer, once", in: typ[provision.Input](), out: typ[*provision.View](), status: created, etag: true, both: true},
	"GET /v1/orgs/{org}/directories/{id}":                   {id: "getDirectory", tag: "provisioning", summary: "Get a connected directory", out: typ[*provision.View](), etag: true, both: true},
	"PUT /v1/orgs/{org}/directories/{id}":                   {id: "replaceDirectory", tag: "provisioning", summary: "Change a connected directory (an empty bind_password keeps the old one)", in: typ[provision.Input](), out: typ[*provision.View](), etag: true, ifMatch: true, both: true},
	"DELETE /v1/orgs/{org}/directories/{id}":                {id: "deleteDirectory", tag: "provisioning", summary: "Disconnect a directory: its tokens end, what it managed becomes Gatehouse's own", out: typ[revisionBody](), both: true},
	"POST /v1/orgs/{org}/directories/{id}/tokens":           {id: "createDirectoryToken", tag: "provisioning", summary: "Make another SCIM token, shown once; older ones work until revoked", out: typ[newToken](), status: created, both: true},
	"GET /v1/orgs/{org}/directories/{id}/tokens":            {id: "listDirectoryTokens", tag: "provisioning", summary: "List a SCIM directory's tokens (never their secrets)", out: typ[directory.List[*gh.DirectoryToken]](), both: true},
	"DELETE /v1/orgs/{org}/directories/{id}/tokens/{token}": {id: "revokeDirectoryToken", tag: "provisioning", summary: "Revoke a SCIM token", out: typ[revisionBody](), both: true},
	"POST /v1/orgs/{org}/directories/{id}/sync":             {id: "syncDirectory", tag: "provisioning", summary: "Sync an LDAP directory now, or preview the sync with dry_run=true; a sync removing more people than the threshold is held (409 sync_held) until released", out: typ[ldap.Report](), query: []param{{name: "dry_run", desc: "true previews the sync and changes nothing.", schema: map[string]any{"type": "string", "enum": []string{"true", "false"}}}, {name: "release", desc: "true applies a sync that was held for removing many people.", schema: map[string]any{"type": "string", "enum": []string{"true", "false"}}}}, both: true},
	"POST /v1/orgs/{org}/directories/{id}/release":          {id: "releaseDirectory", tag: "provisioning", summary: "Let a held directory's disables and deletions through again, with a fresh allowance", out: typ[*provision.View](), etag: true, both: true},
	"GET /v1/orgs/{org}/directories/{id}/history":           {id: "directoryHistory", tag: "provisioning", summary: "A directory's last syncs, token changes and settings changes, newest first", out: typ[directory.List[*gh.Event]](), both: true},
	"GET /v1/sso/discover":                                  {id: "discoverSSO", tag: "sso", summary: "The identity providers an email signs in through, by its verified domain", out: typ[discovery](), query: []param{qEmail}, public: true},
	"GET /login/sso":                                        {id: "ssoDiscoverPage", tag: "pages", summary: "Send an email to its domain's identity provider (or a choice of them)", query: []param{qEmail, qNext}, htmlOut: "A redirect to the provider, a choice, or the sign-in page.", public: true},
	"GET /sso/{idp}/start":                                  {id: "ssoStart", tag: "pages", summary: "Begin a sign-in through an identity provider", query: []param{qNext}, htmlOut: "A redirect to the provider.", public: true},
	"GET /sso/{idp}/oidc/callback":                          {id: "ssoOIDCCallback", tag: "pages", summary: "Where an OpenID Provider sends the browser back with a code", query: oidcCallbackQuery, htmlOut: "Signed in (a redirect), or the sign-in page.", public: true},
	"POST /sso/{idp}/saml/acs":                              {id: "ssoSAMLACS", tag: "pages", summary: "SAML assertion consumer service (POST binding)", formIn: []string{"SAMLResponse", "RelayState"}, htmlOut: "Signed in (a redirect), or the sign-in page.", public: true},
	"GET /sso/{idp}/saml/metadata":                          {id: "ssoSAMLMetadata", tag: "pages", summary: "The SAML service provider's metadata for one identity provider", textOut: "SAML metadata (application/samlmetadata+xml).", public: true},
	"GET /v1/index/digest":                                  {id: "indexDigest", tag: "access", summary: "The revision and a digest of this node's index, to compare nodes (operator only)", out: typ[indexDigest](), query: lookupQuery[2:], waits: true},
	"POST /v1/check":                                        {id: "check", tag: "access", summary: "Check whether a user holds a capability", in: typ[checkRequest](), out: typ[engine.Decision](), waits: true},
	"POST /v1/check/batch":                                  {id: "checkBatch", tag: "access", summary: "Check up to 1000 questions at once; each answers a decision or an error", in: typ[batchCheckRequest](), out: typ[batchCheckResponse](), waits: true},
	"POST /v1/explain":                                      {id: "explain", tag: "access", summary: "Check, and say why: the steps and every path to the workspace", in: typ[checkRequest](), out: typ[engine.Explanation](), waits: true},
	"GET /v1/lookup/workspaces":                             {id: "lookupWorkspaces", tag: "access", summary: "List the workspaces where a user holds a capability, a page at a time in id order", out: typ[LookupList[engine.WorkspaceAccess]](), query: append([]param{qOrg, qUser, qCapability}, lookupQuery...), waits: true},
	"GET /v1/lookup/users":                                  {id: "lookupUsers", tag: "access", summary: "List the users holding a capability in a workspace, a page at a time in id order (Organization Admins)", out: typ[LookupList[engine.UserAccess]](), query: append([]param{qOrg, qWorkspace, qCapability}, lookupQuery...), waits: true},
}

// inputRequired names the fields a request body must have. Output types need
// no entry: a field without omitempty is always present in a response.
var inputRequired = map[reflect.Type][]string{
	typ[directory.OrgInput]():           {"name", "admin"},
	typ[directory.UserInput]():          {"email", "given_name"},
	typ[directory.WorkspaceInput]():     {"name"},
	typ[directory.GroupInput]():         {"name"},
	typ[directory.RoleInput]():          {"name"},
	typ[directory.TemplateInput]():      {"name"},
	typ[directory.TemplateEntryInput](): {"group_id", "role"},
	typ[directory.KeyInput]():           {},
	typ[directory.RecoverInput]():       {},
	typ[directory.OrgPatch]():           {},
	typ[directory.WorkspacePatch]():     {},
	typ[directory.UserPatch]():          {},
	typ[directory.GroupPatch]():         {},
	typ[directory.RolePatch]():          {},
	typ[checkRequest]():                 {"user", "capability"},
	typ[batchCheckRequest]():            {"checks"},
	typ[assignInput]():                  {"principal", "role"},
	typ[assignmentPatch]():              {"role"},
	typ[memberInput]():                  {"member"},
	typ[batchInput]():                   {"operations"},
	typ[directory.BatchOp]():            {"op", "type"},
	typ[invitation]():                   {},
	typ[directory.BulkInput]():          {"select", "action"},
	typ[directory.BulkAction]():         {"type"},
	typ[directory.Selection]():          {},
}

// mayBeNull lists array fields of answers that may be null (none today).
var mayBeNull = map[reflect.Type][]string{}

var (
	created       = []int{http.StatusCreated}
	createdOrKept = []int{http.StatusCreated, http.StatusOK}
)

// The bodies below mirror what handlers declare inline, so the document can name them.
// param is a query parameter.
type param struct {
	name, desc string
	schema     map[string]any
	required   bool
}

var (
	str   = map[string]any{"type": "string"}
	pages = []param{
		{name: "limit", desc: "At most this many items (100 when absent).", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": directory.MaxLimit}},
		{name: "cursor", desc: "The next_cursor of the previous page.", schema: str},
	}
	qUsers            = param{name: "q", desc: "Only users whose email or name contains this text, in any case.", schema: str}
	qOrgRole          = param{name: "org_role", desc: "Only organization users with this organization role.", schema: map[string]any{"type": "string", "enum": []string{"admin", "member"}}}
	qGroup            = param{name: "group", desc: "Only members of this group (its id), directly or through nested groups.", schema: str}
	qUsable           = param{name: "usable", desc: "true lists, in one page, every role that may be assigned here: built-in, organization and (in a workspace) the workspace's own.", schema: map[string]any{"type": "string", "enum": []string{"true", "false"}}}
	qGroups           = param{name: "q", desc: "Only groups whose name contains this text, in any case.", schema: str}
	qMode             = param{name: "mode", desc: "all (the default) imports nothing unless every row is good; valid imports the good rows and reports the others.", schema: map[string]any{"type": "string", "enum": []string{"all", "valid"}, "default": "all"}}
	qToken            = param{name: "token", desc: "The one-time token of the emailed link.", schema: str}
	qEmail            = param{name: "email", desc: "An email address.", schema: str}
	oidcCallbackQuery = []param{
		{name: "code", desc: "The authorization code.", schema: str}, {name: "state", desc: "The round trip's state.", schema: str},
		{name: "error", desc: "The provider's error code.", schema: str}, {name: "error_description", desc: "The provider's error text.", schema: str},
		{name: "error_uri", desc: "The provider's error page.", schema: str}, {name: "iss", desc: "The issuer (RFC 9207).", schema: str},
		{name: "session_state", desc: "The provider's session state.", schema: str}, {name: "scope", desc: "The scopes granted.", schema: str},
	}
	qNext            = param{name: "next", desc: "Where the console sends the browser once signed in: a path on this server.", schema: str}
	qExportWorkspace = param{name: "workspace", desc: "Only this workspace (id or slug).", schema: str}
	qOrg             = param{name: "org", desc: "The organization (id or slug) by which user and workspace are named; the key's own when absent.", schema: str}
	qUser            = param{name: "user", desc: "The user, by id or email.", schema: str, required: true}
	qWorkspace       = param{name: "workspace", desc: "The workspace, by id or slug.", schema: str, required: true}
	qCapability      = param{name: "capability", desc: "A workspace capability, such as incidents.view.", schema: str, required: true}
	lookupQuery      = []param{
		{name: "level", desc: "The least level to count (full when absent).", schema: map[string]any{"type": "string", "enum": []string{"limited", "full"}, "default": "full"}},
		{name: "at_least_revision", desc: "Answer only once this node has applied this revision (one a write returned).", schema: map[string]any{"type": "integer", "format": "int64", "minimum": 0}},
		{name: "fully_consistent", desc: "Catch up with the store first.", schema: map[string]any{"type": "boolean"}},
		pages[0], pages[1],
		{name: "paths", desc: "true gives each answer every path to it: the assignment, the chain of groups and the role.", schema: map[string]any{"type": "boolean", "default": false}},
	}
	qFormat      = param{name: "format", desc: "json (the default) or csv.", schema: map[string]any{"type": "string", "enum": []string{"json", "csv"}, "default": "json"}}
	reportParams = []param{
		{name: "since", desc: "The period's start: a date or an RFC 3339 time (30 days before until when absent).", schema: str},
		{name: "until", desc: "The period's end, not included: a date or an RFC 3339 time (now when absent).", schema: str},
		qFormat,
	}
	eventQuery = []param{
		{name: "actor", desc: "Only events by this user id.", schema: str},
		{name: "target", desc: "Only events whose target or any change has this id.", schema: str},
		{name: "action", desc: `An exact action ("user.create") or a prefix ending in "." ("user.").`, schema: str},
		{name: "since", desc: "Only events at or after this time.", schema: map[string]any{"type": "string", "format": "date-time"}},
		{name: "until", desc: "Only events before this time.", schema: map[string]any{"type": "string", "format": "date-time"}},
		pages[0],
		{name: "cursor", desc: "The next_cursor of the previous page: a revision.", schema: map[string]any{"type": "string", "pattern": "^[1-9][0-9]*$"}},
	}
)

func statusQuery(vals ...gh.Status) param {
	return param{name: "status", desc: "Only objects with this status.", schema: map[string]any{"type": "string", "enum": vals}}
}

// pathParams describes each path parameter; {id} is named by the collection before it.
var pathParams = map[string]string{
	"org": "The organization's id or slug.", "ws": "The workspace's id or slug.",
	"member": "The member's user or group id.", "key": "The API key's id.", "type": "The member's type.",
	"users": "The user's id.", "groups": "The group's id.", "roles": "The role's id; under an organization or workspace, its name too.",
	"assignments": "The assignment's id.", "templates": "The template's id.", "custom": "The capability's id.",
	"sessions": "The session's id.", "identity-providers": "The identity provider's id.", "domains": "The domain claim's id.", "exclusions": "The exclusion's id.", "idp": "The identity provider's id.", "directories": "The directory's id.", "token": "The token's id.", "mail": "The message's id.", "sid": "The session's id.", "passkeys": "The passkey's credential id (base64url).",
	"announcements": "The announcement's id.",
}

// openAPIDoc is the document, built once when the program starts.
var openAPIDoc = mustMarshal(openAPI())

func mustMarshal(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic("openapi: " + err.Error())
	}
	return append(b, '\n')
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
}

// workspaceTwin is the pattern Server.both registers beside an organization pattern.
func workspaceTwin(pattern string) string {
	return strings.Replace(pattern, "/v1/orgs/{org}", "/v1/orgs/{org}/workspaces/{ws}", 1)
}

// expandOperations returns every route of the table, workspace twins included.
func expandOperations() map[string]op {
	out := map[string]op{}
	for key, o := range operations {
		method, pattern, _ := strings.Cut(key, " ")
		if !o.both {
			out[key] = o
			continue
		}
		twin := o
		i := strings.IndexFunc(o.id, unicode.IsUpper)
		twin.id = o.id[:i] + "Workspace" + o.id[i:]
		o.summary, twin.summary = fmt.Sprintf(o.summary, "the organization"), fmt.Sprintf(o.summary, "a workspace")
		out[key], out[method+" "+workspaceTwin(pattern)] = o, twin
	}
	return out
}

// openAPI builds the document from the table and the Go types.
func openAPI() map[string]any {
	sc := newSchemaSet()
	paths := map[string]map[string]any{}
	for key, o := range expandOperations() {
		method, pattern, _ := strings.Cut(key, " ")
		if paths[pattern] == nil {
			paths[pattern] = map[string]any{}
		}
		paths[pattern][strings.ToLower(method)] = o.operation(method, pattern, sc)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Gatehouse",
			"version": "1",
			"description": "Identity and access for organizations and their workspaces. Errors are RFC 9457 " +
				"problem documents with a stable code; writes answer the new revision, and updates honour " +
				"If-Match with the ETag a read returned.",
		},
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}},
		"components": map[string]any{
			"schemas":   sc.defs,
			"responses": problemResponses(sc),
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "An API key."},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie, "description": "A session from POST /v1/login; requests that change something also send its CSRF token in X-CSRF-Token."},
			},
			"headers": map[string]any{"ETag": map[string]any{"description": "The object's revision, for If-Match.",
				"schema": map[string]any{"type": "string", "pattern": `^"[0-9]+"$`}}},
			"parameters": map[string]any{"IfMatch": map[string]any{"name": "If-Match", "in": "header",
				"description": "Change only if the object is still at this revision (an ETag this API returned); 412 otherwise.",
				"schema":      map[string]any{"type": "string"}}},
		},
	}
}

// operation is the OpenAPI operation object of o at method and pattern.
func (o op) operation(method, pattern string, sc *schemaSet) map[string]any {
	out := map[string]any{"operationId": o.id, "summary": o.summary, "tags": []string{o.tag}}
	if o.public {
		out["security"] = []any{}
	}
	var params []any
	for _, seg := range strings.Split(pattern, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			params = append(params, pathParam(strings.TrimSuffix(name, "}"), pattern))
		}
	}
	for _, q := range o.query {
		p := map[string]any{"name": q.name, "in": "query", "description": q.desc, "schema": q.schema}
		if q.required {
			p["required"] = true
		}
		params = append(params, p)
	}
	if o.ifMatch {
		params = append(params, map[string]any{"$ref": "#/components/parameters/IfMatch"})
	}
	if o.idemKey {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header",
			"description": "1 to 200 visible ASCII characters naming this request for 24 hours: a retry with the same key and body " +
				"is answered what the first request was answered (with Idempotent-Replayed: true) and changes nothing; " +
				"the key with another body answers 409 idempotency_key_reused. Dry runs are not kept.",
			"schema": map[string]any{"type": "string", "pattern": `^[\x21-\x7e]{1,200}$`}})
	}
	if len(params) > 0 {
		out["parameters"] = params
	}
	switch {
	case o.in != nil:
		out["requestBody"] = map[string]any{"required": true,
			"content": map[string]any{"application/json": map[string]any{"schema": sc.schema(o.in)}}}
	case o.formIn != nil:
		props := map[string]any{}
		for _, f := range o.formIn {
			props[f] = str
		}
		out["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/x-www-form-urlencoded": map[string]any{"schema": map[string]any{"type": "object", "properties": props}}}}
	case o.imageIn:
		img := map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
		out["requestBody"] = map[string]any{"required": true,
			"description": "The picture as the raw body: a PNG, JPEG or GIF of at most 2 MiB and 4096×4096 pixels, " +
				"whose content is what its Content-Type says and ends where the image ends. It is kept re-encoded as a 256×256 PNG, without its metadata.",
			"content": map[string]any{"image/png": img, "image/jpeg": img, "image/gif": img}}
	case o.csvIn:
		out["requestBody"] = map[string]any{"required": true,
			"description": "A CSV file whose first line names the columns: email and first_name are required; " +
				"last_name, role (the organization role, or a workspace role on a workspace) and group (a name or id) are optional, " +
				"and so are the profile columns job_title, department, phone, phones (TYPE:NUMBER items), manager (the email of a user of the same home), " +
				"skills, specializations (lists separated by ;), language (BCP 47) and time_zone (IANA).",
			"content": map[string]any{"text/csv": map[string]any{"schema": str,
				"example": "email,first_name,last_name,role,group\nana@acme.example,Ana,Alves,member,SOC Tier 1\n"}}}
	}
	out["responses"] = o.responses(method, pattern, sc)
	return out
}

func pathParam(name, pattern string) map[string]any {
	desc, schema := pathParams[name], str
	if name == "id" {
		segs := strings.Split(pattern, "/")
		desc = pathParams[segs[slices.Index(segs, "{id}")-1]]
	}
	if name == "type" {
		schema = map[string]any{"$ref": "#/components/schemas/PrincipalType"}
	}
	if desc == "" {
		panic("openapi: no description of path parameter {" + name + "} in " + pattern)
	}
	return map[string]any{"name": name, "in": "path", "required": true, "description": desc, "schema": schema}
}

func (o op) responses(method, pattern string, sc *schemaSet) map[string]any {
	out := map[string]any{}
	status := o.status
	if len(status) == 0 {
		status = []int{http.StatusOK}
	}
	for _, st := range status {
		r := map[string]any{"description": http.StatusText(st)}
		switch {
		case o.out != nil:
			r["content"] = map[string]any{"application/json": map[string]any{"schema": sc.schema(o.out)}}
			if o.csvOut != "" { // ?format=csv
				r["description"] = "JSON, or with format=csv a CSV file with a header line and the columns " + o.csvOut + "."
				r["content"].(map[string]any)["text/csv"] = map[string]any{"schema": str}
			}
		case o.csvOut != "":
			r["description"] = "A CSV file with a header line and the columns " + o.csvOut + "."
			r["content"] = map[string]any{"text/csv": map[string]any{"schema": str}}
		case o.pngOut:
			r["description"] = "The picture, always image/png, with X-Content-Type-Options: nosniff and a Content-Security-Policy that runs nothing; " +
				"its ETag is the picture's SHA-256, and If-None-Match with it answers 304."
			r["content"] = map[string]any{"image/png": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
		case o.textOut != "":
			r["description"] = o.textOut
			r["content"] = map[string]any{"text/plain": map[string]any{"schema": str}}
		case o.htmlOut != "":
			r["description"] = o.htmlOut
			r["content"] = map[string]any{"text/html": map[string]any{"schema": str}}
		}
		if o.etag {
			r["headers"] = map[string]any{"ETag": map[string]any{"$ref": "#/components/headers/ETag"}}
		}
		if o.idemKey {
			r["headers"] = map[string]any{"Idempotent-Replayed": map[string]any{"description": "true when this is the answer kept for an earlier request with the same Idempotency-Key.",
				"schema": map[string]any{"type": "string", "enum": []string{"true"}}}}
		}
		out[fmt.Sprint(st)] = r
	}
	for _, st := range o.errorStatuses(method, pattern) {
		out[fmt.Sprint(st)] = map[string]any{"$ref": "#/components/responses/" + problemNames[st]}
	}
	return out
}

// errorStatuses says which problems the route may answer, from what it takes.
func (o op) errorStatuses(method, pattern string) []int {
	out := []int{http.StatusInternalServerError}
	body := o.in != nil || o.csvIn || o.imageIn
	write := method != "GET" && !o.waits
	add := func(ok bool, st int) {
		if ok && !o.public {
			out = append(out, st)
		}
	}
	add(body || len(o.query) > 0 || o.ifMatch || strings.Contains(pattern, "{type}"), http.StatusBadRequest)
	add(true, http.StatusUnauthorized)
	add(true, http.StatusForbidden)
	add(strings.Contains(pattern, "{") || o.waits, http.StatusNotFound)
	add(write, http.StatusConflict)
	add(o.ifMatch, http.StatusPreconditionFailed)
	add(body, http.StatusRequestEntityTooLarge)
	add(body, http.StatusUnsupportedMediaType)
	add(o.waits, http.StatusServiceUnavailable)
	slices.Sort(out)
	return out
}

var problemNames = map[int]string{
	400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
	412: "PreconditionFailed", 413: "TooLarge", 415: "UnsupportedMediaType", 500: "Internal", 503: "Unavailable",
}

// problemResponses are the error answers, all application/problem+json.
func problemResponses(sc *schemaSet) map[string]any {
	desc := map[int]string{
		400: "The request is invalid and nothing was changed; fields names each bad field.",
		401: "No valid API key: send Authorization: Bearer <key>.",
		403: "The key's user may not do this.",
		404: "No such object, or it belongs to another organization.",
		409: "A name, slug or email is taken, the change would make a group cycle, or an Idempotency-Key was used for another request.",
		412: "If-Match names a revision that is no longer current: read the object again.",
		415: "The body is not of the media type the endpoint takes (application/json, or text/csv for imports).",
		413: "The body is larger than allowed.",
		500: "Something went wrong on our side; request_id identifies it in the logs.",
		503: "This node has not reached the requested revision yet: retry.",
	}
	out := map[string]any{}
	for st, name := range problemNames {
		out[name] = map[string]any{"description": desc[st],
			"content": map[string]any{"application/problem+json": map[string]any{"schema": sc.schema(typ[Problem]())}}}
	}
	return out
}
