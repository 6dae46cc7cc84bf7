package scimapi

// Protocol constants of this package that its external tests (package scimapi_test, which
// drive the whole server over HTTP) check answers against.
const (
	URNBulkRequest    = urnBulkRequest
	URNBulkResponse   = urnBulkResponse
	ContentType       = contentType
	BulkMaxOperations = scimBulkMaxOperations
	MaxCount          = scimMaxCount
)

// Test helpers shared with the internal tests.
var (
	CheckStoredRender = checkStoredRender
	JSONEqual         = jsonEqual
)
