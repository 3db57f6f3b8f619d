// "Export for PyTorch" of a saved run, on the page's thread: the checkpoint is read from the
// browser's run storage, its data fetched (the shipped slice) or read (your text, as kept in this
// browser), and the folder python/continue_run.py continues is downloaded as one zip. The worker
// is not involved, so a run in progress keeps training meanwhile.

import { decodeCheckpoint } from '../../checkpoint/format';
import { CheckpointStore } from '../../checkpoint/store';
import { fetchBytes, type Manifest, OPENWEBTEXT_PATH, tokenStream } from '../../data/dataset';
import { loadTokenizer } from '../../data/tokenizer';
import { loadUserText } from '../../data/userTextStore';
import { type PytorchRunData, pytorchRunFiles, shippedRunData } from '../../export/pytorchRun';
import { zipFiles } from '../../export/pytorchRunZip';
import type { SavedRun } from '../../worker/protocol';
import { downloadBytes } from './download';

async function runData(
  data: { choice: 'openwebtext' | 'user'; name: string },
  tokenizerName: 'byte' | 'gpt2',
): Promise<PytorchRunData> {
  const tokenizer = await loadTokenizer(tokenizerName);
  if (data.choice === 'openwebtext') {
    const base = `${import.meta.env.BASE_URL}${OPENWEBTEXT_PATH}`;
    const manifest = JSON.parse(
      new TextDecoder().decode(await fetchBytes(`${base}manifest.json`, 'manifest.json')),
    ) as Manifest;
    return shippedRunData(manifest, (file) => fetchBytes(`${base}${file}`, file), tokenizer);
  }
  const stored = await loadUserText();
  if (!stored || stored.fileName !== data.name || stored.tokenizer !== tokenizerName) {
    throw new Error(
      `This run trained on your text ${data.name}, which is not loaded now: load it again under "Your text" (with this run's tokenizer), then export.`,
    );
  }
  return { train: tokenStream('train', stored.train, tokenizer), tokenizer, shipped: null };
}

/** Downloads `<run name>-step-<N>.zip`: the saved run as a folder for python/continue_run.py. */
export async function exportRunForPytorch(run: SavedRun): Promise<string> {
  const store = await CheckpointStore.open();
  const parts = decodeCheckpoint(await store.load(run.id));
  const files = await pytorchRunFiles(
    parts,
    await runData(parts.settings.data, parts.settings.tokenizer),
  );
  const folder = `${run.name.replace(/[^\w.-]+/g, '-')}-step-${parts.step}`;
  downloadBytes(`${folder}.zip`, zipFiles(folder, files), 'application/zip');
  return `${folder}.zip`;
}
