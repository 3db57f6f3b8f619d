import { adamwChecks } from '../kernels/adamw.check';
import { attentionChecks } from '../kernels/attention.check';
import { crossentropyChecks } from '../kernels/crossentropy.check';
import { embeddingChecks } from '../kernels/embedding.check';
import { geluChecks } from '../kernels/gelu.check';
import { gradNormChecks } from '../kernels/gradnorm.check';
import { layernormChecks } from '../kernels/layernorm.check';
import { matmulChecks } from '../kernels/matmul.check';
import { scaleChecks } from '../kernels/scale.check';
import { loraAdamChecks } from '../optim/loraAdam.check';
import { loraRiteChecks } from '../optim/loraRite.check';
import type { KernelCheck } from './types';

/** Every kernel self-check, in the order the "Check kernels" panel runs them. */
export const allChecks: readonly KernelCheck[] = [
  ...matmulChecks,
  ...gradNormChecks,
  ...adamwChecks,
  ...attentionChecks,
  ...crossentropyChecks,
  ...embeddingChecks,
  ...layernormChecks,
  ...geluChecks,
  ...scaleChecks,
  ...loraAdamChecks,
  ...loraRiteChecks,
];
