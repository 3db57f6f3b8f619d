import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { gradNormChecks } from './gradnorm.check';

describe('gradnorm kernel', () => testChecks(gradNormChecks));
