package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/client"
)

// ask puts a yes/no question on stdout and reads the answer from stdin; only "y" or "yes"
// (any case) is yes. It refuses to ask when stdin is not a terminal or the output is JSON:
// a script must say --yes up front, and must never hang on a question nobody sees.
func (a *App) ask(question, noTerminal, no string) error {
	if a.json() {
		return &exitError{code: exitNoPrompt, msg: "--output json cannot be mixed with a prompt: pass --yes"}
	}
	if !streamIsTerminal(a.Stdin) {
		return &exitError{code: exitNoPrompt, msg: noTerminal}
	}
	fmt.Fprint(a.Stdout, question)
	line, err := bufio.NewReader(a.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if errors.Is(err, io.EOF) && line == "" {
		fmt.Fprintln(a.Stdout) // end the prompt's line
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return &exitError{code: exitAborted, msg: no}
}

// confirmDelete says what deleting a resource or service account takes with it (its grants)
// and asks first, unless yes. f selects the grants that go with it.
func (a *App) confirmDelete(ctx context.Context, c *client.Client, what string, f api.GrantFilter, yes bool) error {
	if yes {
		return nil
	}
	gs, err := c.ListGrants(ctx, f)
	if err != nil {
		return err
	}
	goes := "nothing else goes with it"
	switch len(gs) {
	case 0:
	case 1:
		goes = "its 1 grant goes with it"
	default:
		goes = fmt.Sprintf("its %d grants go with it", len(gs))
	}
	return a.ask(fmt.Sprintf("Delete %s? %s. [y/N]: ", what, capitalise(goes)),
		"stdin is not a terminal: pass --yes to delete "+what+" without a prompt",
		"Aborted: nothing was deleted.")
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
