import { describe } from 'vitest';
import { testChecks } from '../selftest/describeChecks';
import { embeddingChecks } from './embedding.check';

describe('embedding kernel', () => testChecks(embeddingChecks));
