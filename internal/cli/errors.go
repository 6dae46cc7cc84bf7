package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rolecall/rolecall/internal/api"
)

// How the CLI fails. Every failure goes to stderr and starts the same way: "Error: " and a
// sentence a person can act on, or, with -o json, one JSON document of a stable shape, so a
// script never has to parse prose:
//
//	{"error": {"status": 409, "code": "stale_plan", "message": "…", "details": {…}}}
//
// status and code are the admin API's when the server refused (api.Error); a failure of the
// CLI itself has status 0 and one of the codes below.
const (
	// codeUsage: the command line itself is wrong (an unknown command or flag, a bad value).
	codeUsage = "usage"
	// codeCLI: anything else that failed before or without an answer from a server.
	codeCLI = "error"
	// codeAborted: the admin answered no at a prompt, or could not be asked.
	codeAborted = "aborted"
)

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// jsonError is the body printed on stderr for a failure under -o json.
type jsonError struct {
	Error jsonErrorBody `json:"error"`
}

type jsonErrorBody struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// report prints err on w for a person, or as JSON, and returns the exit code.
func report(w io.Writer, err error, asJSON bool) int {
	code := 1
	body := jsonErrorBody{Code: codeCLI, Message: describe(err)}
	var ee *exitError
	var ae *api.Error
	var ue *usageError
	switch {
	case errors.As(err, &ee):
		code, body.Code = ee.code, codeAborted
	case errors.As(err, &ae):
		body.Status, body.Code, body.Details = ae.Status, ae.Code, ae.Details
	case errors.As(err, &ue) || isCobraUsage(err):
		body.Code = codeUsage
	}
	if ee != nil && ee.msg == "" {
		// The command already said everything (rolecall check's deny): only the status.
		return code
	}
	if asJSON {
		b, _ := json.Marshal(jsonError{Error: body})
		fmt.Fprintf(w, "%s\n", b)
		return code
	}
	if ee != nil && ee.msg == "" {
		return code
	}
	fmt.Fprintln(w, "Error:", body.Message)
	return code
}

// describe renders an error for a person: API errors by their message alone.
func describe(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return err.Error()
}

// isCobraUsage recognises the errors cobra returns for a wrong command line (it has no
// error types for them).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command ", "unknown flag: ", "unknown shorthand flag: ", "invalid argument ",
		"flag needs an argument: ", "required flag(s) ", "accepts ", "requires at least ", "requires at most "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// refuseUnknownSubcommands makes every command that only groups others (cloud, org, scim,
// …) fail on a subcommand it does not have, with cobra's suggestions, instead of printing its
// help and exiting 0 as if it had done something. Given no subcommand, it prints its help.
func refuseUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknownSubcommands(sub)
	}
	if !c.HasSubCommands() || c.Runnable() || !c.HasParent() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := suggestions(cmd, args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return &usageError{msg: msg + " (see `" + cmd.CommandPath() + " --help`)"}
	}
}

// argsAskJSON reports whether args ask for -o json. It is consulted when cobra failed before
// parsing flags (an unknown command), so that a script asking for JSON still gets JSON.
func argsAskJSON(args []string) bool {
	for i, a := range args {
		a = strings.ToLower(a)
		switch {
		case a == "--":
			return false
		case a == "-ojson" || a == "--output=json" || a == "-o=json":
			return true
		case (a == "-o" || a == "--output") && i+1 < len(args) && strings.EqualFold(args[i+1], "json"):
			return true
		}
	}
	return false
}

// suggestions lists c's subcommands whose name or an alias is within two edits of typed or
// starts with it (cobra's own suggestions skip aliases: "shwo" would not find "get", alias
// "show").
func suggestions(c *cobra.Command, typed string) []string {
	var out []string
	for _, sub := range c.Commands() {
		if !sub.IsAvailableCommand() {
			continue
		}
		for _, name := range append([]string{sub.Name()}, sub.Aliases...) {
			if editDistance(strings.ToLower(typed), name) <= 2 || strings.HasPrefix(name, strings.ToLower(typed)) {
				out = append(out, sub.Name())
				break
			}
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b (bytes; command names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
