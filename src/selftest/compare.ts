/** Unit roundoff of f32 (half an ulp of 1): the size of one rounding error. */
export const F32_EPS = 2 ** -24;

export interface Comparison {
  /** Largest |gpu - reference| over all elements. */
  maxAbsError: number;
  /** Largest |gpu - reference| / bound: at most 1 passes. */
  worstRatio: number;
  worstIndex: number;
  pass: boolean;
}

/**
 * Compares a GPU result with its float64 reference element by element against a per-element
 * bound derived from f32 rounding (each kernel states its bound where it calls this).
 * A NaN or infinity on either side fails.
 */
export function compare(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  bound: (i: number) => number,
): Comparison {
  if (actual.length !== expected.length) {
    throw new Error(
      `compare: length ${actual.length} differs from reference length ${expected.length}`,
    );
  }
  let maxAbsError = 0;
  let worstRatio = 0;
  let worstIndex = -1;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const ratio = Number.isFinite(err) ? err / bound(i) : Number.POSITIVE_INFINITY;
    if (!(ratio <= worstRatio)) {
      worstRatio = ratio;
      worstIndex = i;
    }
    if (!(err <= maxAbsError)) maxAbsError = err;
  }
  return { maxAbsError, worstRatio, worstIndex, pass: worstRatio <= 1 };
}

/**
 * ||actual - expected|| / (||expected|| + 1e-7) over [from, to): the whole-model tests' measure,
 * where per-element bounds would be dominated by the elements that cancel to nearly zero.
 */
export function normwiseError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  from = 0,
  to = expected.length,
): number {
  let num = 0;
  let den = 0;
  for (let i = from; i < to; i++) {
    num += (actual[i] - expected[i]) ** 2;
    den += expected[i] ** 2;
  }
  return Math.sqrt(num) / (Math.sqrt(den) + 1e-7);
}
