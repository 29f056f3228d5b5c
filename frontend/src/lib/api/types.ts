// The shapes Go sends and takes: the models Wails generates from the Go
// types (wailsjs/go/models.ts, made by `make frontend/wailsjs/go/models.ts`),
// so a change on the Go side that breaks the UI fails svelte-check.
import type { app, backend, cache, engine, evidence } from '../../../wailsjs/go/models';

/**
 * A generated model as the page really receives it: plain JSON, without the
 * helper methods Wails puts on its classes (a value from Go never has them),
 * so the UI can build and copy values too ({ ...thread }); and a list may be
 * null, as a Go nil slice is in JSON, though Wails types it as an array.
 * Nested models are plain as well. Go's time.Time stays `any` (an RFC 3339
 * string), as Wails generates it.
 */
export type Plain<T> = 0 extends 1 & T // any stays any
  ? T
  : T extends (infer E)[]
    ? Plain<E>[] | null
    : T extends object
      ? { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: Plain<T[K]> }
      : T;

/** What the About box shows: the app's version and the server's. */
export type AboutInfo = Plain<app.About>;
export type AccountState = Plain<app.AccountState>;
export type ConnectionStatus = Plain<app.ConnectionStatus>;
export type Thread = Plain<app.Thread>;

/** A landlord's settings for notifications: quiet hours, emergency words, mutes. */
export type AttentionSettings = Plain<backend.AttentionSettings>;
/** What Save takes: the schedule and the emergency words, replaced whole. */
export type AttentionUpdate = Plain<backend.AttentionUpdate>;
export type QuietSchedule = Plain<backend.QuietSchedule>;
/** One weekday's quiet hours: off, all_day, or hours from–to. */
export type QuietDay = Plain<backend.QuietDay>;
export type Mute = Plain<backend.Mute>;
/** A mute in force, with the sentence the list shows ("Muted until 08:00"). */
export type MuteState = Plain<backend.MuteState>;
export type Conversation = Plain<backend.Conversation>;
export type Directory = Plain<backend.Directory>;
export type DirectoryTenant = Plain<backend.DirectoryTenant>;
/** A file shared in a conversation (backend.File). */
export type FileInfo = Plain<backend.File>;
export type Lease = Plain<backend.Lease>;
export type Message = Plain<backend.Message>;
/** How far a member has read a conversation (the chat:read payload, too). */
export type ReadPosition = Plain<backend.ReadPosition>;
/** Who has seen one of the landlord's messages, and what shows under it. */
export type Receipt = Plain<backend.Receipt>;
/** One e-mail or text message telling a tenant of a chat (the delivery log). */
export type Notification = Plain<backend.Notification>;
export type Sender = Plain<backend.Sender>;
/** A file as View Files lists it: the file, and who shared it when. */
export type SharedFile = Plain<backend.SharedFile>;
export type TenantRecord = Plain<backend.TenantRecord>;

/** A file waiting in a conversation's draft (its local path stays in Go). */
export type DraftFile = Plain<cache.DraftFile>;
export type Outgoing = Plain<cache.Outgoing>;

export type SyncState = Plain<engine.SyncState>;

/** What an export made: where, a sentence saying what, and what it lacks. */
export type ExportResult = Plain<app.ExportResult>;
/** A check of an export: its report, or the problem that stopped it. */
export type VerifyOutcome = Plain<app.VerifyOutcome>;
/** A file dropped on the page, checked when it is an export. */
export type DroppedFile = Plain<app.DroppedFile>;
/** What a check of an export found (backend/evidence). */
export type ExportReport = Plain<evidence.Report>;
/** The server's signing key and its fingerprint (the About box). */
export type ServerKey = Plain<backend.ServerKey>;

/** How far the background fill has loaded the history for search, and the sentence saying it. */
export type HistoryProgress = Plain<engine.HistoryProgress>;
export type SearchFilters = Plain<app.SearchFilters>;
/** What a search found, and the line counting it (Go's). */
export type SearchResults = Plain<app.SearchResults>;
/** What the search's "Tenant or unit" filter offers. */
export type SearchChoices = Plain<app.SearchChoices>;
export type SearchGroup = Plain<cache.SearchGroup>;
export type SearchHit = Plain<cache.SearchHit>;
/** A piece of a snippet: text, marked where it matched. */
export type Run = Plain<cache.Run>;

/**
 * How far a file of an outbox message is (engine.UploadProgress), the
 * payload of the chat:upload event. Written here by hand because Wails
 * generates models only for what bound methods take and return, and an
 * event's payload is neither; app/events_test.go keeps these fields equal to
 * the Go type's.
 */
export interface UploadProgress {
  localId: number;
  name: string;
  sent: number;
  total: number;
}
