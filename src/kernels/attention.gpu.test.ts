import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { attentionChecks } from './attention.check';

describe('attention kernel', () => testChecks(attentionChecks));
