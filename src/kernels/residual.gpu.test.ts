import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { residualChecks } from './residual.check';

describe('residual kernel', () => testChecks(residualChecks));
