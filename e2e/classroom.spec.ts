import { expect, test } from '@playwright/test';
import { TrainingPage } from './pages/TrainingPage';

test('a classroom link opens the exercise: its settings applied, a section hidden, a field fixed', async ({
  page,
}) => {
  const training = new TrainingPage(page);
  await page.goto('/?preset=tiny&steps=5&hide=model&lock=lr');
  await expect(training.panel).toBeVisible();

  await expect(page.getByTestId('settings-training')).toBeVisible();
  await expect(page.getByTestId('settings-model')).toHaveCount(0);
  await expect(page.getByTestId('setting-nLayer')).toHaveCount(0);
  await expect(page.getByTestId('setting-tokenizer')).toHaveCount(0);

  const lr = page.getByTestId('setting-learningRate');
  await expect(lr).toBeDisabled();
  await expect(lr).toHaveValue('0.003');
  await expect(
    page.getByRole('textbox', { name: 'learning rate', exact: true }),
  ).toHaveAccessibleDescription(/Fixed by your link/);
  await expect(page.getByTestId('setting-maxSteps')).toHaveValue('5');
  await expect(page.getByTestId('setting-maxSteps')).toBeEnabled();
  await expect(page.getByTestId('classroom-note')).toHaveText(
    'Set by your link: hidden model; fixed lr.',
  );
  await expect(page.getByTestId('url-messages')).toHaveCount(0);

  // Another preset changes what the student may change, not what the link fixed.
  await training.choosePreset('small');
  await expect(lr).toHaveValue('0.003');
  await expect(page.getByTestId('setting-maxSteps')).toHaveValue('1000');
  const state = await page.evaluate(() => {
    const s = window.studio.store.getState();
    return { tokenizer: s.tokenizer, nLayer: s.form.nLayer };
  });
  expect(state).toEqual({ tokenizer: 'byte', nLayer: '2' });
});

test('a bad value in the link is named with what is allowed, and the rest still applies', async ({
  page,
}) => {
  await page.goto('/?preset=tiny&lr=abc&steps=5&hide=model,charts');
  const messages = page.getByTestId('url-messages');
  await expect(messages).toBeVisible();
  await expect(messages).toHaveAttribute('role', 'alert');
  await expect(messages.getByRole('listitem')).toHaveText([
    'Link setting lr=abc ignored: lr takes a number above 0 and at most 1.',
    /^Link setting hide=charts ignored: "charts" is not something the studio can hide\./,
  ]);
  await expect(page.getByTestId('setting-learningRate')).toHaveValue('0.003');
  await expect(page.getByTestId('setting-maxSteps')).toHaveValue('5');
  await expect(page.getByTestId('settings-model')).toHaveCount(0);
});

test('changing a setting updates the link, and the link reproduces the settings', async ({
  page,
  context,
}) => {
  const training = new TrainingPage(page);
  await training.open();
  const entries = await page.evaluate(() => history.length);
  await training.setField('seed', '42');
  await training.setField('learningRate', '0.001');
  await expect(page).toHaveURL(/\/\?preset=tiny&lr=0\.001&seed=42$/);
  // No history entry per edit: Back leaves the studio rather than undoing a keystroke.
  expect(await page.evaluate(() => history.length)).toBe(entries);

  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByTestId('copy-link').click();
  await expect(page.getByTestId('copy-link-status')).toHaveText(
    /^Copied: http:\/\/127\.0\.0\.1:\d+\/\?preset=tiny&lr=0\.001&seed=42$/,
  );
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toMatch(/\?preset=tiny&lr=0\.001&seed=42$/);

  await page.reload();
  await expect(page.getByTestId('setting-seed')).toHaveValue('42');
  await expect(page.getByTestId('setting-learningRate')).toHaveValue('0.001');
  await expect(page.getByTestId('classroom-note')).toHaveCount(0);
});

test('each help button is a keyboard disclosure with the formula typeset', async ({ page }) => {
  const training = new TrainingPage(page);
  await training.open();
  const button = page.getByTestId('help-learningRate');
  const panel = page.getByTestId('help-panel-learningRate');
  await expect(button).toHaveAccessibleName('About learning rate');
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  await expect(panel).toBeHidden();
  expect(await button.getAttribute('aria-controls')).toBe(await panel.getAttribute('id'));

  await button.focus();
  await page.keyboard.press('Enter');
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  await expect(panel).toBeVisible();
  await expect(panel).toContainText('Too big');
  await expect(panel.locator('.katex-display math')).toHaveCount(1);

  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await expect(button).toBeFocused();
  await page.keyboard.press('Space');
  await expect(panel).toBeVisible();
  await button.click();
  await expect(panel).toBeHidden();

  // One beside every field of the form.
  const form = page.locator('[data-testid="settings-model"], [data-testid="settings-training"]');
  const fields = await form.locator('input, select').count();
  expect(fields).toBe(18);
  await expect(form.locator('.help-button')).toHaveCount(fields);
});

test('a link fixes an LFR and a LoRA exercise: its values applied, both sections locked, a control hidden', async ({
  page,
}) => {
  await page.goto(
    '/?preset=tiny&schedule=lfr&lfr_s1=25&lora_lr=0.02&lora_optimizer=adam&lock=lfr,lora&hide=lora_s_seed',
  );
  await expect(page.getByTestId('url-messages')).toHaveCount(0);
  const schedule = page.getByTestId('setting-schedule');
  await expect(schedule).toHaveValue('lfr');
  await expect(schedule).toBeDisabled();
  const s1 = page.getByTestId('setting-lfr-s1');
  await expect(s1).toHaveValue('25');
  await expect(s1).toBeDisabled();
  await expect(s1).toHaveAccessibleDescription(/Fixed by your link/);
  await expect(page.getByTestId('setting-lfr-p1')).toBeDisabled();
  // Other sections stay the student's.
  await expect(page.getByTestId('setting-learningRate')).toBeEnabled();

  await page.getByTestId('finetune-open').click();
  const lr = page.getByTestId('finetune-lr');
  await expect(lr).toHaveValue('0.02');
  await expect(lr).toBeDisabled();
  await expect(lr).toHaveAccessibleDescription(/Fixed by your link/);
  await expect(page.getByTestId('finetune-optimizer')).toHaveValue('adam');
  await expect(page.getByTestId('finetune-optimizer')).toBeDisabled();
  await expect(page.getByTestId('finetune-target-mlp.c_fc')).toBeDisabled();
  await expect(page.getByTestId('finetune-matrix')).toBeDisabled();
  await expect(page.getByTestId('finetune-matrixSeed')).toHaveCount(0);
  await expect(page.getByTestId('finetune-demoSteps')).toBeDisabled();
});

test('"Share as exercise" builds a link that reproduces the view: values, locks and hidden parts', async ({
  page,
  context,
}) => {
  const training = new TrainingPage(page);
  await training.open();
  await training.setField('learningRate', '0.001');
  await page.getByTestId('setting-schedule').selectOption('lfr');

  const open = page.getByTestId('share-exercise-open');
  await open.click();
  const builder = page.getByRole('region', { name: 'Share as exercise' });
  await expect(builder).toBeVisible();
  await expect(open).toHaveAttribute('aria-expanded', 'true');
  await builder.getByLabel('lr', { exact: true }).first().selectOption('lock');
  await builder.getByTestId('share-lfr-lfr_s1').selectOption('hide');
  await builder.getByLabel('whole lora section').selectOption('lock');
  // Panels can be hidden, not locked.
  await expect(builder.getByTestId('share-panel-sampling').locator('option')).toHaveText([
    'show',
    'hide',
  ]);
  await builder.getByTestId('share-panel-sampling').selectOption('hide');
  const field = page.getByTestId('share-exercise-link');
  await expect(field).toHaveAttribute('readonly', '');
  await expect(field).toHaveValue(
    /\?preset=tiny&lr=0\.001&schedule=lfr&hide=lfr_s1,sampling&lock=lr,lora$/,
  );
  const link = await field.inputValue();

  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByTestId('share-exercise-copy').click();
  await expect(page.getByTestId('share-exercise-status')).toHaveText('Copied.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);

  // Escape closes the panel and gives the focus back to its button.
  await field.focus();
  await page.keyboard.press('Escape');
  await expect(builder).toHaveCount(0);
  await expect(open).toBeFocused();

  const student = await context.newPage();
  await student.goto(link);
  await expect(student.getByTestId('training-panel')).toBeVisible();
  const lr = student.getByTestId('setting-learningRate');
  await expect(lr).toHaveValue('0.001');
  await expect(lr).toBeDisabled();
  await expect(student.getByTestId('setting-schedule')).toHaveValue('lfr');
  await expect(student.getByTestId('setting-schedule')).toBeEnabled();
  await expect(student.getByTestId('setting-lfr-s1')).toHaveCount(0);
  await expect(student.getByTestId('setting-lfr-p1')).toBeEnabled();
  await expect(student.getByTestId('sample-panel')).toHaveCount(0);
  await student.getByTestId('finetune-open').click();
  await expect(student.getByTestId('finetune-lr')).toBeDisabled();
  await expect(student.getByTestId('finetune-rank')).toBeDisabled();
  await expect(student.getByTestId('url-messages')).toHaveCount(0);
});
