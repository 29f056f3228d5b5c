import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Template, TemplateProblem } from '../api/templates';

// The Go binding and the runtime's events, as Wails exposes them.
const go = {
  List: vi.fn<() => Promise<Template[] | null>>(),
  Fields: vi.fn<() => Promise<unknown[]>>(),
  Check: vi.fn<(text: string) => Promise<TemplateProblem[]>>(),
  Save: vi.fn<(id: number, d: unknown) => Promise<Template>>(),
  Delete: vi.fn<(id: number) => Promise<void>>(),
  Fill: vi.fn<(conv: number, id: number) => Promise<string>>(),
};
const listeners: Record<string, (data: unknown) => void> = {};
vi.mock('../../../wailsjs/go/app/TemplateService', () => ({
  List: () => go.List(),
  Fields: () => go.Fields(),
  Check: (text: string) => go.Check(text),
  Save: (id: number, d: unknown) => go.Save(id, d),
  Delete: (id: number) => go.Delete(id),
  Fill: (conv: number, id: number) => go.Fill(conv, id),
}));
vi.mock('../../../wailsjs/runtime/runtime', () => ({
  EventsOn: (name: string, cb: (data: unknown) => void) => {
    listeners[name] = cb;
    return () => delete listeners[name];
  },
}));
const { TemplateStore, matching } = await import('./templates.svelte');

const at = '2026-11-28T10:00:00Z';
const rent: Template = { id: 1, name: 'Rent reminder', text: 'Hi {{tenant.first_name}}, rent is {{rent}}.', updated_at: at };
const visit: Template = { id: 2, name: 'Maintenance visit', text: 'A visit at {{unit}}.', updated_at: at };
const renewal: Template = { id: 3, name: 'Lease renewal', text: 'Your lease ends on {{lease.end}}; rent stays.', updated_at: at };

async function started(list: Template[] = [renewal, visit, rent]) {
  go.List.mockResolvedValue(list);
  go.Fields.mockResolvedValue([{ name: 'unit', description: 'The unit' }]);
  const store = new TemplateStore();
  const stop = store.start();
  await vi.waitFor(() => expect(store.list).toEqual(list));
  return { store, stop };
}

beforeEach(() => Object.values(go).forEach((f) => f.mockReset()));

describe('TemplateStore', () => {
  it('loads the kept templates and follows templates:changed from another device', async () => {
    const { store, stop } = await started();
    expect(store.fields).toHaveLength(1);
    listeners['templates:changed']!([visit]);
    expect(store.list).toEqual([visit]);
    listeners['templates:changed']!(null); // the last one deleted
    expect(store.list).toEqual([]);
    stop();
    expect(listeners['templates:changed']).toBeUndefined();
  });

  it('matches names first, then texts, any case', () => {
    expect(matching([renewal, visit, rent], 'RENT').map((t) => t.id)).toEqual([1, 3]);
    expect(matching([renewal, visit, rent], '').map((t) => t.id)).toEqual([3, 2, 1]);
    expect(matching([renewal, visit, rent], 'zzz')).toEqual([]);
  });

  it('the picker filters as "/" is followed by letters, and the highlight goes round', async () => {
    const { store, stop } = await started();
    store.openPicker('slash', 're');
    expect(store.matches.map((t) => t.name)).toEqual(['Lease renewal', 'Rent reminder']);
    store.move(1);
    expect(store.active).toBe(1);
    store.move(1);
    expect(store.active).toBe(0);
    store.move(-1);
    expect(store.active).toBe(1);
    stop();
  });

  it('a fill gives the text for the box and closes the picker; nothing else is called', async () => {
    const { store, stop } = await started();
    store.openPicker('button');
    go.Fill.mockResolvedValue('Hi James, rent is $1,180.00.');
    expect(await store.fill(7, rent)).toBe('Hi James, rent is $1,180.00.');
    expect(go.Fill).toHaveBeenCalledWith(7, 1);
    expect(store.pickerOpen).toBe(false);
    expect(go.Save).not.toHaveBeenCalled();
    stop();
  });

  it('a refused fill keeps the picker open with the sentence, and gives no text', async () => {
    const { store, stop } = await started();
    store.openPicker('button');
    const sentence = '{{tenant.first_name}} differs between the members of this group chat (Emily Chen and Daniel Park), so it cannot be filled in here.';
    go.Fill.mockRejectedValue({ code: 'invalid_input', message: sentence });
    expect(await store.fill(9, rent)).toBeNull();
    expect(store.pickerOpen).toBe(true);
    expect(store.refusal?.code).toBe('invalid_input');
    expect(store.refusal?.message).toBe(sentence);
    store.closePicker();
    expect(store.refusal).toBeNull();
    stop();
  });

  it('the editor cannot save a template with a mistake, and saves one without', async () => {
    const { store, stop } = await started();
    store.openEditor();
    store.newTemplate();
    expect(store.canSave).toBe(false); // no name, no text
    store.editing!.name = 'Keys';
    store.editing!.text = 'Keys for {{unt}}';
    const mistake = { snippet: '{{unt}}', message: '{{unt}} is not a field: did you mean {{unit}}?' };
    go.Check.mockResolvedValue([mistake]);
    await store.check();
    expect(go.Check).toHaveBeenCalledWith('Keys for {{unt}}');
    expect(store.checks).toEqual([mistake]);
    expect(store.canSave).toBe(false);
    expect(await store.save()).toBe(false);
    expect(go.Save).not.toHaveBeenCalled();

    store.editing!.text = 'Keys for {{unit}}';
    go.Check.mockResolvedValue([]);
    await store.check();
    expect(store.canSave).toBe(true);
    const saved = { id: 4, name: 'Keys', text: 'Keys for {{unit}}', updated_at: at };
    go.Save.mockResolvedValue(saved);
    expect(await store.save()).toBe(true);
    expect(go.Save).toHaveBeenCalledWith(0, { name: 'Keys', text: 'Keys for {{unit}}' });
    expect(store.list.map((t) => t.name)).toEqual(['Keys', 'Lease renewal', 'Maintenance visit', 'Rent reminder']);
    expect(store.editing?.id).toBe(4);
    stop();
  });

  it('an older check answering late does not hide the newer one', async () => {
    const { store, stop } = await started();
    store.openEditor(rent);
    let answerOld: (p: TemplateProblem[]) => void = () => {};
    go.Check.mockReturnValueOnce(new Promise((r) => (answerOld = r)));
    const old = store.check();
    go.Check.mockResolvedValueOnce([]);
    await store.check();
    answerOld([{ snippet: '{{x}}', message: 'stale' }]);
    await old;
    expect(store.checks).toEqual([]);
    expect(store.canSave).toBe(true);
    stop();
  });

  it('a save refused offline keeps the text being edited and says why', async () => {
    const { store, stop } = await started();
    go.Check.mockResolvedValue([]);
    store.openEditor(rent);
    await vi.waitFor(() => expect(store.canSave).toBe(true));
    store.editing!.text = 'Changed: {{rent}}';
    go.Save.mockRejectedValue({ code: 'unreachable', message: 'Templates can be changed only while Doorstep is connected to the server.' });
    expect(await store.save()).toBe(false);
    expect(store.problem?.code).toBe('unreachable');
    expect(store.editing?.text).toBe('Changed: {{rent}}');
    expect(store.list).toContainEqual(rent);
    stop();
  });

  it('deletes, and forgets the template in the editor', async () => {
    const { store, stop } = await started();
    store.openEditor(visit);
    go.Delete.mockResolvedValue();
    expect(await store.remove(2)).toBe(true);
    expect(go.Delete).toHaveBeenCalledWith(2);
    expect(store.list.map((t) => t.id)).toEqual([3, 1]);
    expect(store.editing).toBeNull();
    stop();
  });
});
