// Command authzpop writes one benchmark population (internal/population) in the forms the
// decision benchmark needs: AuthZEN evaluation and resource-search requests with the decisions
// rolecall's rules give (evaluations.jsonl, searches.jsonl, for scimload's AuthZEN workloads),
// the equivalent OpenFGA relationship tuples (tuples.jsonl, for bench/authzen's loader), and,
// with -sqlite, rolecall's own SQLite database seeded directly through the store.
//
//	authzpop -users 10000 -out /tmp/pop10k -sqlite /tmp/pop10k/rolecall.db -token "$ADMIN"
//	authzpop -users 100000 -out /tmp/pop100k        # the enforce-groups budget population
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rolecall/rolecall/internal/access"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/population"
	"github.com/rolecall/rolecall/internal/service"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("authzpop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	users := fs.Int("users", 10000, "users (100000: the enforce-groups budget population; fewer: the same shape scaled)")
	seed := fs.Uint64("seed", 1, "seed of the population")
	out := fs.String("out", "", "directory for tuples.jsonl, evaluations.jsonl, searches.jsonl and spec.json")
	nEval := fs.Int("evaluations", 20000, "evaluation requests drawn")
	nSearch := fs.Int("searches", 500, "resource-search requests drawn")
	reqSeed := fs.Uint64("request-seed", 1, "seed of the requests drawn")
	sqlite := fs.String("sqlite", "", "also seed this new rolecall SQLite database (the bootstrap org, \"default\")")
	token := fs.String("token", "", "bootstrap admin token secret for -sqlite (or env ROLECALL_BOOTSTRAP_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "authzpop: -out DIR is required, and nothing else")
		return 2
	}
	if *token == "" {
		*token = os.Getenv("ROLECALL_BOOTSTRAP_TOKEN")
	}
	if err := write(ctx, *users, *seed, *out, *nEval, *nSearch, *reqSeed, *sqlite, *token, stderr); err != nil {
		fmt.Fprintf(stderr, "authzpop: %v\n", err)
		return 1
	}
	return 0
}

func write(ctx context.Context, users int, seed uint64, out string, nEval, nSearch int, reqSeed uint64, sqlite, token string, log io.Writer) error {
	sp := population.Scaled(users)
	sp.Seed = seed
	t0 := time.Now()
	s, err := population.Generate(sp)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "authzpop: %d users, %d groups, %d memberships, %d bindings, %d resources, %d service accounts drawn in %s\n",
		len(s.Users), len(s.Groups), len(s.Memberships), len(s.Bindings), len(s.Resources), len(s.ServiceAccounts), since(t0))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "spec.json"), func(enc *json.Encoder) error { return enc.Encode(sp) }); err != nil {
		return err
	}
	t0 = time.Now()
	ntuples := 0
	err = writeJSON(filepath.Join(out, "tuples.jsonl"), func(enc *json.Encoder) error {
		return population.Tuples(s, func(t population.Tuple) error { ntuples++; return enc.Encode(t) })
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "authzpop: %d OpenFGA tuples written in %s\n", ntuples, since(t0))
	t0 = time.Now()
	ev := population.Evaluations(s, nEval, reqSeed)
	allow := 0
	err = writeJSON(filepath.Join(out, "evaluations.jsonl"), func(enc *json.Encoder) error {
		for _, e := range ev {
			if e.Expect {
				allow++
			}
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	se := population.Searches(s, nSearch, reqSeed)
	err = writeJSON(filepath.Join(out, "searches.jsonl"), func(enc *json.Encoder) error {
		for _, q := range se {
			if err := enc.Encode(q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "authzpop: %d evaluations (%d allowed) and %d searches drawn in %s\n", len(ev), allow, len(se), since(t0))
	if sqlite == "" {
		return nil
	}
	return seedSQLite(ctx, sqlite, token, s, log)
}

// seedSQLite bootstraps a new rolecall database and seeds s into its default org with
// service.Seed, the seeding the enforce-groups benchmark uses.
func seedSQLite(ctx context.Context, path, token string, s *access.State, log io.Writer) error {
	if token == "" {
		return fmt.Errorf("-sqlite needs -token (the bootstrap admin token rolecall serve will be given)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists: seed a new database", path)
	}
	t0 := time.Now()
	st, err := sqlstore.Open(ctx, "sqlite:"+path)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, _, err := auth.Bootstrap(ctx, st, token); err != nil {
		return err
	}
	var org store.Org
	if err := st.View(ctx, func(tx store.Tx) (err error) { org, err = tx.OrgByName(ctx, auth.DefaultOrg); return err }); err != nil {
		return err
	}
	if _, err := service.Seed(ctx, st, org.ID, s, 0); err != nil {
		return err
	}
	fmt.Fprintf(log, "authzpop: seeded %s (org %q) in %s\n", path, auth.DefaultOrg, since(t0))
	return nil
}

func writeJSON(path string, body func(*json.Encoder) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := body(json.NewEncoder(w)); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }
