import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';

// The chapters as the menu lists them.
const CHAPTERS = ['step', 'lfr', 'heatmap', 'forgetting', 'lora'];

// The chapters' views that need a run get it from the shipped recordings, played at once: the
// tour is checked against the real studio without minutes of SwiftShader training.
async function fillFromRecording(page: Page): Promise<void> {
  await page.getByTestId('tour-watch').click();
  await page.getByTestId('replay-speed').selectOption('instant');
  await expect(page.getByTestId('replay-banner')).toHaveAttribute('data-status', 'done');
}

/** The step shown points at an element that exists, is marked and visible; none when it explains only. */
async function expectTarget(page: Page): Promise<void> {
  const tour = page.getByTestId('tour');
  const selector = await tour.getAttribute('data-target');
  if (!selector) {
    await expect(page.locator('.tour-target')).toHaveCount(0);
    return;
  }
  if ((await page.getByTestId('tour-need').count()) > 0) await fillFromRecording(page);
  await expect(tour).toHaveAttribute('data-target-found', 'true');
  const target = page.locator('.tour-target');
  await expect(target).toHaveCount(1);
  await expect(target).toBeVisible();
  expect(await target.evaluate((el, s) => el.matches(s), selector)).toBe(true);
}

test('each chapter walks forward and back over real, visible parts of the studio', async ({
  page,
}) => {
  const pageErrors: Error[] = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  await page.goto('/');
  await expect(page.getByTestId('adapter-vendor')).toBeVisible();
  const tour = page.getByTestId('tour');
  await expect(page.getByTestId('tour-menu').getByRole('button')).toHaveCount(CHAPTERS.length);
  for (const chapter of CHAPTERS) {
    const opener = page.getByTestId(`tour-chapter-${chapter}`);
    await opener.click();
    await expect(tour).toHaveAttribute('data-chapter', chapter);
    const title = (await page.locator('#tour-title').textContent()) ?? '';
    await expect(page.getByRole('dialog', { name: title })).toBeVisible();
    // The focus moves into the dialog, to the step's title.
    await expect(page.locator('#tour-title')).toBeFocused();
    const steps = Number(await tour.getAttribute('data-steps'));
    expect(steps).toBeGreaterThanOrEqual(2);
    const titles = new Set<string>();
    for (let i = 0; i < steps; i++) {
      await expect(tour).toHaveAttribute('data-step', String(i));
      titles.add((await page.locator('#tour-title').textContent()) ?? '');
      await expectTarget(page);
      if (i + 1 < steps) await page.getByTestId('tour-next').click();
    }
    expect(titles.size).toBe(steps);
    await page.getByTestId('tour-back').click();
    await expect(tour).toHaveAttribute('data-step', String(steps - 2));
    // Escape leaves at any point, and the focus goes back to where the tour was opened.
    await page.keyboard.press('Escape');
    await expect(tour).toHaveCount(0);
    await expect(page.locator('.tour-target')).toHaveCount(0);
    await expect(opener).toBeFocused();
  }
  expect(pageErrors).toEqual([]);
});

test('a link opens a chapter directly; the close button leaves it; a bad chapter is named', async ({
  page,
}) => {
  await page.goto('/?tour=heatmap');
  const tour = page.getByTestId('tour');
  await expect(tour).toHaveAttribute('data-chapter', 'heatmap');
  await expect(tour).toHaveAttribute('data-step', '0');
  // The link's tour key is not a setting: no message about it.
  await expect(page.getByTestId('url-messages')).toHaveCount(0);
  await page.getByTestId('tour-close').click();
  await expect(tour).toHaveCount(0);

  await page.goto('/?tour=backprop&lr=0.001');
  await expect(page.getByTestId('url-messages')).toContainText(
    'Link setting tour=backprop ignored: tour takes step, lfr, heatmap, forgetting or lora.',
  );
  await expect(page.getByTestId('tour')).toHaveCount(0);
  await expect(page.getByTestId('setting-learningRate')).toHaveValue('0.001');
});

test('the tour is keyboard operable: Next and Back by Enter, the last step of the last chapter finishes', async ({
  page,
}) => {
  await page.goto('/?tour=lora');
  const tour = page.getByTestId('tour');
  await expect(tour).toHaveAttribute('data-chapter', 'lora');
  const steps = Number(await tour.getAttribute('data-steps'));
  for (let i = 1; i < steps; i++) {
    await page.getByTestId('tour-next').focus();
    await page.keyboard.press('Enter');
    await expect(tour).toHaveAttribute('data-step', String(i));
  }
  // The chapter explains with typeset formulas; the open dialog passes axe-core's WCAG 2.1 AA rules.
  await expect(tour.locator('.katex').first()).toBeVisible();
  const axe = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => ({ rule: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) })),
  ).toEqual([]);
  await page.getByTestId('tour-next').focus();
  await expect(page.getByTestId('tour-next')).toHaveText('Finish');
  await page.keyboard.press('Enter');
  await expect(tour).toHaveCount(0);
});
