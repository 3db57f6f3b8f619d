import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { nonfiniteChecks } from './nonfinite.check';

describe('nonfinite kernel', () => testChecks(nonfiniteChecks));
