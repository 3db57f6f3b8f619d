import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { gradNormChecks } from './gradnorm.check';

describe('gradnorm kernel', () => testChecks(gradNormChecks));
