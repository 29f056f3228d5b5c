// Command doorstep is the Doorstep desktop app: the landlord's Chat tab, a
// Wails v2 window whose web UI (frontend/) calls the Go services in app/.
//
// Usage: doorstep [-server URL]   (or DOORSTEP_SERVER_URL; default http://127.0.0.1:8765)
//
//	doorstep --version           (prints the version and exits)
package main

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"os"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"doorstep/app"
	"doorstep/app/keychain"
	"doorstep/backend"
)

// assets is the built UI (frontend/dist, made by `npm run build`).
//
//go:embed all:frontend/dist
var assets embed.FS

// icon is the window icon on Linux (macOS and Windows take theirs from the
// bundle): build/appicon.png at 256 pixels and 8 bits a channel. The
// 1024-pixel, 16-bit original kept the window from showing for about a
// second while GTK decoded it and handed it to the X server.
//
//go:embed build/linux/windowicon.png
var icon []byte

// linuxOptions names the program and its icon for the window manager, and
// keeps WebKitGTK's compositing off, as Wails does for an app that gives no
// Linux options at all (its answer to blank windows with some GPU drivers,
// wailsapp/wails#2977). Given options, the policy's zero value is Always:
// without a GPU (software GL, as on many virtual machines and remote
// desktops) that alone made the web process about 90 MB larger for the same
// page, measured by `make bench-desktop`.
var linuxOptions = &linux.Options{ProgramName: "doorstep", Icon: icon, WebviewGpuPolicy: linux.WebviewGpuPolicyNever}

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg := app.LoadConfig(os.Args[1:], os.Getenv)
	if cfg.ShowVersion { // before Wails: no window, no display needed
		fmt.Println("doorstep", backend.Version)
		return
	}
	life := &app.Lifecycle{}
	connection := app.NewConnectionService(cfg, life, logger)
	dataDir, err := app.DataDir(os.Getenv)
	if err != nil {
		logger.Error("no data directory", "err", err)
		os.Exit(1)
	}
	emit := func(name string, data any) {
		if life.Started() { // the Wails runtime exists only after start-up
			runtime.EventsEmit(life.Context(), name, data)
		}
	}
	accounts := app.NewAccountService(cfg, life, keychain.New(), dataDir, emit, logger)
	conversations := app.NewConversationService(accounts)
	tenants := app.NewTenantService(accounts)
	attachments := app.NewAttachmentService(accounts)
	attachments.OpenDialog = func() ([]string, error) {
		return runtime.OpenMultipleFilesDialog(life.Context(), runtime.OpenDialogOptions{Title: "Attach files"})
	}
	files := app.NewFileService(accounts)
	attention := app.NewAttentionService(accounts)
	search := app.NewSearchService(accounts)
	templates := app.NewTemplateService(accounts)
	files.SaveDialog = func(dir, name string) (string, error) {
		return runtime.SaveFileDialog(life.Context(), runtime.SaveDialogOptions{Title: "Save file", DefaultDirectory: dir, DefaultFilename: name})
	}
	exports := app.NewExportService(accounts, files)
	exports.SaveDialog = func(title, dir, name string) (string, error) {
		return runtime.SaveFileDialog(life.Context(), runtime.SaveDialogOptions{Title: title, DefaultDirectory: dir, DefaultFilename: name})
	}
	exports.OpenDialog = func(dir string) (string, error) {
		return runtime.OpenFileDialog(life.Context(), runtime.OpenDialogOptions{Title: "Verify an export", DefaultDirectory: dir,
			Filters: []runtime.FileFilter{{DisplayName: "Doorstep exports (.zip, or manifest.json in the folder)", Pattern: "*.zip;manifest.json"}}})
	}

	err = wails.Run(&options.App{
		Title:            "Doorstep",
		Width:            1180,
		Height:           780,
		MinWidth:         760,
		MinHeight:        520,
		BackgroundColour: &options.RGBA{R: 247, G: 248, B: 250, A: 255},
		AssetServer:      &assetserver.Options{Assets: assets},
		OnStartup: func(ctx context.Context) {
			life.Start(ctx)
			// An export dropped on the window is checked; other files are attached.
			runtime.OnFileDrop(ctx, app.ExportDropHandler(exports, app.FileDropHandler(attachments)))
		},
		// Files dropped on the window reach Go as paths (FileDropHandler).
		// The webview keeps its own drop handling on purpose: Wails v2 on
		// Linux delivers no native drops at all once it is disabled, and
		// the page needs the drag events to show its drop zone. The page
		// cancels every drop, so none can navigate it away.
		DragAndDrop: &options.DragAndDrop{EnableFileDrop: true},
		OnShutdown:  func(context.Context) { life.Stop() },
		Bind:        []any{connection, accounts, conversations, tenants, attachments, files, attention, search, templates, exports, app.NewBenchTrace(os.Getenv)},
		// A failed call rejects in the page with {code, message,
		// retry_after}; Go's error text stays in the log.
		ErrorFormatter: app.ErrorFormatter(logger),
		Linux:          linuxOptions,
		Mac:            &mac.Options{About: &mac.AboutInfo{Title: "Doorstep", Message: "Chat with your tenants."}},
	})
	if err != nil {
		logger.Error("doorstep stopped", "err", err)
		os.Exit(1)
	}
}
