import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { loraRiteSafetyChecks } from './loraRite.check';

describe('LoRA-RITE: first step, rank-deficient moments, non-finite reports, determinism', () =>
  testChecks(loraRiteSafetyChecks));
