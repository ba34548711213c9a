import { defineConfig } from 'vite';

// `@b24-typing/source` resolves our packages to their TypeScript sources, so the demo runs without a build.
export default defineConfig({
  resolve: { conditions: ['@b24-typing/source', 'module', 'browser', 'development|production'] },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  build: { target: 'es2022' },
});
