/**
 * The steps the sweeps spend their time in, each taken through the library's own code,
 * and the timer that measures them (used by bench/engine.ts in a child process per engine).
 *
 *   train    lib/train/train.ts adamStep: minibatch cut on the host and uploaded, forward, masked
 *            cross-entropy, backward, Adam on the flat θ; loss / accuracy sums stay on the
 *            backend and are read back at the end of each timed block
 *   sgld     lib/estimator/llc.ts sgldChain: indices with replacement and N(0,1) noise from the chain's
 *            generator, gather, valueAndGrads, lib/estimator/sgld.ts update, MALA acceptance terms;
 *            read back every 100 steps and at the end of each timed block
 *   forward  lib/train/train.ts evaluate() on one block (evaluation and L_n(w*) passes)
 *   fc1      the MLP's x[b, 784] · W[784, 128] alone (the MLP's largest product)
 */
import { tf } from '../lib/engine/backend';
import { DeviceSplit } from '../lib/data/batches';
import { batchIndices, defaultNbeta, sgldChain, WRITEUP_LLC } from '../lib/estimator/llc';
import {
  Architecture,
  initWeights,
  labelSelector,
  modelDef,
  ModelDef,
  taskLoss,
  weightsToTensors,
} from '../lib/models/models';
import { makeRng } from '../lib/math/rng';
import { adamStep, evaluate, thetaVariable, TRAIN_DEFAULTS } from '../lib/train/train';

export type StepKind = 'train' | 'sgld' | 'forward' | 'fc1';
export const STEP_KINDS: StepKind[] = ['train', 'sgld', 'forward', 'fc1'];
export const LABELS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

export interface Budget {
  warmup: number;
  reps: number;
  /** Target seconds of one timed block. */
  repSeconds: number;
}

/** One measured (engine, model, step, batch): what a child reports and the report tabulates. */
export interface Row {
  /** Column of the summary table, e.g. 'tensorflow 1 thr', 'wasm ours', 'torch 1 thr'. */
  column: string;
  arch: Architecture;
  step: StepKind;
  batch: number;
  stepsPerRep?: number;
  repSeconds?: number[];
  /** Why there is no number ('n/a: ...'). */
  note?: string;
}

export interface Stepper {
  step(): void;
  /** Read back what the library reads back at the end of a block. */
  finish(): void;
  dispose(): void;
}

/** Adam steps as trainModel takes them (a slice of a shuffled permutation there; here drawn with replacement). */
export function trainStepper(
  def: ModelDef,
  data: DeviceSplit,
  selector: tf.Tensor2D,
  batch: number,
): Stepper & { theta: tf.Variable } {
  const theta = thetaVariable(initWeights(def, 1));
  const optimizer = tf.train.adam(TRAIN_DEFAULTS.learningRate);
  const rng = makeRng(2);
  let lossSum = tf.scalar(0);
  let correct = tf.scalar(0);
  return {
    theta,
    step() {
      const r = adamStep(def, theta, optimizer, selector, data, batchIndices(data.n, batch, rng));
      const [l, c] = tf.tidy(() => [tf.add(lossSum, tf.mul(r.loss, batch)), tf.add(correct, r.correct)]);
      tf.dispose([r.loss, r.correct, lossSum, correct]);
      lossSum = l as tf.Scalar;
      correct = c as tf.Scalar;
    },
    finish() {
      lossSum.dataSync();
      correct.dataSync();
    },
    dispose() {
      optimizer.dispose();
      tf.dispose([theta, lossSum, correct]);
    },
  };
}

/** SGLD steps of the estimator's chain at the write-up's settings, from w* = `start` (default: the seeded init). */
export function sgldStepper(
  def: ModelDef,
  data: DeviceSplit,
  selector: tf.Tensor2D,
  batch: number,
  start?: tf.Tensor[],
): Stepper & { losses(): Float32Array } {
  const wStar = start ?? weightsToTensors(def, initWeights(def, 1));
  const settings = {
    epsilon: WRITEUP_LLC.epsilon!,
    gamma: WRITEUP_LLC.gamma!,
    nbeta: defaultNbeta(data.n),
    batchSize: batch,
  };
  const chain = sgldChain(taskLoss(def, selector), wStar, data, settings, makeRng(3));
  if (start == null) tf.dispose(wStar);
  return {
    step: () => chain.step(),
    finish: () => void chain.flush(),
    losses: () => chain.flush().losses,
    dispose: () => chain.dispose(),
  };
}

/** lib/train/train.ts evaluate() on the first `batch` examples (one block). */
export function forwardStepper(def: ModelDef, data: DeviceSplit, selector: tf.Tensor2D, batch: number): Stepper {
  const weights = weightsToTensors(def, initWeights(def, 1));
  const part: DeviceSplit = { x: tf.slice(data.x, 0, batch), y: tf.slice(data.y, 0, batch), n: batch };
  return {
    step: () => void evaluate(def, weights, part, selector, batch),
    finish() {},
    dispose: () => tf.dispose([...weights, part.x, part.y]),
  };
}

/** Flops per example of the fc1 product (a multiply and an add per weight). */
export const FC1_FLOPS_PER_EXAMPLE = 2 * 784 * 128;

/** The MLP's first-layer product alone: the ceiling of the MLP's step on an engine. */
export function fc1Stepper(_def: ModelDef, data: DeviceSplit, _selector: tf.Tensor2D, batch: number): Stepper {
  const x = tf.tidy(() => tf.reshape(tf.slice(data.x, 0, batch), [batch, -1]));
  const w = tf.randomNormal([784, 128], 0, 0.05, 'float32', 1);
  let last: tf.Tensor | null = null;
  return {
    step() {
      last?.dispose();
      last = tf.matMul(x, w);
    },
    finish: () => void last?.dataSync(),
    dispose: () => tf.dispose([x, w, ...(last ? [last] : [])]),
  };
}

export const STEPPERS: Record<
  StepKind,
  (def: ModelDef, data: DeviceSplit, selector: tf.Tensor2D, batch: number) => Stepper
> = {
  train: trainStepper,
  sgld: sgldStepper,
  forward: forwardStepper,
  fc1: fc1Stepper,
};

/** Time one (arch, step, batch) on the current backend: warm-up, then `reps` blocks of a calibrated step count. */
export function measure(
  column: string,
  arch: Architecture,
  step: StepKind,
  batch: number,
  data: DeviceSplit,
  budget: Budget,
): Row {
  const row: Row = { column, arch, step, batch };
  const def = modelDef(arch);
  const selector = labelSelector(LABELS);
  let s: Stepper | null = null;
  try {
    s = STEPPERS[step](def, data, selector, batch);
    let warm = Infinity;
    for (let i = 0; i < Math.max(1, budget.warmup); i++) {
      const t = performance.now();
      s.step();
      s.finish();
      warm = (performance.now() - t) / 1000;
    }
    row.stepsPerRep = Math.max(1, Math.round(budget.repSeconds / warm));
    row.repSeconds = [];
    for (let r = 0; r < budget.reps; r++) {
      const t = performance.now();
      for (let i = 0; i < row.stepsPerRep; i++) s.step();
      s.finish();
      row.repSeconds.push((performance.now() - t) / 1000);
    }
  } catch (e) {
    row.repSeconds = undefined;
    row.note = `n/a: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    s?.dispose();
    selector.dispose();
  }
  return row;
}
