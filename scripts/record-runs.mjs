// Records the runs the studio ships for browsers without WebGPU: drives the real studio in
// headless Chromium (WebGPU on whatever adapter it finds; SwiftShader here), trains each run from
// the form as a user would, takes a sample mid-run, presses "Download recording" and writes the
// file and the index to public/recordings/. The fine-tune recording trains its tiny base first
// (as a user would), then fine-tunes it with Adam and LoRA-RITE side by side, samples each, runs
// the invariance demo and presses "Download fine-tune recording".
//   node scripts/record-runs.mjs            (all runs)
//   node scripts/record-runs.mjs tiny-lfr   (one, by file name without .json)
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, expect } from '@playwright/test';
import { build, preview } from 'vite';
import { chromiumArgs, chromiumPath } from '../e2e/chromium-flags.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const recordingsDir = resolve(root, 'public/recordings');
// A run on SwiftShader takes a minute or two; allow for loaded cores.
const RUN_TIMEOUT = 15 * 60_000;

/** The shipped runs: small on purpose, so the files stay small and a class can watch them whole. */
const RUNS = [
  {
    file: 'tiny.json',
    title: 'tiny: 40 steps of random batches',
    description:
      'The tiny preset (2 layers, width 64, bytes) for 40 steps with random batches of 8, validation every 10 steps, a sample at step 20 and one at the end.',
    fields: { maxSteps: '40', evalInterval: '10', evalBatches: '2', warmupSteps: '4' },
    lfr: undefined,
    sampleAt: 20,
  },
  {
    file: 'tiny-lfr.json',
    title: 'tiny LFR: 32 blocks, Learn, Focus, Review',
    description:
      'The tiny preset with the LFR schedule on 32 blocks in batches of 4: Learn, Focus on the hardest half, Review, then Focus again twice; 28 steps, every block text included.',
    fields: { batchSize: '4', evalInterval: '7', evalBatches: '2', warmupSteps: '2' },
    lfr: { blocks: '32', s1: '50', s2: '50', reps: '2' },
    sampleAt: 14,
  },
  {
    file: 'tiny-finetune.json',
    title: 'LoRA fine-tune: Adam and LoRA-RITE side by side, invariance demo',
    description:
      'A tiny base (40 steps of random batches) fine-tuned with rank-4 LoRA on the held-out text for 24 steps of batch 4, Adam at 1e-3 and LoRA-RITE at its own 3e-2, 3 warmup steps then cosine decay; a sample of each, then the invariance demo with S = 10 I for 5 steps.',
    fields: { maxSteps: '40', evalInterval: '0', warmupSteps: '4' },
    finetune: {
      fields: {
        rank: '4',
        alpha: '8',
        steps: '24',
        batchSize: '4',
        warmup: '3',
        lr: '1e-3',
        riteLr: '3e-2',
        demoSteps: '5',
      },
      decay: 'cosine',
    },
  },
];

async function takeSample(page) {
  const before = await page
    .getByTestId('sample-text')
    .textContent()
    .catch(() => null);
  await page.getByTestId('sample-prompt').fill('The ');
  await expect(page.getByTestId('sample-button')).toBeEnabled({ timeout: RUN_TIMEOUT });
  await page.getByTestId('sample-button').click();
  await expect(page.getByTestId('sample-text')).not.toHaveText(before ?? '', { timeout: 120_000 });
}

// The base's pretraining is not recorded: the fine-tune view is.
async function fineTune(page, run) {
  await expect(page.getByTestId('training-panel')).toHaveAttribute('data-phase', 'done', {
    timeout: RUN_TIMEOUT,
  });
  await page.getByTestId('finetune-open').click();
  await expect(page.getByTestId('finetune-base')).toContainText('at step');
  await page.getByTestId('finetune-decay').selectOption(run.finetune.decay);
  await page.getByTestId('finetune-separateRates').check();
  for (const [key, value] of Object.entries(run.finetune.fields)) {
    await page.getByTestId(`finetune-${key}`).fill(value);
  }
  await expect(page.getByTestId('finetune-errors')).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('finetune-start')).toBeEnabled();
  await page.getByTestId('finetune-start').click();
  await expect(page.getByTestId('finetune-status')).toHaveAttribute('data-phase', 'done', {
    timeout: RUN_TIMEOUT,
  });
  await page.getByTestId('finetune-prompt').fill('The ');
  for (const kind of ['adam', 'rite']) {
    const before = await page
      .getByTestId('finetune-sample-text')
      .textContent()
      .catch(() => null);
    await page.getByTestId(`finetune-sample-${kind}`).click();
    await expect(page.getByTestId('finetune-sample-output')).toContainText(
      kind === 'adam' ? 'Adam:' : 'LoRA-RITE:',
      { timeout: 120_000 },
    );
    await expect(page.getByTestId('finetune-sample-text')).not.toHaveText(before ?? '', {
      timeout: 120_000,
    });
  }
  await page.getByTestId('invariance-button').click();
  await expect(page.getByTestId('invariance-demo')).toHaveAttribute('data-status', 'done', {
    timeout: RUN_TIMEOUT,
  });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-finetune-recording').click(),
  ]);
  return download;
}

// A pretraining run: a sample mid-run and one at the end, then its recording.
async function pretrain(page, run) {
  const steps = page.getByTestId('run-steps');
  await expect
    .poll(async () => Number(await steps.getAttribute('data-step')), { timeout: RUN_TIMEOUT })
    .toBeGreaterThanOrEqual(run.sampleAt);
  await takeSample(page);
  await expect(page.getByTestId('training-panel')).toHaveAttribute('data-phase', 'done', {
    timeout: RUN_TIMEOUT,
  });
  await takeSample(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-recording').click(),
  ]);
  return download;
}

async function record(browser, baseUrl, run) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`${run.file}: page error: ${e.message}`));
  await page.goto(baseUrl);
  await expect(page.getByTestId('adapter-vendor')).toBeVisible({ timeout: 120_000 });
  await page.getByTestId('preset-tiny').getByRole('radio').check();
  for (const [key, value] of Object.entries(run.fields)) {
    await page.getByTestId(`setting-${key}`).fill(value);
  }
  if (run.lfr) {
    await page.getByTestId('setting-schedule').selectOption('lfr');
    for (const [key, value] of Object.entries(run.lfr)) {
      await page.getByTestId(`setting-lfr-${key}`).fill(value);
    }
  }
  await expect(page.getByTestId('settings-errors')).toHaveCount(0);
  const started = Date.now();
  await page.getByTestId('train-button').click();
  const download = run.finetune ? await fineTune(page, run) : await pretrain(page, run);
  const path = await download.path();
  const text = (await readFile(path, 'utf8')).replace(
    /"title": "[^"]*"/,
    `"title": ${JSON.stringify(run.title)}`,
  );
  await writeFile(resolve(recordingsDir, run.file), text);
  const adapter = JSON.parse(text).adapter;
  console.log(
    `${run.file}: ${(text.length / 1024).toFixed(0)} KiB, ${((Date.now() - started) / 1000).toFixed(0)} s, on ${adapter.vendor} / ${adapter.architecture}`,
  );
  await page.close();
}

const only = process.argv[2];
const chosen = RUNS.filter((r) => !only || r.file === `${only}.json`);
if (chosen.length === 0) {
  console.error(
    `usage: node scripts/record-runs.mjs [${RUNS.map((r) => r.file.slice(0, -5)).join('|')}]`,
  );
  process.exit(2);
}

// The production build, as users get it (and as the e2e tests run it), in a scratch folder.
const outDir = await mkdtemp(resolve(tmpdir(), 'studio-record-'));
await build({ root, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
const server = await preview({
  root,
  logLevel: 'warn',
  build: { outDir },
  preview: { host: '127.0.0.1', port: 0, strictPort: false },
});
const address = server.httpServer?.address();
const port = typeof address === 'object' && address ? address.port : 0;
const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
let exitCode = 0;
try {
  for (const run of chosen) await record(browser, `http://127.0.0.1:${port}/`, run);
  const index = {
    recordings: RUNS.map(({ file, title, description }) => ({ file, title, description })),
  };
  await writeFile(resolve(recordingsDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  exitCode = 1;
} finally {
  await browser.close();
  await server.close();
  await rm(outDir, { recursive: true, force: true });
}
process.exit(exitCode);
