package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

func init() { extraCommands = append(extraCommands, (*App).backupCommand) }

// backupCommand is `rolecall backup PATH`: an online, consistent copy of an SQLite
// database, safe while `rolecall serve` runs on it. PostgreSQL has pg_dump for that; the
// command says so rather than half-doing it.
func (a *App) backupCommand() *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "backup PATH",
		Short: "Copy the SQLite database to PATH, consistently, while the server runs (offline: --db)",
		Long: `Write a consistent copy of the SQLite database named by --db to PATH, a new file.
It is safe while "rolecall serve" is running and writing: the copy is one snapshot, so every
request is in it whole or not at all. Restore by stopping the server and starting it on the
copy ("rolecall serve --db sqlite:PATH"), or by moving the copy into place; docs/backup.md
has the steps. For a PostgreSQL database use pg_dump (the command prints how).`,
		Example: `  rolecall backup --db sqlite:/var/lib/rolecall/rolecall.db /backups/rolecall-$(date +%F).db`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			if err := existingSQLite(db); err != nil {
				return err
			}
			if err := sqlstore.Backup(cmd.Context(), db, args[0]); err != nil {
				return err
			}
			st, err := os.Stat(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "Backed up %s to %s (%d bytes, %s).\n", redactDSN(db), args[0], st.Size(),
				time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", a.env("ROLECALL_DB", DefaultDB), "database to copy: sqlite:PATH (env ROLECALL_DB)")
	return cmd
}
