import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { TrainingPage } from './pages/TrainingPage';

// 5 steps of the tiny preset on SwiftShader: well under a minute even on loaded cores.
const RUN_TIMEOUT = 5 * 60_000;

/** axe-core's WCAG 2.1 A and AA rules; the violations a user with a screen reader or low vision would hit. */
async function seriousViolations(page: Page) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ rule: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

test('the main screen has no serious accessibility violations, before and after a short run', async ({
  page,
}) => {
  const training = new TrainingPage(page);
  await training.open();
  await expect(page.getByTestId('adapter-vendor')).toBeVisible();
  await expect(training.trainButton).toBeEnabled();
  expect(await seriousViolations(page)).toEqual([]);

  // With a help panel open (KaTeX's HTML and MathML inside).
  await page.getByTestId('help-learningRate').click();
  await expect(page.locator('[data-testid="help-panel-learningRate"] .katex')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  await training.setField('maxSteps', '5');
  await training.setField('evalInterval', '5');
  await training.train();
  await training.waitForPhase('done', RUN_TIMEOUT);
  await expect(training.lossReadout).toHaveAttribute('data-steps', '5');
  expect(await seriousViolations(page)).toEqual([]);
});

test('every control is reachable with Tab and shows where the focus is', async ({ page }) => {
  const training = new TrainingPage(page);
  await training.open();
  await expect(training.trainButton).toBeEnabled();
  // What a keyboard user must reach: each enabled control once (a radio group is one stop).
  const expected = await page.evaluate(() => {
    const controls = [
      ...document.querySelectorAll<HTMLElement>('button, input, select, textarea, summary'),
    ];
    return controls
      .filter((el) => !(el as HTMLInputElement).disabled && el.offsetParent !== null)
      .filter((el) => !(el instanceof HTMLInputElement && el.type === 'radio' && !el.checked))
      .map((el) => el.dataset.testid || el.id || el.outerHTML.slice(0, 60));
  });
  const reached: string[] = [];
  const unmarked: string[] = [];
  for (let i = 0; i < expected.length + 5; i++) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const ring = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2;
      return { id: el.dataset.testid || el.id || el.outerHTML.slice(0, 60), ring };
    });
    if (!focus) continue;
    reached.push(focus.id);
    if (!focus.ring) unmarked.push(focus.id);
  }
  expect(expected.filter((id) => !reached.includes(id))).toEqual([]);
  expect(unmarked).toEqual([]);
});
