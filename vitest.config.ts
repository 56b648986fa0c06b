import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql@16 ships index.mjs (chosen by Vite for our files) and index.js (chosen by Node for
    // dependencies): force one copy, or GraphQLErrors we throw are not recognised by Yoga and get masked.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: more workers only make PGlite start-ups fight for them.
    maxWorkers: 2,
  },
});
