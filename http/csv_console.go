package http

import (
	"net/http"

	"gatehouse.dev/gatehouse/directory"
)

// What the console's CSV pages share with the API's: the same reading of a
// user import and the same guarded writing of a CSV answer.

// ParseUserCSV reads a user import as POST …/users/import does: a header row
// naming the columns, then one user a line; line numbers count the header as
// line 1. Errors: KindInvalid naming what is wrong with the file as a whole.
func ParseUserCSV(body []byte) ([]directory.ImportRow, error) { return parseUserCSV(body) }

// WriteCSV sends rows as a CSV attachment, every cell guarded against
// spreadsheet formulas (CSV injection).
func WriteCSV(w http.ResponseWriter, name string, rows [][]string) error {
	return writeCSV(w, name, rows)
}
