"""Benchmark (run by hand, not collected by pytest): the vectorised NumPy conv2d forward + backward
against torch's CPU float64 forward + backward, in the same run.

    /work/venv/bin/python tests/benchmarks/bench_conv.py [--repeats 20] [--threads 1]

One thread each by default: on a shared 2-core machine multi-threaded timings mostly measure the
other processes (oversubscription), not the code.

Shape of issue 4: N=8, C=16→32, 32×32, k=3 (padding 1, stride 1). Goal: ratio <= 3.
Prints one JSON object: median times, their ratio, and the ratio of the best times (less
sensitive to other processes on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS/torch threads (default 1; 0: library defaults)"
    )
    args = parser.parse_args()
    if args.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    import numpy as np
    import torch
    import torch.nn.functional as F

    from dlstudy.reference.conv_core import conv2d_backward, conv2d_forward

    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    n, c, o, h, w, k = 8, 16, 32, 32, 32, 3
    x = rng.standard_normal((n, c, h, w))
    wt = rng.standard_normal((o, c, k, k))
    b = rng.standard_normal(o)
    dy = rng.standard_normal((n, o, h, w))
    s, pads, d = (1, 1), ((1, 1), (1, 1)), (1, 1)

    def numpy_step():
        y = conv2d_forward(x, wt, b, s, pads, d)
        grads = conv2d_backward(x, wt, dy, s, pads, d)
        return y, grads

    xt = torch.from_numpy(x).requires_grad_()
    wtt = torch.from_numpy(wt).requires_grad_()
    bt = torch.from_numpy(b).requires_grad_()
    dyt = torch.from_numpy(dy)

    def torch_step():
        xt.grad = wtt.grad = bt.grad = None
        y = F.conv2d(xt, wtt, bt, stride=1, padding=1)
        y.backward(dyt)
        return y

    # same numbers first (the benchmark measures a correct implementation)
    y_np, (dx, dw, db) = numpy_step()
    y_t = torch_step()
    assert np.allclose(y_np, y_t.detach().numpy(), atol=1e-9)
    assert np.allclose(dx, xt.grad.numpy(), atol=1e-9)
    assert np.allclose(dw, wtt.grad.numpy(), atol=1e-9)
    assert np.allclose(db, bt.grad.numpy(), atol=1e-9)

    def once(fn) -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    for _ in range(3):  # warm-up
        numpy_step()
        torch_step()
    # alternate the two so that background load hits both alike
    t_np, t_torch = [], []
    for _ in range(args.repeats):
        t_np.append(once(numpy_step))
        t_torch.append(once(torch_step))
    med_np, med_t = statistics.median(t_np), statistics.median(t_torch)
    print(
        json.dumps(
            {
                "shape": {"N": n, "C_in": c, "C_out": o, "H": h, "W": w, "k": k},
                "numpy_ms": round(med_np * 1e3, 2),
                "torch_ms": round(med_t * 1e3, 2),
                "ratio": round(med_np / med_t, 2),
                "ratio_best_of": round(min(t_np) / min(t_torch), 2),
                "goal": 3.0,
                "threads": args.threads or "default",
                "torch": torch.__version__,
                "numpy": np.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
