import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './chromium';
import { LfrPage } from './pages/LfrPage';

// A browser without WebGPU, as in no-webgpu.spec.ts: the classroom case the replay is for.
test.use({
  launchOptions: {
    executablePath: chromiumPath,
    args: chromiumArgs.filter((a) => a !== '--enable-unsafe-webgpu'),
  },
});

interface ShippedRecording {
  events: { progress?: { step: number; points: unknown[] }; sample?: { text: string } }[];
  blockTexts: { id: number; text: string }[];
  schedule: string;
}

const recording = JSON.parse(
  readFileSync(new URL('../public/recordings/tiny-lfr.json', import.meta.url), 'utf8'),
) as ShippedRecording;
const progress = recording.events.flatMap((e) => (e.progress ? [e.progress] : []));
const steps = progress.reduce((n, p) => n + p.points.length, 0);
const lastSample = recording.events.filter((e) => e.sample).at(-1)?.sample?.text;

async function seriousViolations(page: Page) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ rule: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

async function watch(page: Page, file: string) {
  await page.goto('/');
  await expect(page.getByTestId('gpu-error')).toBeVisible();
  const picker = page.getByTestId('replay-picker');
  await expect(picker).toBeVisible();
  await picker.getByTestId('replay-choice').selectOption(file);
  await picker.getByTestId('replay-start-speed').selectOption('instant');
  await picker.getByTestId('replay-watch').click();
}

test('without WebGPU, the shipped LFR recording replays into every view, labelled as a recording', async ({
  page,
}) => {
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  const lfr = new LfrPage(page);
  await watch(page, 'tiny-lfr.json');

  const banner = page.getByTestId('replay-banner');
  await expect(banner).toBeVisible();
  await expect(page.getByTestId('recording-label')).toHaveText('Recording — not live training');
  await expect(banner).toContainText('google / swiftshader');
  await expect(banner).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('recording-badge')).toHaveText('Recording');
  // No training control while a recording is shown.
  await expect(page.getByTestId('train-button')).toHaveCount(0);
  await expect(page.getByTestId('stop-button')).toHaveCount(0);

  // The charts: every recorded step's loss, as a live run draws them.
  expect(steps).toBeGreaterThan(10);
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', String(steps));
  await expect(page.getByTestId('loss-readout')).toHaveAttribute('data-steps', String(steps));
  await expect(page.getByTestId('loss-chart').locator('.recharts-line path').first()).toBeVisible();
  await expect(page.getByTestId('training-panel')).toHaveAttribute('data-phase', 'done');

  // The LFR views: every phase done, both cuts made, half the blocks dropped in the heatmap.
  await expect(lfr.run).toHaveAttribute('data-steps', String(steps));
  await expect(lfr.run).toHaveAttribute('data-cuts', '2');
  await expect(lfr.phase('focusAgain')).toHaveAttribute('data-state', 'done');
  await expect(lfr.heatmapCanvas).toBeVisible();
  await expect(lfr.heatmapCanvas).toHaveAttribute('data-dropped-rows', '16');
  await expect(page.getByTestId('lfr-forgetting')).toBeVisible();

  // A block click shows its recorded text and its score history.
  await lfr.openBlock(0);
  const id = Number(await lfr.blockDetails.getAttribute('data-id'));
  const text = recording.blockTexts.find((b) => b.id === id)?.text;
  expect(text).toBeTruthy();
  await expect(page.getByTestId('lfr-block-text')).toHaveText(text!);
  expect(Number(await lfr.blockDetails.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);

  // The samples taken during the run, and the run's own schedule file.
  await expect(page.getByTestId('sample-text')).toHaveText(lastSample!);
  expect(await lfr.download('lfr', 'schedule')).toBe(recording.schedule);

  expect(await seriousViolations(page)).toEqual([]);

  // Back to the studio: the recording's views go and the banner with them.
  await page.getByTestId('replay-leave').click();
  await expect(banner).toHaveCount(0);
  await expect(page.getByTestId('loss-readout')).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});

interface ShippedFinetune {
  events: {
    progress?: { points: { kind: 'adam' | 'rite' }[] };
    invariance?: { kind: string };
    sample?: { kind: string; text: string };
  }[];
}

const finetuneRecording = JSON.parse(
  readFileSync(new URL('../public/recordings/tiny-finetune.json', import.meta.url), 'utf8'),
) as ShippedFinetune;
const finetunePoints = (kind: 'adam' | 'rite') =>
  finetuneRecording.events.reduce(
    (n, e) => n + (e.progress?.points.filter((p) => p.kind === kind).length ?? 0),
    0,
  );

test('without WebGPU, the shipped fine-tune recording replays both loss curves, the schedule, the samples and the invariance series', async ({
  page,
}) => {
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  await watch(page, 'tiny-finetune.json');
  const banner = page.getByTestId('replay-banner');
  await expect(banner).toHaveAttribute('data-status', 'done');
  await expect(banner).toContainText('LoRA fine-tune');
  await expect(page.getByTestId('train-button')).toHaveCount(0);

  const panel = page.getByTestId('finetune-panel');
  await expect(panel).toHaveAttribute('data-replay', 'true');
  await expect(panel.getByTestId('finetune-start')).toHaveCount(0);
  await expect(panel.getByTestId('finetune-base')).toContainText('a training run at step 40');
  await expect(panel.getByTestId('finetune-status')).toHaveAttribute('data-phase', 'done');

  // Both curves, every recorded step, with each optimizer's peak rate on the legend.
  const chart = panel.getByTestId('finetune-loss-chart');
  expect(finetunePoints('adam')).toBe(24);
  await expect(chart).toHaveAttribute('data-adam-points', String(finetunePoints('adam')));
  await expect(chart).toHaveAttribute('data-rite-points', String(finetunePoints('rite')));
  await expect(chart.locator('path.recharts-line-curve')).toHaveCount(2);
  await expect(panel.getByTestId('finetune-legend-rite')).toHaveText(/LoRA-RITE \(peak lr 0\.03\)/);
  await expect(panel.getByTestId('finetune-schedule')).toHaveText(
    'Learning rate: peak Adam 1e-3, LoRA-RITE 3e-2; linear warmup over 3 steps, then cosine decay to step 24.',
  );

  // The invariance demo's series, both optimizers, every recorded step.
  const demoSteps = finetuneRecording.events.filter((e) => e.invariance).length;
  expect(demoSteps).toBe(10);
  const demo = panel.getByTestId('invariance-chart');
  await expect(demo).toHaveAttribute('data-points', String(demoSteps));
  await expect(demo.locator('path.recharts-line-curve')).toHaveCount(2);
  await expect(panel.getByTestId('invariance-explain')).toContainText('Largest difference here');

  const lastSample = finetuneRecording.events.filter((e) => e.sample).at(-1)?.sample;
  await expect(panel.getByTestId('finetune-sample-text')).toHaveText(lastSample!.text);

  expect(await seriousViolations(page)).toEqual([]);

  // Back to the studio: the live fine-tune view, folded and empty.
  await page.getByTestId('replay-leave').click();
  await expect(banner).toHaveCount(0);
  await expect(page.getByTestId('finetune-panel')).not.toHaveAttribute('data-replay', 'true');
  await expect(page.getByTestId('finetune-open')).toBeVisible();
  expect(pageErrors).toEqual([]);
});

test('a file that is not a recording is refused with a message, and the page stays as it was', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.getByTestId('replay-picker')).toBeVisible();
  await page.getByTestId('replay-file').setInputFiles({
    name: 'losses.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"steps": []}'),
  });
  await expect(page.getByTestId('replay-error')).toHaveText(
    'losses.json: This file is not a studio recording (its "format" is undefined, not "webgpu-training-studio/recording"): open a file made by "Download recording".',
  );
  await expect(page.getByTestId('replay-banner')).toHaveCount(0);
});
