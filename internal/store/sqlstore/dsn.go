package sqlstore

import (
	"errors"
	"net/url"
	"strings"
)

// Passwords in DSNs. An operator's --db may carry a password in three places: the URL's
// userinfo (postgres://u:SECRET@host/db), a URL query parameter (?password=SECRET, also
// sslpassword), or a libpq key=value string (password=SECRET or password='SE CRET'). Every
// DSN that reaches a log line or an error goes through RedactDSN, and every error that may
// quote the DSN (the driver's included) through redactErr, which also removes the password
// values themselves wherever the text repeats them.

// dsnMask replaces a password.
const dsnMask = "xxxxx"

// secretKeys are the parameter names whose values are passwords (compared case-insensitively).
var secretKeys = map[string]bool{"password": true, "sslpassword": true}

// RedactDSN returns dsn with every password it holds replaced by xxxxx, in URL and in
// key=value form; the rest (scheme, user, host, database, options) stays readable.
func RedactDSN(dsn string) string {
	out, _ := splitDSN(dsn)
	return out
}

// redact is RedactDSN under the short name the package's error messages use.
func redact(dsn string) string { return RedactDSN(dsn) }

// dsnSecrets lists the password values dsn holds, raw and (for URLs) percent-decoded, so that
// an error that quotes one in another shape can be cleaned too.
func dsnSecrets(dsn string) []string {
	_, secrets := splitDSN(dsn)
	return secrets
}

// splitDSN redacts dsn and collects the secrets it removed.
func splitDSN(dsn string) (string, []string) {
	var secrets []string
	add := func(raw string) {
		if raw == "" {
			return
		}
		secrets = append(secrets, raw)
		if dec, err := url.QueryUnescape(raw); err == nil && dec != raw {
			secrets = append(secrets, dec)
		}
		if dec, err := url.PathUnescape(raw); err == nil && dec != raw {
			secrets = append(secrets, dec)
		}
	}
	scheme, rest, isURL := strings.Cut(dsn, "://")
	if !isURL {
		return redactKeyValues(dsn, add), secrets
	}
	// The query starts at the first '?'; the userinfo ends at the last '@' before it (a
	// password may hold an unescaped '@', a host never does).
	main, query, hasQuery := strings.Cut(rest, "?")
	if at := strings.LastIndex(main, "@"); at >= 0 {
		if user, pw, ok := strings.Cut(main[:at], ":"); ok {
			add(pw)
			main = user + ":" + dsnMask + main[at:]
		}
	}
	out := scheme + "://" + main
	if hasQuery {
		frag := ""
		if i := strings.Index(query, "#"); i >= 0 {
			query, frag = query[:i], query[i:]
		}
		params := strings.Split(query, "&")
		for i, p := range params {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				continue
			}
			if key, err := url.QueryUnescape(k); err == nil {
				k = key
			}
			if secretKeys[strings.ToLower(k)] {
				add(v)
				params[i] = p[:len(p)-len(v)] + dsnMask
			}
		}
		out += "?" + strings.Join(params, "&") + frag
	}
	return out, secrets
}

// redactKeyValues masks password values in a libpq key=value string: key = value pairs
// separated by spaces, a value either bare or single-quoted with backslash escapes.
func redactKeyValues(s string, add func(string)) string {
	var b strings.Builder
	i := 0
	for i < len(s) {
		// Copy up to and including the next '=', remembering the key before it.
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			b.WriteString(s[i:])
			break
		}
		keyPart := s[i : i+eq]
		fields := strings.Fields(keyPart)
		key := ""
		if len(fields) > 0 {
			key = fields[len(fields)-1]
		}
		b.WriteString(s[i : i+eq+1])
		i += eq + 1
		for i < len(s) && s[i] == ' ' {
			b.WriteByte(' ')
			i++
		}
		// The value: quoted or up to the next space.
		start := i
		if i < len(s) && s[i] == '\'' {
			i++
			for i < len(s) && s[i] != '\'' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			i = min(i+1, len(s))
		} else {
			for i < len(s) && s[i] != ' ' {
				i++
			}
		}
		val := s[start:i]
		if secretKeys[strings.ToLower(key)] {
			add(val)
			if inner, ok := strings.CutPrefix(val, "'"); ok {
				add(strings.TrimSuffix(inner, "'"))
			}
			b.WriteString(dsnMask)
			continue
		}
		b.WriteString(val)
	}
	return b.String()
}

// redactedError is an error whose text has the DSN's passwords masked; errors.Is and As
// still see the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr returns err with every password of dsn masked in its text: drivers quote their
// connection string, or parts of it, in connection errors, and those errors end up in logs.
func redactErr(err error, dsn string) error {
	if err == nil {
		return nil
	}
	secrets := dsnSecrets(dsn)
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		clean = strings.ReplaceAll(clean, s, dsnMask)
	}
	if clean == msg {
		return err
	}
	var re *redactedError
	if errors.As(err, &re) {
		return &redactedError{msg: clean, err: re.err}
	}
	return &redactedError{msg: clean, err: err}
}
