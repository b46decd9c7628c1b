package sqlstore

import (
	"fmt"

	"gatehouse.dev/gatehouse"
)

// Stmt is one statement of a pipeline: its query, already in the dialect's
// placeholders, and its arguments.
type Stmt struct {
	Query string
	Args  []any
}

// pipe holds the statements of an AppendAll until it sends them together;
// where the dialect has no Pipeline each statement runs as it is added.
// Reads in between are safe: AppendAll reads only the log's last hash per
// organization, which its own pending statements do not change.
type pipe struct {
	t     *tx
	stmts []Stmt
	fails []func(error) error // how each statement's failure reads
}

// add runs q now, or queues it when the dialect pipelines; fail turns the
// driver's error into the domain's.
func (p *pipe) add(q string, args []any, fail func(error) error) error {
	t := p.t
	if t.d.Pipeline == nil {
		if err := t.exec(q, args...); err != nil {
			return fail(err)
		}
		return nil
	}
	p.stmts = append(p.stmts, Stmt{Query: t.d.rebind(q), Args: args})
	p.fails = append(p.fails, fail)
	return nil
}

// send runs the queued statements in one round trip.
func (p *pipe) send() error {
	if len(p.stmts) == 0 {
		return nil
	}
	i, err := p.t.d.Pipeline(p.t.ctx, p.t.conn, p.stmts)
	switch {
	case err == nil:
		return nil
	case i < 0 || i >= len(p.fails):
		return gatehouse.Internal(fmt.Errorf("pipeline: %w", err))
	}
	return p.fails[i](err)
}
