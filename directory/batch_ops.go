package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	gh "gatehouse.dev/gatehouse"
)

// MaxBatch bounds the operations of one batch.
const MaxBatch = 1000

// BatchOp is one operation of a batch: the body of the single endpoint it
// stands for, and where it applies. Strings of the form "$name" anywhere in
// Workspace, ID or Body name what the earlier operation with ref "name" created.
type BatchOp struct {
	Op   string `json:"op"`   // create, update, delete
	Type string `json:"type"` // workspace, user, group, membership, role, assignment
	// Ref names what a create makes, for later operations ("$ref").
	Ref string `json:"ref,omitempty"`
	// Workspace is the workspace (id, slug or "$ref") of a workspace's user,
	// group, role or assignment; empty for the organization's own.
	Workspace string `json:"workspace,omitempty"`
	// ID is the object updated or deleted (id or "$ref"); for a membership, its group.
	ID   string          `json:"id,omitempty"`
	Body json.RawMessage `json:"body,omitempty"`
}

// BatchResult is what one operation did.
type BatchResult struct {
	Index    int         `json:"index"`
	Op       string      `json:"op"`
	Type     string      `json:"type"`
	Ref      string      `json:"ref,omitempty"`
	ID       string      `json:"id,omitempty"`
	Revision gh.Revision `json:"revision"`
}

// OpError is why one operation of a refused batch failed.
type OpError struct {
	Index int
	Err   *gh.Error
}

// BatchError refuses a batch, naming every operation that failed.
type BatchError struct{ Failed []OpError }

func (e *BatchError) Error() string {
	return fmt.Sprintf("%d of the batch's operations failed; nothing was changed", len(e.Failed))
}

// Unwrap lets KindOf see the batch as invalid input.
func (e *BatchError) Unwrap() error {
	return gh.Errorf(gh.KindInvalid, "batch_refused", "%d of the batch's operations failed; nothing was changed", len(e.Failed))
}

var refRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Keeper keeps the answer to a batch in the batch's own transaction, so that
// the batch and its answer commit together or not at all (an idempotency key).
type Keeper interface {
	// Kept runs first, in the transaction, which sees every write committed
	// before it: an error (the answer an earlier batch kept, say) ends the
	// batch before it applies anything, and ApplyBatch returns it.
	Kept(v gh.VaultTx) error
	// Keep runs last with what the batch did: its results and revision, or
	// the *BatchError refusing it. A refused batch's operations are undone;
	// what Keep writes stays. If Keep fails, nothing is written.
	Keep(v gh.VaultTx, results []BatchResult, rev gh.Revision, refused *BatchError) error
}

// ApplyBatch applies ops at organization o as one batch with id as its batch
// id: all of them, in order, each under the rules of its single endpoint, or
// none (a *BatchError naming every failed operation). With dryRun it does
// everything but keep it. A non-nil k keeps the answer of a batch that is not
// a dry run (see Keeper). Errors: KindInvalid (*BatchError, or a batch too
// large or empty), what k.Kept returns, what the write path returns.
func (d *Directory) ApplyBatch(ctx context.Context, a *Actor, o *gh.Org, id string, ops []BatchOp, dryRun bool, k Keeper) ([]BatchResult, gh.Revision, error) {
	if err := checkBatchSize(ops); err != nil {
		return nil, 0, err
	}
	var results []BatchResult
	var last gh.Revision
	var keep func(v gh.VaultTx, err error) error
	if k != nil {
		keep = func(v gh.VaultTx, err error) error {
			var refused *BatchError
			switch {
			case err == nil:
				return k.Keep(v, results, last, nil)
			case errors.As(err, &refused):
				return k.Keep(v, nil, 0, refused)
			}
			return err // not the batch's answer (a kept one, our fault): keep nothing
		}
	}
	rev, err := d.batch(ctx, a, id, dryRun, func(ctx context.Context) error {
		if k != nil {
			if err := k.Kept(vaultOf(ctx)); err != nil {
				return err
			}
		}
		var err error
		if results, _, err = d.runOps(ctx, a, o, ops); err != nil {
			return err
		}
		last = d.idx.Revision() // the batch's writes are in the index already
		return nil
	}, keep)
	if err != nil {
		return nil, 0, err
	}
	return results, rev, nil
}

// checkBatchSize refuses an empty batch and one of more than MaxBatch operations.
func checkBatchSize(ops []BatchOp) error {
	switch {
	case len(ops) == 0:
		return gh.Invalid("invalid_input", "operations", "must hold at least one operation")
	case len(ops) > MaxBatch:
		return gh.Invalid("too_many_operations", "operations", fmt.Sprintf("must hold at most %d operations", MaxBatch))
	}
	return nil
}

// runOps runs ops in order inside a batch (ctx is the batch's) and returns
// their results and the ids their refs name, or a *BatchError naming every
// operation that failed, or the first error of ours.
func (d *Directory) runOps(ctx context.Context, a *Actor, o *gh.Org, ops []BatchOp) ([]BatchResult, map[string]string, error) {
	refs := map[string]string{}
	failed := &BatchError{}
	var results []BatchResult
	for i, op := range ops {
		res, err := d.applyOp(ctx, a, o, op, refs)
		if err != nil && gh.KindOf(err) == gh.KindInternal {
			return nil, nil, err // our fault, not the batch's: stop
		}
		if err != nil {
			failed.Failed = append(failed.Failed, OpError{Index: i, Err: gh.AsError(err)})
			continue
		}
		res.Index, res.Op, res.Type, res.Ref = i, op.Op, op.Type, op.Ref
		if op.Ref != "" {
			refs[op.Ref] = res.ID
		}
		results = append(results, res)
	}
	if len(failed.Failed) > 0 {
		return nil, nil, failed
	}
	return results, refs, nil
}

// applyOp resolves an operation's references and runs it.
func (d *Directory) applyOp(ctx context.Context, a *Actor, o *gh.Org, op BatchOp, refs map[string]string) (BatchResult, error) {
	if op.Ref != "" && (!refRE.MatchString(op.Ref) || op.Op != "create") {
		return BatchResult{}, gh.Invalid("invalid_input", "ref", "names what a create makes: 1-64 letters, digits, '.', '_' or '-'")
	}
	if _, dup := refs[op.Ref]; op.Ref != "" && dup {
		return BatchResult{}, gh.Invalid("invalid_input", "ref", "is used by an earlier operation")
	}
	var err error
	if op.Workspace, err = resolveRef(op.Workspace, refs); err != nil {
		return BatchResult{}, err
	}
	if op.ID, err = resolveRef(op.ID, refs); err != nil {
		return BatchResult{}, err
	}
	if op.Body, err = resolveBodyRefs(op.Body, refs); err != nil {
		return BatchResult{}, err
	}
	s, err := d.Resolve(a, string(o.ID), op.Workspace)
	if err != nil {
		return BatchResult{}, err
	}
	run, ok := batchOps[op.Type+" "+op.Op]
	if !ok {
		return BatchResult{}, gh.Invalid("invalid_input", "op",
			"must be create, update or delete of a workspace, user, group, role or assignment, or create or delete of a membership")
	}
	id, rev, err := run(ctx, d, a, s, op)
	return BatchResult{ID: id, Revision: rev}, err
}

// resolveRef turns "$name" into the id it names.
func resolveRef(v string, refs map[string]string) (string, error) {
	name, ok := strings.CutPrefix(v, "$")
	if !ok {
		return v, nil
	}
	id, known := refs[name]
	if !known || id == "" {
		return "", gh.Invalid("unknown_reference", "ref", fmt.Sprintf("%q names no object an earlier operation of the batch created", v))
	}
	return id, nil
}

// resolveBodyRefs replaces every string "$name" of a JSON body by its id.
func resolveBodyRefs(body json.RawMessage, refs map[string]string) (json.RawMessage, error) {
	if len(body) == 0 || !bytes.Contains(body, []byte(`"$`)) {
		return body, nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, gh.Invalid("malformed_body", "body", "is not valid JSON")
	}
	var walk func(v any) (any, error)
	walk = func(v any) (any, error) {
		switch x := v.(type) {
		case string:
			return resolveRef(x, refs)
		case []any:
			for i := range x {
				var err error
				if x[i], err = walk(x[i]); err != nil {
					return nil, err
				}
			}
		case map[string]any:
			for k := range x {
				var err error
				if x[k], err = walk(x[k]); err != nil {
					return nil, err
				}
			}
		}
		return v, nil
	}
	v, err := walk(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// opBody decodes an operation's body into dst, refusing unknown fields.
func opBody(op BatchOp, dst any) error {
	if len(op.Body) == 0 {
		return gh.Invalid("invalid_input", "body", "is required")
	}
	dec := json.NewDecoder(bytes.NewReader(op.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return gh.Invalid("invalid_input", "body", "has an unknown field "+f)
		}
		return gh.Invalid("invalid_input", "body", "does not fit this operation: "+strings.TrimPrefix(msg, "json: "))
	}
	return nil
}

func needID(op BatchOp) error {
	if op.ID == "" {
		return gh.Invalid("invalid_input", "id", "is required for "+op.Op+" of a "+op.Type)
	}
	return nil
}

func noWorkspace(s Scope, what string) error {
	if s.Workspace != nil {
		return gh.Invalid("invalid_input", "workspace", what+" belong to the organization; leave workspace out")
	}
	return nil
}

type batchRunner func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error)

// batchOps runs each kind of operation through the method of its single endpoint.
var batchOps = map[string]batchRunner{
	"workspace create": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in WorkspaceInput
		if err := firstErr(noWorkspace(s, "workspaces"), opBody(op, &in)); err != nil {
			return "", 0, err
		}
		w, rev, err := d.CreateWorkspace(ctx, a, s.Org, in)
		return idOf(w, err, func() string { return string(w.ID) }), rev, err
	},
	"workspace update": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in WorkspacePatch
		w, err := d.batchWorkspace(a, s, op)
		if err = firstErr(err, opBody(op, &in)); err != nil {
			return "", 0, err
		}
		_, rev, err := d.UpdateWorkspace(ctx, a, w, in, 0)
		return string(w.ID), rev, err
	},
	"workspace delete": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		w, err := d.batchWorkspace(a, s, op)
		if err != nil {
			return "", 0, err
		}
		rev, err := d.DeleteWorkspace(ctx, a, w, 0)
		return string(w.ID), rev, err
	},
	"user create": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in UserInput
		if err := opBody(op, &in); err != nil {
			return "", 0, err
		}
		u, rev, err := d.CreateUser(ctx, a, s, in)
		return idOf(u, err, func() string { return string(u.ID) }), rev, err
	},
	"user update": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in UserPatch
		if err := firstErr(needID(op), opBody(op, &in)); err != nil {
			return "", 0, err
		}
		_, rev, err := d.UpdateUser(ctx, a, s, gh.UserID(op.ID), in, 0)
		return op.ID, rev, err
	},
	"user delete": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		if err := needID(op); err != nil {
			return "", 0, err
		}
		rev, err := d.DeleteUser(ctx, a, s, gh.UserID(op.ID), 0)
		return op.ID, rev, err
	},
	"group create": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in GroupInput
		if err := opBody(op, &in); err != nil {
			return "", 0, err
		}
		g, rev, err := d.CreateGroup(ctx, a, s, in)
		return idOf(g, err, func() string { return string(g.ID) }), rev, err
	},
	"group update": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in GroupPatch
		if err := firstErr(needID(op), opBody(op, &in)); err != nil {
			return "", 0, err
		}
		_, rev, err := d.UpdateGroup(ctx, a, s, gh.GroupID(op.ID), in, 0)
		return op.ID, rev, err
	},
	"group delete": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		if err := needID(op); err != nil {
			return "", 0, err
		}
		rev, err := d.DeleteGroup(ctx, a, s, gh.GroupID(op.ID), 0)
		return op.ID, rev, err
	},
	"membership create": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in struct {
			Member gh.Principal `json:"member"`
		}
		if err := firstErr(needID(op), opBody(op, &in)); err != nil {
			return "", 0, err
		}
		_, rev, err := d.AddMember(ctx, a, s, gh.GroupID(op.ID), in.Member)
		return op.ID, rev, err
	},
	"membership delete": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in struct {
			Member gh.Principal `json:"member"`
		}
		if err := firstErr(needID(op), opBody(op, &in)); err != nil {
			return "", 0, err
		}
		rev, err := d.RemoveMember(ctx, a, s, gh.GroupID(op.ID), in.Member)
		return op.ID, rev, err
	},
	"role create": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in RoleInput
		if err := opBody(op, &in); err != nil {
			return "", 0, err
		}
		r, rev, err := d.CreateRole(ctx, a, s, in)
		return idOf(r, err, func() string { return string(r.ID) }), rev, err
	},
	"role update": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in RolePatch
		if err := firstErr(needID(op), opBody(op, &in)); err != nil {
			return "", 0, err
		}
		r, rev, err := d.UpdateRole(ctx, a, s, gh.RoleID(op.ID), in, 0)
		return idOf(r, err, func() string { return string(r.ID) }), rev, err
	},
	"role delete": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		if err := needID(op); err != nil {
			return "", 0, err
		}
		rev, err := d.DeleteRole(ctx, a, s, gh.RoleID(op.ID), 0)
		return op.ID, rev, err
	},
	"assignment create": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in struct {
			Principal gh.Principal `json:"principal"`
			Role      string       `json:"role"`
		}
		if err := opBody(op, &in); err != nil {
			return "", 0, err
		}
		if in.Role == "" {
			return "", 0, gh.Invalid("invalid_input", "body.role", "is required")
		}
		v, _, rev, err := d.Assign(ctx, a, s, in.Principal, in.Role)
		return idOf(v.Assignment, err, func() string { return string(v.ID) }), rev, err
	},
	"assignment update": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		var in struct {
			Role string `json:"role"`
		}
		if err := firstErr(needID(op), opBody(op, &in)); err != nil {
			return "", 0, err
		}
		cur, err := d.GetAssignment(a, s, gh.AssignmentID(op.ID))
		if err != nil {
			return "", 0, err
		}
		v, _, rev, err := d.Assign(ctx, a, s, cur.Principal, in.Role)
		return idOf(v.Assignment, err, func() string { return string(v.ID) }), rev, err
	},
	"assignment delete": func(ctx context.Context, d *Directory, a *Actor, s Scope, op BatchOp) (string, gh.Revision, error) {
		if err := needID(op); err != nil {
			return "", 0, err
		}
		rev, err := d.Unassign(ctx, a, s, gh.AssignmentID(op.ID), 0)
		return op.ID, rev, err
	},
}

// batchWorkspace resolves the workspace an update or delete names in ID.
func (d *Directory) batchWorkspace(a *Actor, s Scope, op BatchOp) (*gh.Workspace, error) {
	if err := firstErr(noWorkspace(s, "workspaces"), needID(op)); err != nil {
		return nil, err
	}
	return d.Workspace(a, s.Org, op.ID)
}

func idOf[T any](v *T, err error, id func() string) string {
	if err != nil || v == nil {
		return ""
	}
	return id()
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// OpPath is how an operation is named in messages: "operations[3]".
func OpPath(i int) string { return "operations[" + strconv.Itoa(i) + "]" }
