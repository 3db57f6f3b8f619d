/** A problem with the training data a user can fix; the message says what was wrong and what to do. */
export class DataError extends Error {
  override name = 'DataError';
}
