package engine

import (
	"context"
	"time"

	"doorstep/backend"
)

// EventHistory tells the UI how far the background fill has loaded the
// history for search; payload HistoryProgress.
const EventHistory = "search:history"

// HistoryProgress is how much of every conversation's history the cache
// holds: Loaded of Total messages; Done once the fill has found nothing
// missing.
type HistoryProgress struct {
	Loaded int64 `json:"loaded"`
	Total  int64 `json:"total"`
	Done   bool  `json:"done"`
	// Label is the sentence the search shows: "Loading history for
	// search: 45%", or "" once it is all here (backend.HistoryLabel).
	Label string `json:"label"`
}

// The fill's pace: a page of the largest size the server gives, then a
// pause, so it takes a small share of the server and of the cache's one
// writer, and live events and the outbox never queue behind it.
const (
	defaultHistoryPause = 50 * time.Millisecond
	// historyRetry is how long the fill waits after a failure (offline)
	// before trying again, if the stream has not caught up again sooner.
	historyRetry = 30 * time.Second
)

// signalCaughtUp wakes the fill: the stream has caught up (after sign-in, and
// after each reconnection).
func (e *Engine) signalCaughtUp() {
	select {
	case e.caughtUp <- struct{}{}:
	default:
	}
}

// HistoryProgress is the fill's progress as last reported.
func (e *Engine) HistoryProgress() HistoryProgress {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.history
}

func (e *Engine) reportHistory(p HistoryProgress) {
	p.Label = backend.HistoryLabel(p.Loaded, p.Total, p.Done)
	e.mu.Lock()
	e.history = p
	e.mu.Unlock()
	e.emit(EventHistory, p)
}

// historyLoop fills the history each time the stream has caught up, and
// again a while after a fill that failed, until ctx ends.
func (e *Engine) historyLoop(ctx context.Context) {
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.caughtUp:
		case <-retry:
		}
		retry = nil
		if err := e.FillHistory(ctx); err != nil && ctx.Err() == nil {
			e.logger.Info("history fill paused", "err", err)
			retry = time.After(historyRetry)
		}
	}
}

// FillHistory loads into the cache, page by page going back from the
// newest, every message of every cached conversation that it does not hold
// yet. Each page is stored together with the conversation's new position,
// so a fill cut off (signed out, offline, the app quit) goes on where it
// stopped. It returns nil once nothing is missing.
func (e *Engine) FillHistory(ctx context.Context) error {
	targets, err := e.cache.HistoryTargets(ctx)
	if err != nil {
		return err
	}
	loaded, total, err := e.cache.HistoryProgress(ctx)
	if err != nil {
		return err
	}
	e.reportHistory(HistoryProgress{Loaded: loaded, Total: total})
	pause := e.HistoryPause
	switch {
	case pause == 0:
		pause = defaultHistoryPause
	case pause < 0:
		pause = 0
	}
	pageSize := e.HistoryPageSize
	if pageSize <= 0 || pageSize > backend.MaxPageSize {
		pageSize = backend.MaxPageSize
	}
	for _, t := range targets {
		top, err := e.cache.HistoryStart(ctx, t.ConversationID, t.LastSeq)
		if err != nil {
			return err
		}
		for {
			missing, err := e.cache.MissingBelow(ctx, t.ConversationID, top)
			if err != nil {
				return err
			}
			if missing == 0 {
				if t.LastSeq > 0 {
					// Whole: the next pass checks it with one count.
					if _, err := e.cache.PutHistory(ctx, t.ConversationID, 1, nil); err != nil {
						return err
					}
				}
				break
			}
			page, err := e.client.Messages(ctx, t.ConversationID, backend.MessagePage{Before: missing + 1, Limit: pageSize})
			if err != nil {
				return err
			}
			if len(page) == 0 {
				break // the server keeps nothing further back
			}
			lowest := page[0].Seq
			for _, m := range page {
				lowest = min(lowest, m.Seq)
			}
			added, err := e.cache.PutHistory(ctx, t.ConversationID, lowest, page)
			if err != nil {
				return err
			}
			loaded += int64(added)
			e.reportHistory(HistoryProgress{Loaded: min(loaded, total), Total: total})
			top = lowest - 1
			if pause > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(pause):
				}
			}
		}
	}
	if loaded, total, err = e.cache.HistoryProgress(ctx); err != nil {
		return err
	}
	e.reportHistory(HistoryProgress{Loaded: loaded, Total: total, Done: true})
	return nil
}
