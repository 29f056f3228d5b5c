// Vitest for the portal's modules: make test-portal runs
// `vitest run --config ../backend/portal/vitest.config.mjs` in frontend/, whose
// node_modules hold Vitest. The tests live in test/, beside the assets and
// outside them, so the server neither embeds nor serves them.
export default {
  root: import.meta.dirname,
  // Vitest's cache goes with the other packages, not into the source tree.
  cacheDir: '../../frontend/node_modules/.vite-portal',
  test: {
    include: ['test/*.test.js'],
    environment: 'node',
    setupFiles: ['test/english.js'],
  },
};
