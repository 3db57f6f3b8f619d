import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { geluChecks } from './gelu.check';

describe('gelu kernel', () => testChecks(geluChecks));
