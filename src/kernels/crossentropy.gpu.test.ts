import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { crossentropyChecks } from './crossentropy.check';

describe('crossentropy kernel', () => testChecks(crossentropyChecks));
