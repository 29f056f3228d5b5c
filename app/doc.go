// Package app is the desktop process's Go side: the services bound to the
// Wails UI and the logic behind them. Services are thin; they hold their
// dependencies explicitly and return (T, error) so the UI sees one error
// vocabulary (backend.Error codes).
package app
