// ESLint for the desktop UI (frontend/src: TypeScript and Svelte) and the
// tenant portal (backend/portal: plain ES modules). It lives here, beside the
// packages it needs, and runs from the repository's root, where its paths
// start: `make lint`, or `npm run lint` in frontend/. Types are tsc's and
// svelte-check's job; this checks what they do not.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

// The portal puts what others wrote in the page as text only: anything that
// parses markup is refused here as well as by the Go test of the page.
const noMarkup = [
  { property: 'innerHTML', message: 'Build elements with dom.js (text, attributes), never from markup.' },
  { property: 'outerHTML', message: 'Build elements with dom.js (text, attributes), never from markup.' },
  { property: 'insertAdjacentHTML', message: 'Build elements with dom.js (text, attributes), never from markup.' },
  { property: 'createContextualFragment', message: 'Build elements with dom.js (text, attributes), never from markup.' },
  { object: 'document', property: 'write', message: 'Build elements with dom.js, never with document.write.' },
  { object: 'document', property: 'writeln', message: 'Build elements with dom.js, never with document.write.' },
];

export default defineConfig(
  globalIgnores(['frontend/dist/', 'frontend/wailsjs/', '**/node_modules/']),
  {
    name: 'doorstep/ui',
    files: ['frontend/src/**/*.ts', 'frontend/src/**/*.svelte'],
    extends: [js.configs.recommended, ts.configs.recommended, svelte.configs.recommended],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { extraFileExtensions: ['.svelte'] },
    },
  },
  {
    name: 'doorstep/ui/svelte',
    files: ['frontend/src/**/*.svelte', 'frontend/src/**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'], svelteConfig },
    },
  },
  {
    name: 'doorstep/portal',
    files: ['backend/portal/**/*.js', 'backend/portal/**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.browser,
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-restricted-properties': ['error', ...noMarkup],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      eqeqeq: 'error',
      'no-var': 'error',
      'prefer-const': 'error',
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'none' }],
    },
  },
  {
    name: 'doorstep/portal/tests',
    files: ['backend/portal/test/**/*.js', 'backend/portal/*.mjs'],
    languageOptions: { globals: globals.node },
  },
);
