package app

import (
	"context"
	"time"

	"doorstep/backend"
)

// callTimeout bounds the work of one call from the UI (cache and server).
const callTimeout = 15 * time.Second

// withSession runs f, the body of a bound method, with the signed-in
// session and a context for this one call (the app's, bounded by
// callTimeout). Signed out, f does not run and the UI gets unauthorized.
func withSession[T any](accounts *AccountService, f func(ctx context.Context, s *session) (T, error)) (T, error) {
	s, err := accounts.active()
	if err != nil {
		var zero T
		return zero, err
	}
	ctx, cancel := context.WithTimeout(accounts.life.Context(), callTimeout)
	defer cancel()
	return f(ctx, s)
}

// inSession is withSession for a method that returns only an error.
func inSession(accounts *AccountService, f func(ctx context.Context, s *session) error) error {
	_, err := withSession(accounts, func(ctx context.Context, s *session) (struct{}, error) {
		return struct{}{}, f(ctx, s)
	})
	return err
}

// limits are the server's limits as last learned (at sign-in, or by the
// sync engine on each connect), or the defaults when it never said.
func (s *session) limits(ctx context.Context) backend.Limits {
	l, _ := s.cache.Limits(ctx) // unreadable: the defaults, and the server still decides
	return l.WithDefaults()
}

// writable refuses, before anything is queued, a conversation that is not
// kept here or that the server has closed because no member can read new
// messages any more (its reason is the server's sentence).
func (s *session) writable(ctx context.Context, convID int64) error {
	conv, ok, err := s.cache.Conversation(ctx, convID)
	if err != nil || !ok {
		return backend.Errorf(backend.ENOTFOUND, "This conversation is not here.")
	}
	if conv.ReadOnly {
		return backend.Errorf(backend.ETENANTNOTACTIVE, "%s", conv.ReadOnlyReason)
	}
	return nil
}

// fromServerOrKept asks the server (fetch) and keeps its answer (keep); when
// the server cannot be reached it returns the copy kept last time (kept), or
// the server's error if there is none. Any other error is returned as is.
func fromServerOrKept[T any](fetch func() (T, error), keep func(T), kept func() (T, bool, error)) (T, error) {
	v, err := fetch()
	if err == nil {
		keep(v)
		return v, nil
	}
	var zero T
	if !unreachable(err) {
		return zero, err
	}
	cached, ok, cerr := kept()
	if cerr != nil || !ok {
		return zero, err
	}
	return cached, nil
}

// unreachable reports whether err says the server could not be asked (not
// reached, or unable to answer), so a kept copy may stand in for its answer.
func unreachable(err error) bool {
	code := backend.ErrorCode(err)
	return code == backend.EUNREACHABLE || code == backend.EUNAVAILABLE
}
