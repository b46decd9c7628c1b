package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// execute runs the command line and returns the exit code.
func execute(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	if err := checkUnknownSub(root, args); err != nil {
		return exitCode(err, stderr)
	}
	return exitCode(root.Execute(), stderr)
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "gatehouse",
		Short: "Identity and access for managed-security partners and their customers",
		Long: `Identity and access for managed-security partners and their customers.

Exit codes: 0 done (check and explain: allowed), 1 failed (check and explain:
denied), 2 the command line is wrong (unknown command or flag, missing argument).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.Version = version()
	root.SetVersionTemplate("gatehouse {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newServe(stdout, stderr), newMigrate(stdout), newBench(stdout), newVersion())
	addClientCommands(root)
	nameArgs(root)
	return root
}

func newServe(stdout, stderr io.Writer) *cobra.Command {
	cfg := DefaultConfig()
	cfg.FromEnv()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the service (SQLite file by default, PostgreSQL with a postgres:// store)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			lvl, err := cfg.level()
			if err != nil {
				return err
			}
			log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
			tuneRuntime(log)
			m := &Main{Config: cfg, Out: stdout, Log: log, FailureFloor: 250 * time.Millisecond}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := m.Run(ctx); err != nil {
				_ = m.Close()
				return err
			}
			<-ctx.Done()
			log.Info("shutting down")
			return m.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (GATEHOUSE_ADDR)")
	f.StringVar(&cfg.Store, "store", cfg.Store, "SQLite file path or postgres:// URL (GATEHOUSE_STORE)")
	f.BoolVar(&cfg.Demo, "demo", false, "fill an empty store with a demo organization")
	f.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error (GATEHOUSE_LOG_LEVEL)")
	f.DurationVar(&cfg.Follow, "follow", cfg.Follow, "how often to look for changes made by other nodes")
	f.BoolVar(&cfg.NoListen, "no-listen", false, "do not wake on PostgreSQL notifications (testing a lagging node)")
	_ = f.MarkHidden("no-listen")
	f.StringVar(&cfg.DebugAddr, "debug-addr", "", "serve Go's profiler (/debug/pprof/) on this separate address, e.g. 127.0.0.1:6060")
	f.StringVar(&cfg.SMSURL, "sms-url", cfg.SMSURL, "HTTP gateway that texts one-time codes (GATEHOUSE_SMS_URL; its secret in GATEHOUSE_SMS_SECRET)")
	f.DurationVar(&cfg.SMSTimeout, "sms-timeout", cfg.SMSTimeout, "how long to wait for the SMS gateway per message (GATEHOUSE_SMS_TIMEOUT; default 10s)")
	return cmd
}

func newMigrate(stdout io.Writer) *cobra.Command {
	store := DefaultConfig().Store
	if v := os.Getenv("GATEHOUSE_STORE"); v != "" {
		store = v
	}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openStore(context.Background(), store)
			if err != nil {
				return err
			}
			defer s.Close()
			head, err := s.Head(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "store %s is up to date (revision %d)\n", storeKind(store), head)
			return nil
		},
	}
	cmd.Flags().StringVar(&store, "store", store, "SQLite file path or postgres:// URL (GATEHOUSE_STORE)")
	return cmd
}
