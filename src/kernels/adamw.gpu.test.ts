import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { adamwChecks } from './adamw.check';

describe('adamw kernel', () => testChecks(adamwChecks));
