#!/usr/bin/env python3
"""PyTorch counterpart of bench/bench.ts (run by it in a venv with torch 2.13; PyTorch is not a dependency).

    python bench/torch_bench.py --threads 1 [--archs mlp,cnn] [--batches 256,512]
        [--steps train,sgld,fc1] [--warmup 3] [--reps 7] [--rep-seconds 1.0] [--num-train 12665]
    python bench/torch_bench.py --threads 1 --ops JSON [--op-reps 200]

The same models, data layout and steps as lib/models/models.ts, lib/train/train.ts and lib/estimator/llc.ts:
  MLP 784-128-128-10; CNN conv3x3 1->16, maxpool 2, conv3x3 16->16, dense 64, dense 10
  train: gather a minibatch from the resident training set, forward, masked cross-entropy
         (logits @ selector), backward, Adam(lr 1e-2); loss sum and correct count kept on
         the device and read back once per timed block (lib/train/train.ts reads them per epoch)
  sgld:  gather a minibatch (with replacement), forward, backward, then
         w <- w - eps/2 (n*beta*grad + gamma (w - w*)) + N(0, eps), with the terms of the
         MALA acceptance of each move; losses read back every 100 steps (lib/estimator/llc.ts)
  fc1:   the MLP's largest dense product alone, x[batch, 784] @ W[784, 128] (MLP, first
         batch size only): the ceiling of the MLP's step
  --ops: single ops back to back, as bench/ops.ts times them on TensorFlow (its OP_SPECS, passed as
         JSON); prints {"type": "ops", "ops": [{"name", "us"}]}, µs per op, median of 5 blocks
Inputs are MNIST-shaped (75 % background -1, the rest U(-1, 1)); values do not matter for timing.

Prints JSON lines on stdout: one {"type": "info", ...} (versions, threads, BLAS), then one
{"type": "row", ...} per (arch, step, batch) with the seconds of every timed repetition
(each repetition = steps_per_rep steps, calibrated from the last warm-up step).
"""
import argparse
import json
import math
import os
import re
import sys
import time


def emit(obj):
    print(json.dumps(obj), flush=True)


def loaded_libraries():
    """Shared objects mapped into this process that decide the speed of matmul / conv."""
    keys = ('blas', 'lapack', 'mkl', 'gomp', 'iomp', 'omp', 'dnnl', 'mkldnn', 'nnpack', 'xnnpack', 'sleef')
    libs = set()
    try:
        with open('/proc/self/maps') as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and any(k in os.path.basename(parts[5]).lower() for k in keys):
                    libs.add(parts[5])
    except OSError:
        pass
    return sorted(libs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--archs', default='mlp,cnn')
    ap.add_argument('--batches', default='256,512')
    ap.add_argument('--steps', default='train,sgld')
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--reps', type=int, default=7)
    ap.add_argument('--rep-seconds', type=float, default=1.0)
    ap.add_argument('--num-train', type=int, default=12665)
    ap.add_argument('--ops', default=None)
    ap.add_argument('--op-reps', type=int, default=200)
    args = ap.parse_args()

    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(0)
    if args.ops is not None:
        emit({'type': 'ops', 'ops': time_ops(torch, json.loads(args.ops), args.op_reps)})
        return

    def mlp():
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))

    def cnn():
        return nn.Sequential(
            nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 16, 3), nn.ReLU(), nn.Flatten(),
            nn.Linear(11 * 11 * 16, 64), nn.ReLU(), nn.Linear(64, 10))

    models = {'mlp': mlp, 'cnn': cnn}
    n = args.num_train
    X = torch.where(torch.rand(n, 1, 28, 28) < 0.75, torch.full((), -1.0), 2 * torch.rand(n, 1, 28, 28) - 1).contiguous()
    Y = torch.randint(0, 10, (n,))
    S = torch.eye(10)  # the label selector of lib/models/models.ts for k = 10

    # A matmul and a conv so that every library they use is mapped before we look.
    torch.randn(64, 64) @ torch.randn(64, 64)
    F.conv2d(torch.randn(1, 1, 8, 8), torch.randn(2, 1, 3, 3))
    config = torch.__config__.show()
    build = dict(re.findall(r'\b(BLAS_INFO|LAPACK_INFO|USE_MKLDNN|USE_OPENMP|USE_NNPACK)=([^,\s]+)', config))
    libraries = loaded_libraries()
    names = ' '.join(libraries).lower()
    if 'openblas' in names:
        blas = 'OpenBLAS (' + ', '.join(os.path.basename(l) for l in libraries if 'openblas' in os.path.basename(l).lower()) + ')'
    elif 'mkl' in names:
        blas = 'MKL'
    elif '/blas/libblas' in names:
        blas = 'reference BLAS (netlib, slow)'
    else:
        blas = 'unknown'
    emit({
        'type': 'info',
        'torch': torch.__version__,
        'python': sys.version.split()[0],
        'threads': torch.get_num_threads(),
        'interop_threads': torch.get_num_interop_threads(),
        'mkldnn': bool(torch.backends.mkldnn.is_available()),
        'blas': blas,
        'build': build,
        'libraries': libraries,
        'config': config,
        'parallel_info': torch.__config__.parallel_info(),
        'num_params': {a: sum(p.numel() for p in f().parameters()) for a, f in models.items()},
    })

    eps, gamma = 2e-4, 10.0
    nbeta = n / math.log(n)

    def train_stepper(model, batch):
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        sums = torch.zeros(2)

        def step():
            idx = torch.randint(n, (batch,))
            x, y = X[idx], Y[idx]
            opt.zero_grad(set_to_none=True)
            logits = model(x) @ S
            loss = F.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            with torch.no_grad():
                sums[0] += loss.detach() * batch
                sums[1] += (logits.argmax(1) == y).sum()

        return step, lambda: sums.tolist()

    def sgld_stepper(model, batch):
        # The same step as lib/estimator/llc.ts sgldChain: the update plus the terms of the MALA
        # acceptance of each move (drift, squared distance to w*, two inner products with
        # the previous point), as devinterp's MalaAcceptanceRate callback also computes.
        params = list(model.parameters())
        w_star = [p.detach().clone() for p in params]
        pending = []
        prev = {}
        c = math.sqrt(eps)

        def flush():
            if pending:
                torch.stack(pending).tolist()
                pending.clear()

        def step():
            idx = torch.randint(n, (batch,))
            loss = F.cross_entropy(model(X[idx]) @ S, Y[idx])
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                drifts = [-(eps / 2) * (nbeta * g + gamma * (p - p0)) for p, g, p0 in zip(params, grads, w_star)]
                sq = sum(((p - p0) ** 2).sum() for p, p0 in zip(params, w_star))
                if prev:
                    b = [p - pw - pd for p, pw, pd in zip(params, prev['w'], prev['d'])]
                    cs = [pd + d for pd, d in zip(prev['d'], drifts)]
                    bc = sum((bi * ci).sum() for bi, ci in zip(b, cs))
                    cc = sum((ci * ci).sum() for ci in cs)
                else:
                    bc = cc = torch.zeros(())
                prev['w'] = [p.detach().clone() for p in params]
                prev['d'] = drifts
                for p, d in zip(params, drifts):
                    p.add_(d + c * torch.randn_like(p))
            pending.append(torch.stack([loss.detach(), sq, bc, cc]))
            if len(pending) >= 100:
                flush()

        return step, flush

    def fc1_stepper(model, batch):
        x = X[:batch].reshape(batch, -1)
        w = torch.randn(784, 128) * 0.05
        return (lambda: x @ w), (lambda: None)

    steppers = {'train': train_stepper, 'sgld': sgld_stepper, 'fc1': fc1_stepper}
    batches = [int(b) for b in args.batches.split(',')]
    for arch in args.archs.split(','):
        for step_name in args.steps.split(','):
            for batch in batches:
                if step_name == 'fc1' and (arch != 'mlp' or batch != batches[0]):
                    continue
                torch.manual_seed(1)
                step, finish = steppers[step_name](models[arch](), batch)
                warm = 0.0
                for _ in range(max(1, args.warmup)):
                    t = time.perf_counter()
                    step()
                    finish()
                    warm = time.perf_counter() - t
                per_rep = max(1, round(args.rep_seconds / max(warm, 1e-6)))
                times = []
                for _ in range(args.reps):
                    t = time.perf_counter()
                    for _ in range(per_rep):
                        step()
                    finish()
                    times.append(time.perf_counter() - t)
                emit({'type': 'row', 'arch': arch, 'step': step_name, 'batch': batch, 'threads': torch.get_num_threads(),
                      'steps_per_rep': per_rep, 'rep_seconds': times})


def time_ops(torch, specs, reps, blocks=5):
    """µs per op of each spec (bench/ops.ts OpSpec): reps ops back to back per block, median over blocks."""
    out = []
    for spec in specs:
        if spec['kind'] == 'add':
            x = torch.randn(spec['n'])
            op = lambda x=x: x + x
        else:
            a, b = torch.randn(*spec['a']), torch.randn(*spec['b'])
            a = a.t() if spec.get('transposeA') else a
            b = b.t() if spec.get('transposeB') else b
            op = lambda a=a, b=b: a @ b
        for _ in range(20):
            op()
        us = []
        for _ in range(blocks):
            t = time.perf_counter()
            for _ in range(reps):
                op()
            us.append((time.perf_counter() - t) * 1e6 / reps)
        out.append({'name': spec['name'], 'us': sorted(us)[blocks // 2]})
    return out


if __name__ == '__main__':
    main()
