// @ts-check
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayLabel, formatSize, sessionLine, shownExtension, shownFileName } from '../assets/format.js';
import { setCatalogue, t } from '../assets/i18n.js';

/** A language's catalogue as the server gives the page (backend/i18n). */
function catalogue(/** @type {string} */ language) {
  /** @type {Record<string, string>} */
  const all = JSON.parse(readFileSync(new URL(`../../i18n/${language}.json`, import.meta.url), 'utf8'));
  return { language, locale: language, messages: Object.fromEntries(Object.entries(all).filter(([id]) => id.startsWith('portal.'))) };
}

beforeAll(() => setCatalogue(catalogue('en')));

describe('a file name', () => {
  it('shows every bidirectional control as what it is', () => {
    expect(shownFileName('invoice\u202Efdp.exe')).toBe('invoice[U+202E]fdp.exe');
    expect(shownFileName('a\u2066b\u200Fc\u061C')).toBe('a[U+2066]b[U+200F]c[U+061C]');
    expect(shownFileName('plain lease.pdf')).toBe('plain lease.pdf');
  });

  it('shows the extension it really has', () => {
    expect(shownExtension('invoice\u202Efdp.exe')).toBe('EXE');
    expect(shownExtension('photo.jpeg')).toBe('JPEG');
    expect(shownExtension('README')).toBe('FILE');
  });
});

describe('a size', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KB'],
    [10 * 1024 - 1, '10.0 KB'],
    [10 * 1024, '10 KB'],
    [1024 * 1024, '1.0 MB'],
    [25 * 1024 * 1024, '25.0 MB'],
  ])('%i bytes reads %s', (n, text) => {
    expect(formatSize(n)).toBe(text);
  });
});

describe('a day', () => {
  const today = new Date(2026, 10, 28, 9, 30);
  it('reads Today and Yesterday by the local calendar', () => {
    expect(dayLabel(new Date(2026, 10, 28, 0, 1), today)).toBe('Today');
    expect(dayLabel(new Date(2026, 10, 27, 23, 59), today)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 10, 26, 12), today)).not.toMatch(/Today|Yesterday/);
  });
});

describe('a line of where the tenant is signed in', () => {
  const now = new Date(2026, 10, 28, 15, 0);
  it('names this device as such, with the time it signed in today', () => {
    const line = sessionLine({ started_at: new Date(2026, 10, 28, 9, 30).toISOString(), device: 'Safari on iPhone', current: true }, now);
    expect(line).toMatch(/^This device, since /);
    expect(line).toMatch(/9:30|09:30/);
  });

  it('names another device by its browser and system, with the day it signed in', () => {
    const started = new Date(2026, 10, 20, 9, 30);
    expect(sessionLine({ started_at: started.toISOString(), device: 'Firefox on Windows', current: false }, now)).toBe(
      `Firefox on Windows, since ${dayLabel(started, now)}`,
    );
  });
});

describe('in Spanish', () => {
  beforeAll(() => setCatalogue(catalogue('es')));
  afterAll(() => setCatalogue(catalogue('en')));
  const now = new Date(2026, 10, 28, 15, 0);

  it('reads days, sessions and sizes as Spanish writes them', () => {
    expect(dayLabel(new Date(2026, 10, 28, 0, 1), now)).toBe('Hoy');
    expect(dayLabel(new Date(2026, 10, 27, 23, 59), now)).toBe('Ayer');
    expect(dayLabel(new Date(2026, 10, 20, 12), now)).toMatch(/nov/);
    expect(sessionLine({ started_at: new Date(2026, 10, 28, 9, 30).toISOString(), device: 'Safari on iPhone', current: true }, now)).toMatch(
      /^Este dispositivo, desde 9:30/,
    );
    expect(formatSize(1536)).toBe('1,5 KB');
  });

  it('fills placeholders and shows an unknown id as itself', () => {
    expect(t('portal.tooManyFiles', { max: 10 })).toBe('Un mensaje puede llevar como máximo 10 archivos.');
    expect(t('portal.no-such-id')).toBe('portal.no-such-id');
  });
});
