// Command noisyorg measures whether one organization's expensive SCIM queries stall another
// organization (issue 14, item 7). It has two modes:
//
//	noisyorg seed -db PATH [-users 100000]    a SQLite database with the orgs "noisy" (that
//	                                          many users) and "quiet" (1,000 users); prints
//	                                          one SCIM token per org
//	noisyorg run -url URL -noisy T -quiet T [-scans 6] [-duration 20s]
//
// run keeps -scans workers sending the noisy org's worst filter (groups.value eq "x": the
// database cannot answer it, so the server reads and matches every user) for -duration,
// while one worker looks up quiet-org users by userName one after the other, and prints the
// lookups' latency percentiles and the scans' answers by status. The server is a separate
// `rolecall serve` process on loopback; only loopback URLs are accepted.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/auth"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/sqlstore"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: noisyorg seed|run [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "seed":
		err = seed(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "noisyorg:", err)
		os.Exit(1)
	}
}

func seed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	db := fs.String("db", "", "SQLite file to create")
	users := fs.Int("users", 100000, "users of the noisy org")
	_ = fs.Parse(args)
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+*db)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, _, err := auth.Bootstrap(ctx, st, ""); err != nil {
		return err
	}
	for _, o := range []struct {
		name string
		n    int
	}{{"noisy", *users}, {"quiet", 1000}} {
		var org store.Org
		if err := st.Update(ctx, func(tx store.Tx) error {
			org, err = tx.CreateOrg(ctx, o.name)
			return err
		}); err != nil {
			return err
		}
		for i := 0; i < o.n; i += 1000 {
			if err := st.Update(ctx, func(tx store.Tx) error {
				for j := i; j < min(i+1000, o.n); j++ {
					un := fmt.Sprintf("%s-%d@example.com", o.name, j)
					doc := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"active":true,"displayName":"User %d","title":"Engineer","emails":[{"value":%q,"type":"work","primary":true}]}`, un, j, un)
					if _, err := tx.CreateUser(ctx, store.User{OrgID: org.ID, UserName: un, DisplayName: fmt.Sprint("User ", j), Active: true,
						Emails: []store.Email{{Value: un, Type: "work", Primary: true}}, Doc: []byte(doc)}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if err := st.Update(ctx, func(tx store.Tx) error {
			tok, err := auth.CreateToken(ctx, tx, org.ID, api.CreateTokenRequest{Name: "bench", Scope: "scim"}, "")
			fmt.Printf("%s %s\n", o.name, tok.Secret)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:18080/scim/v2", "SCIM base URL (loopback only)")
	noisy := fs.String("noisy", "", "SCIM token of the noisy org")
	quiet := fs.String("quiet", "", "SCIM token of the quiet org")
	scans := fs.Int("scans", 6, "parallel worst-case filters of the noisy org")
	dur := fs.Duration("duration", 20*time.Second, "how long to measure")
	filter := fs.String("filter", `groups.value eq "x"`, "the noisy org's filter; the default needs a read of every user, which a server with --scim-scan-max below the org's size refuses: narrow it with an indexed attribute to measure the largest scan that server still runs, e.g. userName sw \"noisy-1\" and groups.value eq \"x\" (11,111 of 100,000 users)")
	_ = fs.Parse(args)
	u, err := url.Parse(*base)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
		return fmt.Errorf("-url %q: loopback targets only", *base)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 2 * time.Minute}
	get := func(token, path string) (int, time.Duration, error) {
		req, _ := http.NewRequest("GET", *base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		t0 := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, time.Since(t0), nil
	}
	// Warm up: one lookup, so connection set-up is not measured.
	if st, _, err := get(*quiet, "/Users?filter="+url.QueryEscape(`userName eq "quiet-1@example.com"`)); err != nil || st != 200 {
		return fmt.Errorf("warm-up lookup: %d %v", st, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	var mu sync.Mutex
	scanStatus := map[int]int{}
	var scanTimes []time.Duration
	var wg sync.WaitGroup
	worst := "/Users?filter=" + url.QueryEscape(*filter)
	for range *scans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				st, d, err := get(*noisy, worst)
				mu.Lock()
				if err != nil {
					scanStatus[-1]++
				} else {
					scanStatus[st]++
					if st == 200 {
						scanTimes = append(scanTimes, d)
					}
				}
				mu.Unlock()
				if st != 200 && err == nil {
					time.Sleep(200 * time.Millisecond) // a refused scan: a client honouring Retry-After would wait longer
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond) // let the scans start
	var lat []time.Duration
	lookErr := 0
	for i := 0; ctx.Err() == nil; i++ {
		st, d, err := get(*quiet, "/Users?filter="+url.QueryEscape(fmt.Sprintf(`userName eq "quiet-%d@example.com"`, i%1000)))
		if err != nil || st != 200 {
			lookErr++
			continue
		}
		lat = append(lat, d)
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()
	slices.Sort(lat)
	slices.Sort(scanTimes)
	pct := func(xs []time.Duration, p float64) time.Duration {
		if len(xs) == 0 {
			return 0
		}
		return xs[min(len(xs)-1, int(float64(len(xs))*p))]
	}
	fmt.Printf("quiet-org userName lookups: n=%d errors=%d p50=%v p90=%v p99=%v max=%v\n", len(lat), lookErr,
		pct(lat, .5).Round(10*time.Microsecond), pct(lat, .9).Round(10*time.Microsecond), pct(lat, .99).Round(10*time.Microsecond), pct(lat, 1).Round(10*time.Microsecond))
	var parts []string
	for st, n := range scanStatus {
		parts = append(parts, fmt.Sprintf("%d×%d", n, st))
	}
	slices.Sort(parts)
	fmt.Printf("noisy-org scans (%d parallel): %s; 200s took p50=%v max=%v\n", *scans, strings.Join(parts, " "),
		pct(scanTimes, .5).Round(time.Millisecond), pct(scanTimes, 1).Round(time.Millisecond))
	return nil
}
