import { attentionChecks } from '../kernels/attention.check';
import { matmulChecks } from '../kernels/matmul.check';
import { residualChecks } from '../kernels/residual.check';
import type { KernelCheck } from './types';

/** Every kernel self-check, in the order the "Check kernels" panel runs them. */
export const allChecks: readonly KernelCheck[] = [
  ...residualChecks,
  ...matmulChecks,
  ...attentionChecks,
];
