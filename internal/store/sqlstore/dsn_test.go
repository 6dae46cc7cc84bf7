package sqlstore

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestRedactDSN: every place a DSN may hold a password is masked, and nothing else is.
func TestRedactDSN(t *testing.T) {
	for _, c := range []struct{ dsn, want, secret string }{
		{"postgres://u:S3cret@db:5432/rc?sslmode=disable", "postgres://u:xxxxx@db:5432/rc?sslmode=disable", "S3cret"},
		{"postgres://db/rc?user=u&password=S3cret&sslmode=require", "postgres://db/rc?user=u&password=xxxxx&sslmode=require", "S3cret"},
		{"postgresql://db/rc?PassWord=S3cret", "postgresql://db/rc?PassWord=xxxxx", "S3cret"},
		{"postgres://db/rc?pass%77ord=S3cret", "postgres://db/rc?pass%77ord=xxxxx", "S3cret"},
		{"postgres://db/rc?sslpassword=S3cret&sslkey=/k", "postgres://db/rc?sslpassword=xxxxx&sslkey=/k", "S3cret"},
		{"postgres://u:p%40ss@db/rc?password=a@b", "postgres://u:xxxxx@db/rc?password=xxxxx", "p%40ss"},
		{"postgres://u:p@ss@db/rc", "postgres://u:xxxxx@db/rc", "p@ss"},
		{"host=db user=u password=S3cret dbname=rc", "host=db user=u password=xxxxx dbname=rc", "S3cret"},
		{"host=db password = 'S3 cr\\'et' dbname=rc", "host=db password = xxxxx dbname=rc", "S3 cr"},
		{"host=db PASSWORD=S3cret", "host=db PASSWORD=xxxxx", "S3cret"},
		{"sqlite:/var/lib/rolecall.db", "sqlite:/var/lib/rolecall.db", ""},
		{"postgres://u@db/rc", "postgres://u@db/rc", ""},
	} {
		got := RedactDSN(c.dsn)
		if got != c.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", c.dsn, got, c.want)
		}
		if c.secret != "" && strings.Contains(got, c.secret) {
			t.Errorf("RedactDSN(%q) still holds %q", c.dsn, c.secret)
		}
	}
}

// TestOpenErrorsHideThePassword opens databases that cannot be opened, with the password in
// each place a DSN can hold one, and checks that the error (which the CLI prints and logs)
// never holds it, while errors.Is still reaches the driver's error.
func TestOpenErrorsHideThePassword(t *testing.T) {
	const secret = "Wr0ngSecretXYZ"
	dsns := []string{
		"host=127.0.0.1 user=rolecall password=" + secret + " dbname=rolecall",
		"mysql://u:" + secret + "@db/rc",
		// Nothing listens on port 1: the driver fails to connect and says where it tried.
		"postgres://rolecall:" + secret + "@127.0.0.1:1/rolecall?sslmode=disable&connect_timeout=2",
		"postgres://127.0.0.1:1/rolecall?user=rolecall&password=" + secret + "&sslmode=disable&connect_timeout=2",
	}
	if base := os.Getenv(envPostgres); base != "" {
		// A real server that refuses the password.
		rest := strings.TrimPrefix(strings.TrimPrefix(base, "postgres://"), "postgresql://")
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = rest[at+1:]
		}
		sep := "?"
		if strings.Contains(rest, "?") {
			sep = "&"
		}
		dsns = append(dsns, "postgres://"+rest+sep+"user=rolecall&password="+secret,
			"postgres://rolecall:"+secret+"@"+rest)
	}
	for _, dsn := range dsns {
		st, err := Open(context.Background(), dsn)
		if err == nil {
			st.Close()
			t.Fatalf("Open(%s) succeeded", RedactDSN(dsn))
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open error holds the password: %v", err)
		}
	}
}
