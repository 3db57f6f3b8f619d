import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { matmulChecks } from './matmul.check';

describe('matmul kernel', () => testChecks(matmulChecks));
