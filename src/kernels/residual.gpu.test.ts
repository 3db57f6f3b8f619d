import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { residualChecks } from './residual.check';

describe('residual kernel', () => testChecks(residualChecks));
