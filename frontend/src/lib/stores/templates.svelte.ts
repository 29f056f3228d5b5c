import { type AppError, toAppError } from '../api/errors';
import * as templates from '../api/templates';
import type { Template, TemplateField, TemplateProblem } from '../api/templates';

/** What the editor edits: a template (id 0: a new one), its name and text. */
export interface TemplateEdit {
  id: number;
  name: string;
  text: string;
}

/** The templates whose name (or text) holds query, any case; all for "". */
export function matching(list: Template[], query: string): Template[] {
  const q = query.trim().toLowerCase();
  if (!q) return list;
  const byName = list.filter((t) => t.name.toLowerCase().includes(q));
  return [...byName, ...list.filter((t) => !byName.includes(t) && t.text.toLowerCase().includes(q))];
}

/**
 * The landlord's message templates: the compose box's picker (filling one
 * only puts text in the box; the landlord edits it and presses Send) and
 * the Templates editor. The list is Go's (the cache's, offline too) and
 * follows templates:changed; filling works offline, saving needs the
 * server. A refused fill or save leaves everything as it was, its sentence
 * in `refusal` or `problem`.
 */
export class TemplateStore {
  list = $state<Template[]>([]);
  fields = $state<TemplateField[]>([]);

  /** The picker is open; how it was opened (a "/" typed in the box, or its button). */
  pickerOpen = $state(false);
  via = $state<'slash' | 'button'>('button');
  /** What follows the "/" in the box: the picker shows the templates it matches. */
  query = $state('');
  /** The highlighted template among `matches`. */
  active = $state(0);
  /** Why the last fill was refused (a field that cannot be filled here). */
  refusal = $state<AppError | null>(null);
  filling = $state(false);
  matches = $derived(matching(this.list, this.query));

  /** The editor is open on `editing`, with Go's checks of its text. */
  editorOpen = $state(false);
  editing = $state<TemplateEdit | null>(null);
  checks = $state<TemplateProblem[]>([]);
  checking = $state(false);
  saving = $state(false);
  /** Why the last load, save or delete was refused. */
  problem = $state<AppError | null>(null);
  /** A template with a mistake, no name or no text cannot be saved. */
  canSave = $derived(
    !!this.editing &&
      this.editing.name.trim() !== '' &&
      this.editing.text.trim() !== '' &&
      this.checks.length === 0 &&
      !this.checking &&
      !this.saving,
  );
  private checked = 0; // answers to older checks are dropped

  /** Loads the kept templates and the fields, then follows templates:changed; returns the stop function. */
  start(): () => void {
    void this.load();
    return templates.onTemplates((list) => (this.list = list));
  }

  async load(): Promise<void> {
    try {
      [this.list, this.fields] = await Promise.all([templates.list(), templates.fields()]);
    } catch (err) {
      this.problem = toAppError(err);
    }
  }

  // ------------------------------------------------------------ the picker

  openPicker(via: 'slash' | 'button', query = ''): void {
    this.via = via;
    this.query = query;
    this.active = 0;
    this.refusal = null;
    this.pickerOpen = true;
  }

  closePicker(): void {
    this.pickerOpen = false;
    this.refusal = null;
  }

  /** Moves the highlight by delta, round the list. */
  move(delta: number): void {
    const n = this.matches.length;
    if (n > 0) this.active = (this.active + delta + n) % n;
  }

  /**
   * Fills a template with the conversation's values: the text for the box,
   * or null when Go refused (the sentence stays in `refusal`, the picker open).
   */
  async fill(conversationId: number, template: Template): Promise<string | null> {
    if (this.filling) return null;
    this.filling = true;
    try {
      const text = await templates.fill(conversationId, template.id);
      this.closePicker();
      return text;
    } catch (err) {
      this.refusal = toAppError(err);
      return null;
    } finally {
      this.filling = false;
    }
  }

  // ------------------------------------------------------------ the editor

  /** Opens the editor, on a template (a copy of it) or on none. */
  openEditor(template?: Template): void {
    this.closePicker();
    this.problem = null;
    this.editorOpen = true;
    if (template) this.edit(template);
    else if (!this.editing) this.editing = null;
  }

  closeEditor(): void {
    this.editorOpen = false;
    this.editing = null;
    this.checks = [];
    this.problem = null;
  }

  edit(template: Template): void {
    this.problem = null;
    this.editing = { id: template.id, name: template.name, text: template.text };
    void this.check();
  }

  newTemplate(): void {
    this.problem = null;
    this.editing = { id: 0, name: '', text: '' };
    this.checks = [];
  }

  /** Asks Go for the mistakes in the text being edited; call it as it changes. */
  async check(): Promise<void> {
    const text = this.editing?.text ?? '';
    const mine = ++this.checked;
    this.checking = true;
    try {
      const found = await templates.check(text);
      if (mine === this.checked) this.checks = found;
    } catch (err) {
      if (mine === this.checked) this.problem = toAppError(err);
    } finally {
      if (mine === this.checked) this.checking = false;
    }
  }

  /** Saves the template being edited; true when the server took it. */
  async save(): Promise<boolean> {
    const e = this.editing;
    if (!e || !this.canSave) return false;
    this.saving = true;
    try {
      const saved = await templates.save(e.id, { name: e.name, text: e.text });
      this.problem = null;
      this.list = [...this.list.filter((t) => t.id !== saved.id), saved].sort((a, b) =>
        a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }),
      );
      this.editing = { id: saved.id, name: saved.name, text: saved.text };
      return true;
    } catch (err) {
      this.problem = toAppError(err);
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** Deletes a template; true when the server did. */
  async remove(id: number): Promise<boolean> {
    try {
      await templates.remove(id);
      this.problem = null;
      this.list = this.list.filter((t) => t.id !== id);
      if (this.editing?.id === id) this.editing = null;
      return true;
    } catch (err) {
      this.problem = toAppError(err);
      return false;
    }
  }
}
