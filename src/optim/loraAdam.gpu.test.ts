import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { loraAdamChecks } from './loraAdam.check';

describe('LoRA Adam optimizer', () => testChecks(loraAdamChecks));
