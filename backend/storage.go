package backend

import (
	"errors"
	"fmt"
)

// StorageTrouble says what keeps the server's storage (its database or its
// files directory) from doing what a request needs. Its text completes a
// sentence such as "the database cannot write: the disk is full", which is
// how /healthz reports it.
type StorageTrouble string

// The kinds of storage trouble. None of them is the client's fault or a bug:
// they are answered as unavailable, and trying again later may work.
const (
	StorageFull       StorageTrouble = "the disk is full"               // no space left, or a disk quota reached
	StorageReadOnly   StorageTrouble = "the storage is read-only"       // a read-only file system or database
	StorageDenied     StorageTrouble = "the server may not write there" // file permissions refuse the server
	StorageIOError    StorageTrouble = "the disk reports input/output errors"
	StorageBusy       StorageTrouble = "the database is busy" // locked by another process for too long
	StorageCannotOpen StorageTrouble = "the database file cannot be opened"
	StorageCorrupt    StorageTrouble = "the database file is damaged"
	// StorageUnreachable is a database server (PostgreSQL) that does not
	// answer: down, restarting, or out of reach of the network.
	StorageUnreachable StorageTrouble = "the database server cannot be reached"
	// StorageFailed is a write lost because the transaction it shared with
	// other writes failed as a whole: the caller did nothing wrong.
	StorageFailed StorageTrouble = "a write could not be completed"
)

// StorageError is a request the server could not complete because of
// storage trouble. It reads as an *Error with code unavailable (errors.As
// finds one), with a sentence for people and a Retry-After; Err, what
// failed, is only for the server log.
type StorageError struct {
	Trouble StorageTrouble
	Err     error
}

// Error implements the error interface, with the detail for the log.
func (e *StorageError) Error() string {
	return fmt.Sprintf("%s: %s: %v", EUNAVAILABLE, e.Trouble, e.Err)
}

// Unwrap gives errors.Is and errors.As both the coded answer and the cause.
func (e *StorageError) Unwrap() []error { return []error{e.Coded(), e.Err} }

// Coded is the answer a client gets: unavailable, a sentence saying it is
// the server's trouble, and when to try again.
func (e *StorageError) Coded() *Error {
	msg, wait := storageAnswer(e.Trouble)
	return &Error{Code: EUNAVAILABLE, Message: msg, RetryAfter: wait}
}

// storageAnswer is the sentence and the seconds to wait for each trouble.
// The waits are short where the trouble tends to pass by itself (a busy
// database) and longer where someone must act (a full disk).
func storageAnswer(t StorageTrouble) (string, int) {
	const operator = "whoever runs the server needs to"
	switch t {
	case StorageFull:
		return "The server's disk is full, so this could not be saved. Please try again later; " + operator + " free some space.", 60
	case StorageReadOnly, StorageDenied:
		return "The server cannot save anything right now (its storage does not accept writes). Please try again later; " + operator + " fix it.", 60
	case StorageIOError:
		return "The server's disk is failing, so this could not be done. Please try again later; " + operator + " check the disk.", 60
	case StorageBusy:
		return "The server is busy. Please try again in a moment.", 2
	case StorageCannotOpen:
		return "The server cannot open its database right now. Please try again later; " + operator + " check it.", 30
	case StorageUnreachable:
		return "The server cannot reach its database right now. Please try again in a little while.", 10
	case StorageCorrupt:
		return "The server's database is damaged, so this cannot be done right now. Please try again later; " + operator + " repair it.", 300
	default:
		return "The server could not save this just now. Please try again.", 1
	}
}

// StorageReason is the short reason /healthz gives for a store that cannot
// write, e.g. "the database cannot write: the disk is full". what names the
// store ("the database", "the files directory").
func StorageReason(what string, err error) string {
	t := StorageFailed
	var se *StorageError
	if errors.As(err, &se) {
		t = se.Trouble
	}
	return fmt.Sprintf("%s cannot write: %s", what, t)
}
