import { expect, test } from '@playwright/test';
import { TrainingPage } from './pages/TrainingPage';

// Three short documents separated by blank lines: 19 + 19 + 20 bytes plus one eos each.
const GOOD_TEXT = 'the first document.\n\nthe second document\n\nand a third document';
// 20 documents of 41 bytes and an eos each: 756 training tokens, enough for one batch of the tiny preset
// (8 blocks of 64 + 1), but its two val documents are not.
const STORY = Array.from(
  { length: 20 },
  (_, i) => `story ${String(i).padStart(2, '0')}: ${'a'.repeat(30)}.`,
).join('\n\n');

test('a refused file says why and keeps the text loaded before; the text survives a reload', async ({
  page,
}) => {
  const training = new TrainingPage(page);
  await training.open();
  const section = page.getByTestId('data-section');
  const input = page.getByTestId('user-text-input');
  const error = page.getByTestId('user-text-error');
  const summary = page.getByTestId('user-text-summary');
  await expect(section).toHaveAttribute('data-choice', 'openwebtext');
  await page.getByTestId('data-choice-user').getByRole('radio').check();

  await input.setInputFiles({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from(GOOD_TEXT),
  });
  await expect(summary).toHaveAttribute('data-file', 'notes.txt');
  const train = Number(await summary.getAttribute('data-train-tokens'));
  const val = Number(await summary.getAttribute('data-val-tokens'));
  // The tiny preset's byte tokenizer: one token per byte and one eos per document.
  expect(train + val).toBe(19 + 19 + 20 + 3);
  await expect(error).toHaveCount(0);
  // Too few tokens for one batch: the settings check says so when Train is pressed.
  await training.train();
  await expect(training.settingsErrors).toContainText(
    `The training data has ${train} tokens, fewer than one batch of 8 blocks of 65.`,
  );

  // setInputFiles does not wait for the input to be enabled; the refused start unlocks it.
  await expect(input).toBeEnabled();
  await input.setInputFiles({
    name: 'photo.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]),
  });
  await expect(error).toHaveAttribute('role', 'alert');
  await expect(error).toContainText('photo.txt looks like a binary file (a NUL byte at byte 8)');
  await expect(error).toContainText('notes.txt is still loaded');
  await expect(summary).toHaveAttribute('data-file', 'notes.txt');
  await expect(section).toHaveAttribute('data-choice', 'user');

  await input.setInputFiles({
    name: 'rows.jsonl',
    mimeType: 'application/jsonl',
    buffer: Buffer.from('{"text": "one"}\n{"text": \n'),
  });
  await expect(error).toContainText('rows.jsonl line 2 is not valid JSON');
  await expect(summary).toHaveAttribute('data-file', 'notes.txt');

  await input.setInputFiles({
    name: 'story.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from(STORY),
  });
  await expect(summary).toHaveAttribute('data-file', 'story.txt');
  await expect(error).toHaveCount(0);
  await expect(training.settingsErrors).toHaveCount(0);
  await training.train();
  await expect(page.getByTestId('start-error')).toContainText(
    'The validation split of story.txt has 84 tokens, fewer than the 513 one batch of 8 blocks of block_size 64 needs',
  );
  // Without validation the run trains on the text.
  await training.setField('evalInterval', '0');
  await training.setField('maxSteps', '2');
  await training.train();
  await training.waitForPhase('done', 5 * 60_000);
  await expect(training.dataSummary).toContainText(
    'Data: story.txt, 756 training and 84 validation tokens',
  );

  await page.reload();
  await expect(section).toHaveAttribute('data-choice', 'user');
  await expect(summary).toHaveAttribute('data-file', 'story.txt');
  await expect(summary).toHaveAttribute('data-train-tokens', '756');
});
