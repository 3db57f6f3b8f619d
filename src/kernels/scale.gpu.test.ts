import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { scaleChecks } from './scale.check';

describe('scale kernel', () => testChecks(scaleChecks));
