// The benchmark peer: the same operations through @tensorflow/tfjs-backend-webgpu on the same Dawn adapter.
// Node only (the bench CLI); tfjs-core's gradients are registered so the toy training step can run there too.
import * as tf from '@tensorflow/tfjs-core';
import type { ToyBatch, ToyConfig } from '../toy/toy-config.ts';
import { ropeTableData } from '../ops/rope.ts';

export { tf };

/**
 * tfjs-core's package entry (CommonJS) registers no gradients, and its per-file ES modules do not load in Node
 * (extensionless imports). So the gradient registrations are bundled with esbuild once and loaded: they reach the
 * same engine and registries, which tfjs keeps on the global object.
 */
async function registerTfjsGradients(): Promise<void> {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const esbuild = await import('esbuild');
  const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const out = esbuild.buildSync({ entryPoints: [entry], bundle: true, format: 'cjs', platform: 'node', write: false, logLevel: 'silent' });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(module, module.exports, require);
}

/** Installs a Dawn instance as navigator.gpu (tfjs looks there) and selects the webgpu backend. */
export async function initTfjs(gpu: GPU): Promise<string> {
  (globalThis as unknown as { navigator: { gpu: GPU } }).navigator = { gpu };
  // The backend registers itself at import time only if navigator.gpu exists then.
  await import('@tensorflow/tfjs-backend-webgpu');
  const ok = await tf.setBackend('webgpu');
  if (!ok) throw new Error('tfjs: the webgpu backend failed to initialise');
  await tf.ready();
  await registerTfjsGradients();
  return tf.getBackend();
}

/** Causal GQA attention with a materialised (T, T) score matrix, the way tfjs users write it. q (B,T,Hq,D), k/v (B,T,Hkv,D). */
export function tfAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, maskAdd: tf.Tensor, Hq: number, Hkv: number): tf.Tensor4D {
  const [B, T, , D] = q.shape;
  const rep = Hq / Hkv;
  const heads = (x: tf.Tensor) => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B * Hq, T, D]);
  // Query head h reads kv head floor(h / rep).
  const expand = (x: tf.Tensor4D) => (rep === 1 ? x : tf.gather(x, Array.from({ length: Hq }, (_, h) => Math.floor(h / rep)), 2));
  const scores = tf.add(tf.mul(tf.matMul(heads(q), heads(expand(k)), false, true), 1 / Math.sqrt(D)), maskAdd);
  const p = tf.softmax(scores);
  return tf.transpose(tf.reshape(tf.matMul(p, heads(expand(v))), [B, Hq, T, D]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** Additive causal + key-padding mask, (B*Hq or 1, T, T) broadcastable: 0 where allowed, -1e9 elsewhere. */
export function tfCausalMask(T: number, keyMask?: Uint32Array, B = 1, Hq = 1): tf.Tensor {
  const m = new Float32Array(B * Hq * T * T);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < Hq; h++)
      for (let i = 0; i < T; i++)
        for (let j = 0; j < T; j++) m[((b * Hq + h) * T + i) * T + j] = j <= i && (!keyMask || keyMask[b * T + j]) ? 0 : -1e9;
  return tf.tensor(m, [B * Hq, T, T]);
}

/** The toy transformer of ../toy/ in tfjs ops, trained with tf.train.adam (no weight decay or clipping). */
export class TfToyTransformer {
  readonly vars = new Map<string, tf.Variable>();
  private readonly cos: tf.Tensor;
  private readonly sin: tf.Tensor;
  private readonly opt = tf.train.adam(1e-3);

  constructor(
    readonly c: ToyConfig,
    weights: Map<string, Float32Array>,
    shapes: Array<[string, number[]]>,
    T: number,
  ) {
    for (const [name, shape] of shapes) this.vars.set(name, tf.variable(tf.tensor(weights.get(name)!, shape), true, name));
    const { cos, sin } = ropeTableData(T, c.headDim, c.ropeTheta);
    this.cos = tf.tensor(cos, [1, T, 1, c.headDim / 2]);
    this.sin = tf.tensor(sin, [1, T, 1, c.headDim / 2]);
  }

  private rms(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), this.c.eps))), w);
  }

  private rope(x: tf.Tensor4D): tf.Tensor4D {
    const h = this.c.headDim / 2;
    const [x1, x2] = tf.split(x, [h, h], 3);
    return tf.concat([tf.sub(tf.mul(x1, this.cos), tf.mul(x2, this.sin)), tf.add(tf.mul(x2, this.cos), tf.mul(x1, this.sin))], 3) as tf.Tensor4D;
  }

  private linear(x: tf.Tensor, name: string, bias?: string): tf.Tensor {
    const y = tf.matMul(x as tf.Tensor2D, this.vars.get(name)!, false, true);
    return bias ? tf.add(y, this.vars.get(bias)!) : y;
  }

  loss(b: ToyBatch, ids: tf.Tensor, oneHot: tf.Tensor, weights: tf.Tensor, maskAdd: tf.Tensor): tf.Scalar {
    const c = this.c;
    const { B, T } = b;
    let x = tf.gather(this.vars.get('embed')!, ids);
    for (let l = 0; l < c.layers; l++) {
      const p = `l${l}.`;
      const h = this.rms(x, this.vars.get(`${p}ln1`)!);
      let q = tf.reshape(this.linear(h, `${p}wq`, c.qkvBias ? `${p}bq` : undefined), [B, T, c.heads, c.headDim]) as tf.Tensor4D;
      let k = tf.reshape(this.linear(h, `${p}wk`, c.qkvBias ? `${p}bk` : undefined), [B, T, c.kvHeads, c.headDim]) as tf.Tensor4D;
      const v = tf.reshape(this.linear(h, `${p}wv`, c.qkvBias ? `${p}bv` : undefined), [B, T, c.kvHeads, c.headDim]) as tf.Tensor4D;
      if (c.qkNorm) {
        q = this.rms(q, this.vars.get(`${p}qn`)!) as tf.Tensor4D;
        k = this.rms(k, this.vars.get(`${p}kn`)!) as tf.Tensor4D;
      }
      const a = tf.reshape(tfAttention(this.rope(q), this.rope(k), v, maskAdd, c.heads, c.kvHeads), [B * T, c.heads * c.headDim]);
      x = tf.add(x, this.linear(a, `${p}wo`));
      const h2 = this.rms(x, this.vars.get(`${p}ln2`)!);
      const g = this.linear(h2, `${p}wg`);
      x = tf.add(x, this.linear(tf.mul(tf.mul(g, tf.sigmoid(g)), this.linear(h2, `${p}wu`)), `${p}wd`));
    }
    const logits = this.linear(this.rms(x, this.vars.get('lnf')!), 'head');
    return tf.losses.softmaxCrossEntropy(oneHot, logits, weights) as tf.Scalar;
  }

  /** One forward + backward + Adam update; resolves with the loss (read back, which also waits for the GPU). */
  async step(b: ToyBatch, ids: tf.Tensor, oneHot: tf.Tensor, weights: tf.Tensor, maskAdd: tf.Tensor): Promise<number> {
    const loss = this.opt.minimize(() => this.loss(b, ids, oneHot, weights, maskAdd), true) as tf.Scalar;
    const v = (await loss.data())[0];
    loss.dispose();
    return v;
  }
}
