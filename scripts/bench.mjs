// Runs one benchmark page in headless Chromium and prints its figures as JSON lines:
//   node scripts/bench.mjs <name> [only]   (opens src/bench/<name>.html[?only=<only>])
// `only` narrows what the page measures, e.g. `train tiny` (npm run bench:train -- tiny) times
// the tiny preset alone; the page checks the value.
// A page reports through console.log: each line that starts with '{' is forwarded to stdout;
// {"done":true} ends the run, {"error":"..."} or an uncaught page error fails it (exit 1).
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumArgs, chromiumPath } from '../e2e/chromium-flags.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2];
const only = process.argv[3];
// SwiftShader benchmarks take minutes on two shared cores.
const timeoutMs = Number(process.env.BENCH_TIMEOUT_MS ?? 40 * 60_000);

if (
  !name ||
  !/^[\w-]+$/.test(name) ||
  !existsSync(resolve(root, `src/bench/${name}.html`)) ||
  (only !== undefined && !/^[\w,-]+$/.test(only))
) {
  console.error(
    'usage: node scripts/bench.mjs <name> [only], with src/bench/<name>.html present and only made of letters, digits, commas and dashes',
  );
  process.exit(2);
}

const server = await createServer({
  root,
  logLevel: 'warn',
  // No file watching or HMR: other work in the tree must not reload the page mid-run.
  server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  // Scan only this page for dependencies, so none is discovered mid-run (that reloads the page).
  optimizeDeps: { entries: [`src/bench/${name}.html`] },
});
await server.listen();
const address = server.httpServer?.address();
const port = typeof address === 'object' && address ? address.port : 0;
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });

let exitCode = 0;
try {
  const page = await browser.newPage();
  exitCode = await new Promise((done) => {
    const timer = setTimeout(() => {
      console.error(`bench ${name}: no done signal after ${timeoutMs} ms`);
      done(1);
    }, timeoutMs);
    const finish = (code) => {
      clearTimeout(timer);
      done(code);
    };
    let loads = 0;
    page.on('load', () => {
      loads += 1;
      if (loads > 1) {
        console.error(`bench ${name}: the page reloaded mid-run; figures would repeat`);
        finish(1);
      }
    });
    page.on('pageerror', (e) => {
      console.error(`bench ${name}: page error: ${e.message}`);
      finish(1);
    });
    page.on('console', (msg) => {
      const text = msg.text();
      if (!text.startsWith('{')) {
        if (msg.type() === 'error' || msg.type() === 'warning') console.error(text);
        return;
      }
      let line;
      try {
        line = JSON.parse(text);
      } catch {
        console.error(text);
        return;
      }
      if (line.done === true) finish(0);
      else if (typeof line.error === 'string') {
        console.error(`bench ${name}: ${line.error}`);
        finish(1);
      } else process.stdout.write(`${JSON.stringify(line)}\n`);
    });
    const query = only === undefined ? '' : `?only=${only}`;
    page.goto(`http://127.0.0.1:${port}/src/bench/${name}.html${query}`).catch((e) => {
      console.error(`bench ${name}: cannot open the page: ${e.message}`);
      finish(1);
    });
  });
} finally {
  await browser.close();
  await server.close();
}
process.exit(exitCode);
