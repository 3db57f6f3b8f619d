import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { geluChecks } from './gelu.check';

describe('gelu kernel', () => testChecks(geluChecks));
