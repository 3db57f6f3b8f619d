import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { adamwChecks } from './adamw.check';

describe('adamw kernel', () => testChecks(adamwChecks));
