import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // dist/.gitkeep is committed so `go:embed all:frontend/dist` compiles in a
  // fresh clone; public/.gitkeep puts it back after each build empties dist/.
  build: {
    // The UI runs inside the WebKit/WebView2 of the OS, never an old browser.
    target: 'es2022',
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    // Stylesheets are left empty in tests unless listed: palette.test.ts reads
    // them (as ?raw) to check their colours.
    css: { include: [/\/src\/[\w-]+\.css/] },
  },
});
