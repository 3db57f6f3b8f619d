// The step profile alone (npm run bench:profile): where one training step of the tiny and the
// small preset spends its time, kernel by kernel, without the TF.js twin's long runs.
import { Blocks } from '../data/blocks';
import { acquireGpu } from '../gpu/device';
import { PRESETS } from '../model/config';
import { initParams } from '../model/init';
import { buildParamTable } from '../model/params';
import { emit, runBench } from './report';
import { profileStep, trainStream } from './stepProfile';

async function main(): Promise<void> {
  const ctx = await acquireGpu();
  const { vendor, architecture } = ctx.adapter;
  emit({ bench: 'adapter', vendor, architecture });
  for (const preset of PRESETS.filter((p) => p.id === 'tiny' || p.id === 'small')) {
    const { model, train } = preset;
    const init = initParams(model, buildParamTable(model), train.seed);
    await profileStep(ctx, preset, init, new Blocks(await trainStream(preset), model.blockSize));
  }
}

runBench(main);
