import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { layernormChecks } from './layernorm.check';

describe('layernorm kernel', () => testChecks(layernormChecks));
