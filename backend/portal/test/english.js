// @ts-check
// Every test reads the portal's sentences as an English-speaking tenant
// does, from the server's catalogue (backend/i18n/en.json), unless it sets
// another (format.test.js reads Spanish too).
import { readFileSync } from 'node:fs';
import { setCatalogue } from '../assets/i18n.js';

/** @type {Record<string, string>} */
const all = JSON.parse(readFileSync(new URL('../../i18n/en.json', import.meta.url), 'utf8'));
setCatalogue({ language: 'en', locale: 'en', messages: Object.fromEntries(Object.entries(all).filter(([id]) => id.startsWith('portal.'))) });
