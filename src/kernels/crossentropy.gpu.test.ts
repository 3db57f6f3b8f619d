import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { crossentropyChecks } from './crossentropy.check';

describe('crossentropy kernel', () => testChecks(crossentropyChecks));
