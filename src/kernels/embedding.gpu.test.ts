import { describe } from 'vitest';
import { testChecks } from '../test/describeChecks';
import { embeddingChecks } from './embedding.check';

describe('embedding kernel', () => testChecks(embeddingChecks));
