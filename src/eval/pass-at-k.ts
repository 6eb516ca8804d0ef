// pass@k and pass^k from n scored samples with c successes. pass@k (Chen et al. 2021, "Evaluating Large
// Language Models Trained on Code"): chance that at least one of k samples drawn without replacement
// succeeds, 1 - C(n-c,k)/C(n,k). pass^k (Yao et al. 2024, tau-bench): chance that all k succeed, C(c,k)/C(n,k).

/** Unbiased pass@k; products instead of binomials so large n does not overflow. */
export function passAtK(n: number, c: number, k: number): number {
  checkArgs(n, c, k);
  if (n - c < k) return 1;
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

/** pass^k: all k of k draws (without replacement) succeed. */
export function passHatK(n: number, c: number, k: number): number {
  checkArgs(n, c, k);
  let p = 1;
  for (let i = 0; i < k; i++) p *= (c - i) / (n - i);
  return Math.max(0, p);
}

function checkArgs(n: number, c: number, k: number): void {
  if (!(Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k)) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new Error(`pass@k needs integers 0 <= c <= n and 1 <= k <= n, got n=${n}, c=${c}, k=${k}`);
  }
}

/** The k values worth reporting for at most n samples: 1, 2, 4, ... and n itself. */
export function defaultKs(n: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k <= n; k *= 2) ks.push(k);
  if (ks[ks.length - 1] !== n) ks.push(n);
  return ks;
}
