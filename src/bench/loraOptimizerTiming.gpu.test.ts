import { afterAll, beforeAll, expect, it } from 'vitest';
import { acquireGpu, type GpuContext } from '../gpu/device';
import { presetById } from '../model/config';
import { loraLayerShapes, timeLoraDispatches, timeLoraOptimizers } from './loraOptimizerTiming';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await acquireGpu();
});
afterAll(() => ctx?.device.destroy());

it('times Adam and RITE on the tiny preset layers: a positive time for each, no GPU error', async () => {
  const times = await timeLoraOptimizers(ctx, loraLayerShapes(presetById('tiny').model), 4, 1);
  expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
  expect(times.adam).toBeGreaterThan(0);
  expect(times.rite).toBeGreaterThan(0);
});

it("times each of RITE's dispatches alone: the split and the side step, a positive time each", async () => {
  const times = await timeLoraDispatches(
    ctx,
    loraLayerShapes(presetById('tiny').model),
    4,
    'rite',
    1,
  );
  expect(ctx.takeUncapturedErrors().map((e) => e.message)).toEqual([]);
  expect(Object.keys(times)).toEqual(['lora_rite_split', 'lora_rite']);
  for (const ms of Object.values(times)) expect(ms).toBeGreaterThan(0);
});
