#!/usr/bin/python3
"""Independent check of the photonic backend's experiment encoding.

A second implementation, in numpy, of the noise model of T. Wang et al.,
"An optical neural network using less than 1 photon per multiplication",
Nat. Commun. 13, 123 (2022), written from the paper's description (and
docs/photonic.md, section "slm"), not from physics/photonic.c:

  * weights of one layer are mapped min-max onto the transmissions of an
    8-bit SLM, t = t_min + (1 - t_min) (w - w_min) / (w_max - w_min);
  * inputs (pixel intensities, ReLU outputs) are non-negative intensities
    x / max x written by an 8-bit display;
  * one detector per output collects S_ij = sum_k t_ik x~_kj;
  * the photon budget n is the number of detected photons per
    multiplication for each input vector (sample): the laser power of sample
    j is set so that sum_i lambda_ij = n M K, lambda_ij = s_j S_ij;
  * counts are Poisson(lambda_ij) (shot noise, ideal detector);
  * the known offset is removed digitally: with w = c_a t + d_a,
    sum_k w_ik x_kj = c_a max(x) S^_ij + d_a max(x) sum_k x~_kj.

It evaluates the same trained weights (the physopt model file, read with
h5py) on the same Fashion-MNIST test images, in the same batches of 1000
images per product, at several photon budgets, and compares the mean test
accuracy with `physopt eval --set photonic.encoding=slm`.  The two use
different random numbers, so they agree only within the statistical error:
the accuracy of one noise realisation on N images has a standard deviation
of at most sqrt(p (1 - p) / N) (a sum of independent Bernoulli outcomes
with mean p), so the difference of two means over R realisations each is
accepted within 4 sqrt(2 p (1 - p) / (N R)).

Exit status 0 if every budget agrees, 1 if one does not, 2 on a usage or
setup error.  Run by `make test` through tests/test_photonic_numpy.c.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

DATA_DIR = os.environ.get("PHYSOPT_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")


def read_idx(path):
    """IDX file (optionally gzipped) as a numpy array (big-endian header)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(name):
    for suffix in ("", ".gz"):
        p = os.path.join(DATA_DIR, name + suffix)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(os.path.join(DATA_DIR, name))


def load_test(n):
    x = read_idx(find("t10k-images-idx3-ubyte"))[:n].reshape(n, -1).astype(np.float32) / 255.0
    y = read_idx(find("t10k-labels-idx1-ubyte"))[:n].astype(np.int64)
    return x, y


def load_model(path):
    with h5py.File(path, "r") as f:
        sizes = [int(s) for s in f.attrs["sizes"]]
        layers = [(np.array(f["layer%d/W" % l], dtype=np.float32),
                   np.array(f["layer%d/b" % l], dtype=np.float32))
                  for l in range(len(sizes) - 1)]
    return layers


def quantise(u, bits):
    levels = float(2 ** bits - 1)
    return np.rint(u * levels) / levels


def optical_product(W, X, n, t_min, bits_w, bits_in, rng):
    """One product W X (M x K times K x B, X >= 0) on the SLM processor."""
    M, K = W.shape
    lo, hi = float(W.min()), float(W.max())
    t = t_min + (1.0 - t_min) * quantise((W - lo) / (hi - lo), bits_w)
    xmax = float(X.max())
    if xmax == 0.0:
        return np.zeros((M, X.shape[1]))
    xt = quantise(X / xmax, bits_in)
    S = t.astype(np.float64) @ xt.astype(np.float64)          # M x B
    col = S.sum(axis=0)                                        # light per sample
    s = np.where(col > 0, n * M * K / np.where(col > 0, col, 1.0), 0.0)
    counts = rng.poisson(S * s)                                # shot noise
    S_hat = np.where(s > 0, counts / np.where(s > 0, s, 1.0), 0.0)
    c_a = (hi - lo) / (1.0 - t_min)
    d_a = lo - c_a * t_min
    return c_a * xmax * S_hat + d_a * xmax * xt.sum(axis=0)


def accuracy(layers, x, y, n, t_min, bits, batch, rng, optical_layers=None):
    """Test accuracy with the first optical_layers layers (default all) on
    the optical processor and the rest exact."""
    n_opt = len(layers) if optical_layers is None else optical_layers
    correct = 0
    for b0 in range(0, len(y), batch):
        h = x[b0:b0 + batch].T                                 # features x batch
        for l, (W, bias) in enumerate(layers):
            prod = optical_product(W, h, n, t_min, bits, bits, rng) if l < n_opt else W @ h
            z = prod + bias[:, None]
            h = np.maximum(z, 0.0).astype(np.float32) if l < len(layers) - 1 else z
        correct += int((h.argmax(axis=0) == y[b0:b0 + batch]).sum())
    return correct / len(y)


def physopt_sweep(exe, model, budgets, samples, repeats, t_min, seed):
    cmd = [exe, "eval", "--model", model, "--set", "photonic.encoding=slm",
           "--set", "photonic.slm_t_min=%r" % t_min,
           "--sweep-photons", ",".join("%g" % b for b in budgets),
           "--test-samples", str(samples), "--repeats", str(repeats),
           "--seed", str(seed), "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return {p["photons_per_mac"]: p["test_accuracy"] for p in json.loads(out)["sweep"]}


def train_small_model(exe, path):
    """A quickly trained 784-100-100-10 model (1 epoch, 10 000 images)."""
    subprocess.run([exe, "train", "--epochs", "1", "--train-samples", "10000",
                    "--test-samples", "1000", "--out", path], check=True,
                   capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--physopt", default="build/physopt")
    ap.add_argument("--model", help="physopt model file (default: train a small one)")
    ap.add_argument("--samples", type=int, default=5000, help="test images")
    ap.add_argument("--repeats", type=int, default=4, help="noise realisations per budget")
    ap.add_argument("--budgets", default="1,3,10,30,100", help="photons per MAC")
    ap.add_argument("--t-min", type=float, default=0.01, help="photonic.slm_t_min")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--numpy-only", action="store_true",
                    help="print the numpy model's accuracies only (no comparison)")
    ap.add_argument("--optical-layers", type=int,
                    help="with --numpy-only: only the first L layers optical, the rest exact")
    a = ap.parse_args()
    budgets = [float(b) for b in a.budgets.split(",")]
    if a.numpy_only:
        if not a.model:
            ap.error("--numpy-only needs --model")
        layers = load_model(a.model)
        x, y = load_test(a.samples)
        rng = np.random.default_rng(a.seed)
        print("photons/MAC  numpy accuracy (mean of %d)" % a.repeats)
        for n in budgets:
            acc = np.mean([accuracy(layers, x, y, n, a.t_min, 8, 1000, rng, a.optical_layers)
                           for _ in range(a.repeats)])
            print("%11g  %.4f" % (n, acc))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        model = a.model
        if not model:
            model = os.path.join(tmp, "model.h5")
            train_small_model(a.physopt, model)
        ours = physopt_sweep(a.physopt, model, budgets, a.samples, a.repeats, a.t_min, a.seed)
        layers = load_model(model)
    x, y = load_test(a.samples)
    rng = np.random.default_rng(a.seed)
    ok = True
    print("photons/MAC  physopt  numpy    diff     4 sigma  agree")
    for n in budgets:
        acc_np = np.mean([accuracy(layers, x, y, n, a.t_min, 8, 1000, rng)
                          for _ in range(a.repeats)])
        acc_po = ours[n]
        p = 0.5 * (acc_np + acc_po)
        tol = 4.0 * np.sqrt(2.0 * p * (1.0 - p) / (len(y) * a.repeats))
        agree = abs(acc_po - acc_np) <= tol
        ok &= bool(agree)
        print("%11g  %.4f   %.4f   %+.4f  %.4f   %s" % (n, acc_po, acc_np, acc_po - acc_np, tol,
                                                        "yes" if agree else "NO"))
    print("agreement within the statistical error at every budget" if ok else
          "DISAGREEMENT beyond the statistical error")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, subprocess.CalledProcessError, KeyError, ValueError) as e:
        print("photonic_numpy_check: %s" % e, file=sys.stderr)
        if isinstance(e, subprocess.CalledProcessError):
            print(e.stderr, file=sys.stderr)
        sys.exit(2)
