import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { scaleChecks } from './scale.check';

describe('scale kernel', () => testChecks(scaleChecks));
