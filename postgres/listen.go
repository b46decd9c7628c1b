package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen wakes the caller whenever any node commits events: it holds one
// connection that LISTENs on the events channel and sends on the returned
// channel (without blocking: one pending wake-up is enough, since the follower
// reads everything after its revision). On a lost connection it reconnects
// and sends a wake-up, as notifications may have been missed meanwhile.
// The channel is closed when ctx ends.
func (db *DB) Listen(ctx context.Context) (<-chan struct{}, error) {
	conn, err := db.listen(ctx)
	if err != nil {
		return nil, err
	}
	wake := make(chan struct{}, 1)
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(wake)
		for ctx.Err() == nil {
			if conn == nil {
				if conn, err = db.listen(ctx); err != nil {
					select {
					case <-ctx.Done():
					case <-time.After(time.Second):
					}
					continue
				}
				poke()
			}
			if _, err := conn.WaitForNotification(ctx); err != nil {
				conn.Close(context.Background())
				conn = nil
				continue
			}
			poke()
		}
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	return wake, nil
}

func (db *DB) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, db.cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}
