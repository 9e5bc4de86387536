// Bundles the console into dist/ with esbuild: one ES module for the app, its CSS, and
// index.html. Everything is served from this machine: no CDN at runtime.
//   node build.mjs            production bundle (minified)
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'src', 'main.tsx')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: join(out, 'app.js'),
  jsx: 'automatic',
  jsxImportSource: 'preact',
  loader: { '.css': 'css' },
  logLevel: 'warning',
});
cpSync(join(here, 'src', 'index.html'), join(out, 'index.html'));
cpSync(join(here, 'src', 'style.css'), join(out, 'style.css'));
console.log(`console built into ${out}`);
