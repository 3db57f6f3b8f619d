import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { layernormChecks } from './layernorm.check';

describe('layernorm kernel', () => testChecks(layernormChecks));
