// Small dense linear algebra for the LoRA-RITE reference: row-major matrices of at most a few
// hundred rows and a few dozen columns (m x r factors, r x r statistics). Plain loops in a fixed
// order, so results are deterministic. Every element write goes through a Precision's `round`,
// which lets the same code simulate float32 storage (Math.fround) for the GPU's error bounds.
import type { Rng } from '../util/rng';

export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array; // row-major, rows * cols
}

export interface Precision {
  round: (x: number) => number;
  unit: number; // unit roundoff u: |round(x) - x| <= u |x|
}

export const F64: Precision = { round: (x) => x, unit: 2 ** -53 };
export const F32: Precision = { round: Math.fround, unit: 2 ** -24 };

export function zeros(rows: number, cols: number): Mat {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

export function identity(n: number): Mat {
  const out = zeros(n, n);
  for (let i = 0; i < n; i++) out.data[i * n + i] = 1;
  return out;
}

/** (rows, cols) of independent N(0, std^2) draws from `rng`, in row-major order. */
export function randn(rng: Rng, rows: number, cols: number, std = 1): Mat {
  const a = zeros(rows, cols);
  for (let i = 0; i < a.data.length; i++) a.data[i] = std * rng.normal();
  return a;
}

export function fromArray(rows: number, cols: number, values: ArrayLike<number>): Mat {
  if (values.length !== rows * cols)
    throw new Error(`fromArray: ${values.length} != ${rows}x${cols}`);
  return { rows, cols, data: Float64Array.from(values) };
}

export function clone(a: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.slice() };
}

// out = round(a) elementwise (a copy: the input is left alone)
export function rounded(a: Mat, p: Precision): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.map(p.round) };
}

// out (c, r) = a (r, c)^T
export function transpose(a: Mat): Mat {
  const out = zeros(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  }
  return out;
}

// out (m, n) = a (m, k) b (k, n)
export function matmul(a: Mat, b: Mat, p: Precision = F64): Mat {
  if (a.cols !== b.rows) throw new Error(`matmul: ${a.rows}x${a.cols} by ${b.rows}x${b.cols}`);
  const out = zeros(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let sum = 0;
      for (let k = 0; k < a.cols; k++) sum += a.data[i * a.cols + k] * b.data[k * b.cols + j];
      out.data[i * b.cols + j] = p.round(sum);
    }
  }
  return out;
}

// out (m, n) = a (k, m)^T b (k, n)
export function matmulTN(a: Mat, b: Mat, p: Precision = F64): Mat {
  return matmul(transpose(a), b, p);
}

// out (m, n) = a (m, k) b (n, k)^T
export function matmulNT(a: Mat, b: Mat, p: Precision = F64): Mat {
  return matmul(a, transpose(b), p);
}

// out = alpha a + beta b, same shapes
export function lincomb(alpha: number, a: Mat, beta: number, b: Mat, p: Precision = F64): Mat {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new Error('lincomb: shapes differ');
  const out = zeros(a.rows, a.cols);
  for (let i = 0; i < out.data.length; i++)
    out.data[i] = p.round(alpha * a.data[i] + beta * b.data[i]);
  return out;
}

// out = alpha a
export function scale(alpha: number, a: Mat, p: Precision = F64): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.map((x) => p.round(alpha * x)) };
}

// a (n, n) <- (a + a^T) / 2: removes the rounding asymmetry of products like P V P^T
export function symmetrize(a: Mat, p: Precision = F64): Mat {
  const n = a.rows;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = p.round(0.5 * (a.data[i * n + j] + a.data[j * n + i]));
      a.data[i * n + j] = s;
      a.data[j * n + i] = s;
    }
  }
  return a;
}

export function frobenius(a: Mat): number {
  let sum = 0;
  for (const x of a.data) sum += x * x;
  return Math.sqrt(sum);
}

export interface Qr {
  q: Mat; // (m, r), orthonormal columns
  r: Mat; // (r, r), upper triangular; zero rows where a is rank-deficient
}

// a (m, r) = q (m, r) r (r, r) by Householder reflections, m >= r. A zero column gets the
// identity reflection, so q stays orthonormal and r gets an exact zero even for a = 0.
export function qr(a: Mat, p: Precision = F64): Qr {
  const { rows: m, cols: n } = a;
  if (m < n) throw new Error(`qr: needs rows >= cols, got ${m}x${n}`);
  const w = clone(a);
  const vs: Float64Array[] = []; // unit Householder vectors, v_k (m - k)
  for (let k = 0; k < n; k++) {
    let norm2 = 0;
    for (let i = k; i < m; i++) norm2 += w.data[i * n + k] ** 2;
    const norm = Math.sqrt(norm2);
    const v = new Float64Array(m - k);
    if (norm > 0) {
      const x0 = w.data[k * n + k];
      const alpha = x0 >= 0 ? -norm : norm; // the sign that avoids cancellation in x0 - alpha
      for (let i = k; i < m; i++) v[i - k] = w.data[i * n + k];
      v[0] = x0 - alpha;
      const vnorm = Math.sqrt(norm2 - x0 * x0 + v[0] * v[0]);
      for (let i = 0; i < v.length; i++) v[i] = p.round(v[i] / vnorm);
      reflect(w, v, k, k, p);
    }
    vs.push(v);
  }
  const r = zeros(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) r.data[i * n + j] = w.data[i * n + j];
  }
  // q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity, innermost first
  const q = zeros(m, n);
  for (let i = 0; i < n; i++) q.data[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) reflect(q, vs[k], k, k, p);
  return { q, r };
}

// x[row0:, col0:] <- (I - 2 v v^T) x[row0:, col0:], v unit (or zero: no-op)
function reflect(x: Mat, v: Float64Array, row0: number, col0: number, p: Precision): void {
  const n = x.cols;
  for (let j = col0; j < n; j++) {
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += v[i] * x.data[(row0 + i) * n + j];
    for (let i = 0; i < v.length; i++) {
      const idx = (row0 + i) * n + j;
      x.data[idx] = p.round(x.data[idx] - 2 * dot * v[i]);
    }
  }
}

interface Rotation {
  c: number;
  s: number;
}

// Jacobi rotation (c, s) that zeroes the off-diagonal of the symmetric 2x2 [[app, apq], [apq, aqq]]
// (the stable small-angle root of t^2 + 2 zeta t - 1 = 0)
function jacobiRotation(app: number, aqq: number, apq: number): Rotation {
  const zeta = (aqq - app) / (2 * apq);
  const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
  const c = 1 / Math.sqrt(1 + t * t);
  return { c, s: c * t };
}

// columns p, q of x <- (c x_p - s x_q, s x_p + c x_q)
function rotateColumns(x: Mat, pcol: number, qcol: number, rot: Rotation, p: Precision): void {
  const n = x.cols;
  for (let i = 0; i < x.rows; i++) {
    const xp = x.data[i * n + pcol];
    const xq = x.data[i * n + qcol];
    x.data[i * n + pcol] = p.round(rot.c * xp - rot.s * xq);
    x.data[i * n + qcol] = p.round(rot.s * xp + rot.c * xq);
  }
}

const MAX_SWEEPS = 60;

// out (c, r) = a (r, c)^+, the Moore-Penrose pseudo-inverse, r >= c. One-sided (Hestenes) Jacobi
// SVD: rotate the columns of a until they are orthogonal, a v = w (columns w_j = sigma_j u_j), then
// a^+ = v diag(1 / sigma_j^2) w^T over the sigma_j above rcond * sigma_max; smaller ones are the
// rounding residue of a rank-deficient a and count as zero. Working on a itself (not a^T a) keeps
// the small singular values accurate, which an ill-conditioned factor needs.
export function pinv(a: Mat, rcond: number, p: Precision = F64): Mat {
  const n = a.cols;
  const w = clone(a);
  const v = identity(n);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let i = 0; i < n - 1; i++) {
      for (let j = i + 1; j < n; j++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < w.rows; k++) {
          const wi = w.data[k * n + i];
          const wj = w.data[k * n + j];
          alpha += wi * wi;
          beta += wj * wj;
          gamma += wi * wj;
        }
        if (Math.abs(gamma) <= p.unit * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        // the rotation that diagonalises the 2x2 Gram matrix [[alpha, gamma], [gamma, beta]]
        const rot = jacobiRotation(alpha, beta, gamma);
        rotateColumns(w, i, j, rot, p);
        rotateColumns(v, i, j, rot, p);
      }
    }
    if (!rotated) break;
  }
  const sigma2 = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < w.rows; k++) sigma2[j] += w.data[k * n + j] ** 2;
  }
  const cutoff2 = (rcond * Math.sqrt(Math.max(0, ...sigma2))) ** 2;
  const out = zeros(n, a.rows);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < a.rows; k++) {
      let sum = 0;
      for (let j = 0; j < n; j++) {
        if (sigma2[j] > cutoff2 && sigma2[j] > 0) {
          sum += (v.data[i * n + j] * w.data[k * n + j]) / sigma2[j];
        }
      }
      out.data[i * a.rows + k] = p.round(sum);
    }
  }
  return out;
}

export interface Eigh {
  values: Float64Array; // descending
  vectors: Mat; // (n, n), column j is the eigenvector of values[j]
}

// a (n, n) symmetric = vectors diag(values) vectors^T by cyclic Jacobi rotations. A pair is
// rotated only while its off-diagonal is above rounding relative to its diagonal, which gives
// small eigenvalues to high relative accuracy and ends in a fixed number of sweeps in any precision.
export function eigh(a: Mat, p: Precision = F64): Eigh {
  const n = a.rows;
  const x = clone(a);
  const v = identity(n);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let i = 0; i < n - 1; i++) {
      for (let j = i + 1; j < n; j++) {
        const aij = x.data[i * n + j];
        const aii = x.data[i * n + i];
        const ajj = x.data[j * n + j];
        if (Math.abs(aij) <= p.unit * Math.sqrt(Math.abs(aii * ajj))) continue;
        rotated = true;
        const rot = jacobiRotation(aii, ajj, aij);
        // x <- J^T x J: rotate columns i, j, then rows i, j (the same rotation on x^T)
        rotateColumns(x, i, j, rot, p);
        for (let k = 0; k < n; k++) {
          const xi = x.data[i * n + k];
          const xj = x.data[j * n + k];
          x.data[i * n + k] = p.round(rot.c * xi - rot.s * xj);
          x.data[j * n + k] = p.round(rot.s * xi + rot.c * xj);
        }
        x.data[i * n + j] = 0;
        x.data[j * n + i] = 0;
        rotateColumns(v, i, j, rot, p);
      }
    }
    if (!rotated) break;
  }
  const order = [...Array(n).keys()].sort((i, j) => x.data[j * n + j] - x.data[i * n + i]);
  const values = Float64Array.from(order, (i) => x.data[i * n + i]);
  const vectors = zeros(n, n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) vectors.data[k * n + j] = v.data[k * n + order[j]];
  }
  return { values, vectors };
}
