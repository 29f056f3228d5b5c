// The only module that calls the Go TemplateService binding and listens to
// the templates:changed event (app/engine/templates.go EventTemplates). A
// failed call rejects with an AppError (see errors.ts).
import * as Templates from '../../../wailsjs/go/app/TemplateService';
import type { backend } from '../../../wailsjs/go/models';
import { EventsOn } from '../../../wailsjs/runtime/runtime';
import { call } from './errors';
import type { Plain } from './types';

/** One of the organisation's message templates. */
export type Template = Plain<backend.Template>;
/** What Save takes: a template's name and text. */
export type TemplateDraft = Plain<backend.TemplateDraft>;
/** A merge field a template may use: {{name}}, and what it is filled with. */
export type TemplateField = Plain<backend.TemplateField>;
/** A mistake in a template's text, with Go's sentence for it. */
export type TemplateProblem = Plain<backend.TemplateProblem>;

/** The templates as last received from the server (from the cache, offline too). */
export const list = (): Promise<Template[]> => call(async () => (await Templates.List()) ?? []);
/** The merge fields, in the order the editor lists them. */
export const fields = (): Promise<TemplateField[]> => call(async () => (await Templates.Fields()) ?? []);
/** The mistakes in a text as it is typed (Go's checks; none: it can be saved). */
export const check = (text: string): Promise<TemplateProblem[]> => call(async () => (await Templates.Check(text)) ?? []);
/** Stores a template on the server (id 0: a new one); needs the server. */
export const save = (id: number, d: TemplateDraft): Promise<Template> =>
  // The binding types its argument as the generated class; Go reads JSON.
  call(() => Templates.Save(id, d as Parameters<typeof Templates.Save>[1]));
/** Deletes a template on the server; needs the server. */
export const remove = (id: number): Promise<void> => call(() => Templates.Delete(id));
/** A template filled with a conversation's values, for the message box; nothing is sent. */
export const fill = (conversationId: number, templateId: number): Promise<string> => call(() => Templates.Fill(conversationId, templateId));

/** Follows the templates as they change, here or on another device; returns the unsubscribe function. */
export function onTemplates(handler: (list: Template[]) => void): () => void {
  return EventsOn('templates:changed', (list: Template[] | null) => handler(list ?? []));
}
