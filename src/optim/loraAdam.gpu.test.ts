import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { loraAdamChecks } from './loraAdam.check';

describe('LoRA Adam optimizer', () => testChecks(loraAdamChecks));
