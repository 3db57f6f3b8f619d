import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { loraRiteChecks } from './loraRite.check';

describe('LoRA-RITE optimizer kernel', () => testChecks(loraRiteChecks));
