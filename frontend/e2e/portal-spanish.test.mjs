// A tenant whose language is Spanish (the demo's Ella Turner): her e-mail
// and text message are in Spanish, and so is the portal, whatever the
// browser's language; the landlord's Tenant Info says so. Screenshots of
// her portal on a phone, light and dark.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mailFor, openApp, openPage, serverURL } from './harness.mjs';
import { chatWith, demo, findTenant, inviteToken, sendAs, signIn } from './api.mjs';
import { checkA11y } from './axe.mjs';

const phone = { width: 375, height: 800 };

/** The portal link in a notification's text. */
function linkIn(text) {
  const m = /https?:\/\/\S+\/portal\/i\/[A-Za-z0-9_-]+(\?lang=[a-z]+)?/.exec(text);
  assert.ok(m, `no portal link in: ${text}`);
  return m[0];
}

test('a Spanish tenant is written to, and reads the portal, in Spanish', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  const ella = await findTenant(landlord, 'Ella Turner');
  assert.equal(ella.language, 'es', 'the demo gives Ella Turner Spanish');
  const conv = await chatWith(landlord, 'Ella Turner');
  await sendAs(landlord, conv.id, 'Hola Ella, the plumber comes on Thursday.');

  const mail = await mailFor('ella.turner@example.com', 'email', /inició un chat con usted/);
  assert.match(mail.subject, /^Pat Morgan inició un chat con usted$/);
  assert.match(mail.text, /^Hola, Ella Turner:/);
  assert.match(mail.text, /hasta el \d{1,2} de [a-z]+ de \d{4}/, 'the link’s last day, written in Spanish');
  const sms = await mailFor(`+1${ella.phone.replace(/\D/g, '')}`, 'sms', /inició un chat con usted/);
  assert.match(sms.text, /Lea y responda: https?:\/\//);

  // Her browser is English; her record says Spanish, and wins: the link
  // names her language for its page, the portal knows it from her session.
  assert.match(linkIn(mail.text), /\?lang=es$/);
  const opened = await openPage(t, linkIn(mail.text), phone);
  const { page, pageErrors, screenshot } = opened;
  await page.getByRole('button', { name: 'Abrir mis mensajes' }).click();
  await page.waitForURL(/\/portal\/$/);
  await page.getByRole('heading', { name: 'Mensajes' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'es');
  await page.getByRole('button', { name: 'Cerrar sesión', exact: true }).waitFor();
  await page.getByText('Dónde tiene la sesión abierta').waitFor();
  await page.getByTestId('conversation').first().click();
  await page.getByTestId('view-files').getByText('Ver archivos').waitFor();
  await page.getByPlaceholder('Escriba un mensaje').waitFor();
  await page.getByTestId('send').getByText('Enviar').waitFor();
  await page.locator('.day').getByText('Hoy').waitFor();
  assert.equal(await page.getByText(/Sign out|Write a message|View Files|Today/).count(), 0, 'no English left on the page');

  await page.emulateMedia({ colorScheme: 'light' });
  await screenshot('portal-es-375-light');
  await checkA11y(page, 'portal-es-375-light-thread');
  await page.emulateMedia({ colorScheme: 'dark' });
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(background, 'rgb(247, 248, 250)', 'the dark scheme is not the light background');
  await screenshot('portal-es-375-dark');
  await checkA11y(page, 'portal-es-375-dark-thread');
  assert.deepEqual(pageErrors, []);
});

test('a tenant picks their own language at the foot of the portal', async (t) => {
  const landlord = await signIn(demo.email, demo.password);
  const { page, pageErrors } = await openPage(t, `${serverURL}/portal/i/${await inviteToken(landlord, 'Olivia Brown')}`);
  await page.getByRole('button', { name: 'Open my messages' }).click();
  await page.waitForURL(/\/portal\/$/);
  await page.getByRole('heading', { name: 'Messages' }).waitFor();
  const choice = page.getByLabel('Language');
  assert.equal(await choice.inputValue(), 'en');

  await choice.selectOption('es');
  await page.getByRole('heading', { name: 'Mensajes' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'es');
  assert.equal(await page.getByLabel('Idioma').inputValue(), 'es');
  assert.equal((await findTenant(landlord, 'Olivia Brown')).language, 'es', 'her record keeps her choice, for e-mails and texts too');

  await page.getByLabel('Idioma').selectOption('en');
  await page.getByRole('heading', { name: 'Messages' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal((await findTenant(landlord, 'Olivia Brown')).language, 'en');
  assert.deepEqual(pageErrors, []);
});

test('the landlord sees the tenant’s language in Tenant Info', async (t) => {
  const { page, pageErrors } = await openApp(t);
  await page.getByLabel('E-mail').fill(demo.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('conversation').filter({ hasText: 'Ella Turner' }).click();
  await page.getByRole('button', { name: 'Actions', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Tenant Info' }).click();
  await page.getByTestId('tenant-language').getByText('Language: Spanish').waitFor();
  await page.getByTestId('tenant-info').click();
  await page.getByTestId('record-language').getByText('Language: Spanish').waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.deepEqual(pageErrors, []);
});
