// Message templates in the compose box: a template fills a one-to-one chat
// with the tenant's values and waits there until Send; a group chat refuses
// a field that differs between its members and leaves the box alone; the
// editor shows a misspelt field as an error and will not save it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openApp } from './harness.mjs';
import { chatWith, demo, messages, signIn } from './api.mjs';

test('templates: fill a one-to-one chat, refuse a group field, catch a misspelt field', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  // James Okafor rents Maple Court 1B at $1,180.00 a month.
  const james = await chatWith(landlord, 'James Okafor');

  const { page, pageErrors, screenshot } = await openApp(t);
  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('sync-state').getByText('Online').waitFor();
  const box = page.getByLabel('Message', { exact: true });
  const picker = page.getByTestId('template-picker');

  await t.test('one-to-one: "/" picks a template, the box holds the values, nothing goes out until Send', async () => {
    await page.getByTestId('conversation').filter({ hasText: 'James Okafor' }).click();
    await page.getByTestId('thread-title').getByText('James Okafor').waitFor();
    const before = (await messages(landlord, james.id)).length;
    await box.fill('');
    await box.pressSequentially('/rent');
    await picker.getByTestId('template-option').filter({ hasText: 'Rent reminder' }).waitFor();
    assert.equal(await picker.getByTestId('template-option').count(), 1, '"rent" leaves the one template it names');
    await screenshot('templates-picker');
    await box.press('Enter');
    await picker.waitFor({ state: 'detached' });

    const filled = await box.inputValue();
    assert.match(filled, /^Hi James,/);
    assert.match(filled, /your rent of \$1,180\.00 for Maple Court, unit 1B,/);
    assert.match(filled, /Pat Morgan$/);
    assert.doesNotMatch(filled, /\{\{|\}\}/);
    await screenshot('templates-filled');
    assert.equal((await messages(landlord, james.id)).length, before, 'filling sent nothing');
    assert.equal(await page.getByTestId('outgoing').count(), 0, 'filling queued nothing');

    // The landlord makes it theirs and sends it.
    await box.press('End');
    await box.pressSequentially(' P.S. The boiler is serviced on Friday.');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByTestId('message').filter({ hasText: 'P.S. The boiler is serviced on Friday.' }).waitFor();
    const sent = (await messages(landlord, james.id)).at(-1);
    assert.match(sent.text, /^Hi James,[\s\S]*\$1,180\.00[\s\S]*P\.S\. The boiler is serviced on Friday\.$/);
  });

  await t.test('group: a first name is refused with a sentence naming it, the box unchanged', async () => {
    await page.getByTestId('conversation').filter({ hasText: 'Maple Court · 2B' }).click();
    await page.getByTestId('thread-title').getByText('Maple Court · 2B').waitFor();
    await box.fill('Hello all,');
    await page.getByRole('button', { name: 'Insert a template' }).click();
    await picker.getByTestId('template-option').filter({ hasText: 'Rent reminder' }).click();
    const refusal = picker.getByTestId('template-refusal');
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /\{\{tenant\.first_name\}\} differs between the members of this group chat \(Daniel Park, Emily Chen and Sofia Rossi\)/);
    assert.equal(await box.inputValue(), 'Hello all,');
    await screenshot('templates-group-refused');

    // What the unit shares fills in, after the draft.
    await picker.getByTestId('template-option').filter({ hasText: 'Maintenance visit' }).click();
    await picker.waitFor({ state: 'detached' });
    assert.match(await box.inputValue(), /^Hello all,\nHello,\n\nA maintenance visit is planned at Maple Court, unit 2B \(114 Maple Street, Springfield\)/);
    await box.fill('');
  });

  await t.test('editor: a misspelt field is an error with the field meant, and cannot be saved', async () => {
    await page.getByTestId('templates-open').click();
    const editor = page.getByTestId('template-editor');
    await editor.getByTestId('template-new').click();
    await editor.getByTestId('template-name').fill('Welcome');
    await editor.getByTestId('template-text').fill('Welcome to {{property}}, {{tenant.frist_name}}!');
    const problem = editor.getByTestId('template-problem');
    await problem.waitFor();
    assert.equal(await problem.textContent(), '{{tenant.frist_name}} is not a field: did you mean {{tenant.first_name}}?');
    assert.equal(await editor.getByTestId('template-save').isDisabled(), true, 'Save is off while there is a mistake');
    await screenshot('templates-editor-error');
    // Go refuses it too, should anything call Save anyway.
    const refused = await page.evaluate(() =>
      window.go.app.TemplateService.Save(0, { name: 'Welcome', text: 'Welcome, {{tenant.frist_name}}!' }).then(
        () => null,
        (err) => err,
      ),
    );
    assert.equal(refused?.code, 'invalid_input');
    assert.equal((await page.evaluate(() => window.go.app.TemplateService.List())).some((tpl) => tpl.name === 'Welcome'), false);
    await page.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });
  });

  assert.deepEqual(pageErrors, []);
});
