import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { matmulChecks } from './matmul.check';

describe('matmul kernel', () => testChecks(matmulChecks));
