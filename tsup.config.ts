import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', node: 'src/node.ts', browser: 'src/browser.ts', segment: 'src/integrations/segment/index.ts', appmetrica: 'src/integrations/appmetrica/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    // fp-ts ships subpath directories Node's ESM resolver cannot import; bundle the bits used.
    noExternal: ['fp-ts'],
    // Segment's packages are optional peers: their types only, never bundled.
    external: ['node:fs', 'node:fs/promises', 'node:path', 'node:crypto', 'node:os', 'node:http', '@segment/analytics-next', '@segment/analytics-node'],
  },
  {
    entry: { 'server/cli': 'src/server/cli.ts', 'server/index': 'src/server/index.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    banner: { js: '' },
  },
]);
