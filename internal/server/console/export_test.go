package console

// SessionCookie is the console's session cookie, which the external tests (package
// console_test, which drive the whole server over HTTP) look for.
const SessionCookie = uiSessionCookie
