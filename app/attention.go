package app

import (
	"context"
	"slices"
	"time"

	"doorstep/backend"
)

// AttentionService is when the app interrupts the landlord: quiet hours,
// emergency words and muted conversations. The settings are read from the
// cache (offline too); changes go to the server, which keeps them for every
// device of the landlord's, and are applied here as soon as it answers.
// Bound to the UI as window.go.app.AttentionService.
type AttentionService struct {
	accounts *AccountService
}

// NewAttentionService returns the attention settings of the signed-in account.
func NewAttentionService(accounts *AccountService) *AttentionService {
	return &AttentionService{accounts: accounts}
}

// Settings are the settings in force, as last received from the server.
func (a *AttentionService) Settings() (backend.AttentionSettings, error) {
	return withSession(a.accounts, func(ctx context.Context, s *session) (backend.AttentionSettings, error) {
		return s.engine.Attention(), nil
	})
}

// Mutes are the mutes in force now, each with the sentence the
// conversation list shows, read by the clock of timeZone (the UI's).
func (a *AttentionService) Mutes(timeZone string) ([]backend.MuteState, error) {
	return withSession(a.accounts, func(ctx context.Context, s *session) ([]backend.MuteState, error) {
		return backend.MutesInForce(s.engine.Attention(), time.Now(), zone(timeZone)), nil
	})
}

// zone is the IANA time zone the UI sends; this computer's when it cannot
// be read.
func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		return time.Local
	}
	return loc
}

// Save replaces the quiet-hours schedule (in the time zone the UI sends,
// its own) and the emergency words.
func (a *AttentionService) Save(u backend.AttentionUpdate) (backend.AttentionSettings, error) {
	return withSession(a.accounts, func(ctx context.Context, s *session) (backend.AttentionSettings, error) {
		saved, err := s.client.SaveAttentionSettings(ctx, u)
		if err != nil {
			return backend.AttentionSettings{}, err
		}
		return saved, s.engine.SetAttention(ctx, saved)
	})
}

// Mute mutes a conversation for an hour, until tomorrow morning (in
// timeZone, the UI's) or until unmuted (backend.MuteForAnHour, ...).
func (a *AttentionService) Mute(convID int64, choice, timeZone string) (backend.AttentionSettings, error) {
	return withSession(a.accounts, func(ctx context.Context, s *session) (backend.AttentionSettings, error) {
		until, err := backend.MuteEnd(choice, time.Now(), zone(timeZone))
		if err != nil {
			return backend.AttentionSettings{}, err
		}
		saved, err := s.client.MuteConversation(ctx, convID, until)
		if err != nil {
			return backend.AttentionSettings{}, err
		}
		return saved, s.engine.SetAttention(ctx, saved)
	})
}

// Unmute ends a conversation's mute.
func (a *AttentionService) Unmute(convID int64) (backend.AttentionSettings, error) {
	return withSession(a.accounts, func(ctx context.Context, s *session) (backend.AttentionSettings, error) {
		saved, err := s.client.UnmuteConversation(ctx, convID)
		if err != nil {
			return backend.AttentionSettings{}, err
		}
		return saved, s.engine.SetAttention(ctx, saved)
	})
}

// DefaultEmergencyWords are the emergency words of a landlord who has not
// chosen their own, for the settings' "Reset to defaults".
func (a *AttentionService) DefaultEmergencyWords() []string {
	return slices.Clone(backend.DefaultEmergencyWords)
}
