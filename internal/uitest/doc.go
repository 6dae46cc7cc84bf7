// Package uitest holds the end-to-end tests of the web console (/ui): a real rolecall server
// on a temporary SQLite database, driven by headless Chromium through the DevTools protocol
// (chromedp), the way an administrator uses it — sign in, find a user and read their
// explained access, review and apply an enforce-groups plan by typing the organization's
// name, and undo it. The tests save screenshots of the main pages.
//
// The package has no code of its own beyond its tests. Its tests may import server, store,
// auth, enforce, service and chromedp; nothing imports this package.
//
// Chromium is /usr/bin/chromium (Debian's chromium package). Without it the tests skip with
// a message, unless ROLECALL_REQUIRE_BROWSER=1 (CI), when they fail. Screenshots go to
// ROLECALL_SCREENSHOTS when set, else to a temporary directory.
package uitest
