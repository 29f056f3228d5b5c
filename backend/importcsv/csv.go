// Package importcsv reads a landlord's properties, units, tenants and leases
// from a CSV file for `doorstep-server import`.
//
// The first line names the columns, in any order, case-insensitive:
//
//	property      required  property name; rows with the same name are one property
//	address       optional  the property's street address
//	unit          required  unit name within the property (e.g. "1A")
//	tenant_name   required
//	tenant_email  optional  identifies the tenant across rows and imports
//	tenant_phone  optional
//	lease_start   required  YYYY-MM-DD
//	lease_end     optional  YYYY-MM-DD; empty for an open-ended lease
//	rent          optional  monthly rent, e.g. 1250 or 1250.00
//	deposit       optional  e.g. 1250.00
//	lease_ref     optional  rows with the same lease_ref are co-tenants on one lease
//	language      optional  the tenant's: en, es, English, Spanish or Español
//
// Each following line is one tenant on one lease. Every problem is reported
// with its line number, and a file with any problem imports nothing.
package importcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"doorstep/backend"
)

// Limits of one import.
const (
	MaxBytes = 10 << 20
	MaxRows  = 50_000
)

var columns = map[string]bool{
	"property": true, "address": false, "unit": true, "tenant_name": true, "tenant_email": false,
	"tenant_phone": false, "lease_start": true, "lease_end": false, "rent": false, "deposit": false, "lease_ref": false,
	"language": false,
}

// Parse reads a CSV file into directory rows. Problems come back as
// backend.ImportErrors (one line each) or a coded *backend.Error.
func Parse(r io.Reader) ([]backend.DirectoryRow, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	h, err := readHeader(cr)
	if err != nil {
		return nil, err
	}
	rows, err := readRows(cr, h)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, backend.Errorf(backend.EINVALID, "The file has a header but no rows.")
	}
	return rows, nil
}

// readAll reads the whole file, at most MaxBytes, without the byte-order
// mark spreadsheet programs add.
func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > MaxBytes {
		return nil, backend.Errorf(backend.ETOOLARGE, "The file is larger than %d MB; split it.", MaxBytes>>20)
	}
	return bytes.TrimPrefix(data, []byte("\ufeff")), nil
}

// header is the first line: which field holds each known column.
type header struct {
	index map[string]int // column name → field
	width int            // fields per line
}

// field is the named column of rec, or "" when the file does not have it.
func (h header) field(rec []string, name string) string {
	if i, ok := h.index[name]; ok {
		return rec[i]
	}
	return ""
}

// readHeader reads the first line and checks its columns: every one known,
// none twice, none required missing.
func readHeader(cr *csv.Reader) (header, error) {
	names, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return header{}, backend.Errorf(backend.EINVALID, "The file is empty: the first line must name the columns.")
	}
	if err != nil {
		return header{}, backend.Errorf(backend.EINVALID, "line 1: %s", csvProblem(err))
	}
	h := header{index: map[string]int{}, width: len(names)}
	var problems backend.ImportErrors
	for i, raw := range names {
		name := strings.ToLower(strings.TrimSpace(raw))
		if _, known := columns[name]; !known {
			problems = append(problems, fmt.Sprintf("line 1: unknown column %q", raw))
			continue
		}
		if _, dup := h.index[name]; dup {
			problems = append(problems, fmt.Sprintf("line 1: column %q appears twice", name))
		}
		h.index[name] = i
	}
	for name, required := range columns {
		if _, ok := h.index[name]; required && !ok {
			problems = append(problems, fmt.Sprintf("line 1: required column %q is missing", name))
		}
	}
	if len(problems) > 0 {
		return header{}, problems
	}
	return h, nil
}

// readRows reads the lines after the header into rows, collecting the
// problems of every line; a broken quote ends the reading, since the reader
// cannot find the next line after it.
func readRows(cr *csv.Reader, h header) ([]backend.DirectoryRow, error) {
	var rows []backend.DirectoryRow
	var problems backend.ImportErrors
	for {
		line, _ := cr.FieldPos(0)
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			problems = append(problems, fmt.Sprintf("line %d: %s", line, csvProblem(err)))
			break
		}
		line, _ = cr.FieldPos(0)
		if len(rows) >= MaxRows {
			return nil, backend.Errorf(backend.ETOOLARGE, "The file has more than %d rows; split it.", MaxRows)
		}
		if len(rec) != h.width {
			problems = append(problems, fmt.Sprintf("line %d: %d fields, but the header names %d", line, len(rec), h.width))
			continue
		}
		row, bad := parseRow(rec, line, h)
		problems = append(problems, bad...)
		rows = append(rows, row)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return rows, nil
}

// parseRow makes the row of one line, with the problems of its amounts.
func parseRow(rec []string, line int, h header) (backend.DirectoryRow, []string) {
	get := func(name string) string { return h.field(rec, name) }
	row := backend.DirectoryRow{
		Line: fmt.Sprintf("line %d", line), Property: get("property"), Address: get("address"), Unit: get("unit"),
		TenantName: get("tenant_name"), TenantEmail: get("tenant_email"), TenantPhone: get("tenant_phone"),
		LeaseStart: strings.TrimSpace(get("lease_start")), LeaseEnd: strings.TrimSpace(get("lease_end")), LeaseRef: get("lease_ref"),
		TenantLanguage: get("language"),
	}
	var problems []string
	var ok bool
	if row.RentCents, ok = ParseMoney(get("rent")); !ok {
		problems = append(problems, fmt.Sprintf("line %d: rent %q is not an amount such as 1250.00", line, get("rent")))
	}
	if row.DepositCents, ok = ParseMoney(get("deposit")); !ok {
		problems = append(problems, fmt.Sprintf("line %d: deposit %q is not an amount such as 1250.00", line, get("deposit")))
	}
	return row, problems
}

// csvProblem is what the CSV reader found wrong, without its position
// (the caller names the line).
func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ParseMoney turns "1250", "1250.5" or "1,250.00" into cents; empty is 0.
// Negative amounts, more than two decimals and anything else are refused.
func ParseMoney(s string) (int64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	s = strings.TrimPrefix(s, "$")
	if s == "" {
		return 0, true
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, false
			}
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	cents := int64(0)
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		cents, _ = strconv.ParseInt(frac, 10, 64)
	}
	return w*100 + cents, true
}
