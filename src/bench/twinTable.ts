// What both twins of our GPT (tfjsGpt.ts, jaxGpt.ts) check before building their parameters.
import type { GPTConfig, TrainConfig } from '../model/config';
import { buildParamTable, type ParamTable } from '../model/params';

/**
 * The parameter table a twin lays its tensors out by, once the settings are ones it can train
 * (one micro-batch per step) and the initial parameters fill the table.
 */
export function twinTable(
  twin: string,
  config: GPTConfig,
  train: TrainConfig,
  initialParams: Float32Array,
): ParamTable {
  if (train.gradAccumSteps !== 1) {
    throw new Error(`${twin} takes one micro-batch per step, not ${train.gradAccumSteps}.`);
  }
  const table = buildParamTable(config);
  if (initialParams.length !== table.totalLength) {
    throw new Error(
      `Parameters have ${initialParams.length} floats; this model needs ${table.totalLength}.`,
    );
  }
  return table;
}
