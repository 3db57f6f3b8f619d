import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { attentionChecks } from './attention.check';

describe('attention kernel', () => testChecks(attentionChecks));
