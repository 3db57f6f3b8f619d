import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { loraRiteReferenceChecks } from './loraRite.check';

describe('LoRA-RITE optimizer kernels against the float64 reference', () =>
  testChecks(loraRiteReferenceChecks));
