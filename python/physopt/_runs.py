"""physopt.evaluate, physopt.train and physopt.recall: argument marshalling
around po_eval_run, po_train_run and po_recall_run.

Each is one library call that reads the configuration, loads the data and
runs, exactly as `physopt eval`, `physopt train` and `physopt recall` do
(include/physopt/learn_run.h, include/physopt/recall_run.h): this file
only turns keyword arguments into "section.key" parameters, loads a model
file with po_mlp_load (model files are HDF5, io/, above the run code) and
copies the numbers of the result structs."""

import os
from ctypes import byref, c_char_p, c_void_p

import numpy as np

from . import _lib
from ._core import Error, _Params, _call_released, _check, _ledger_dict
from ._lib import lib


class RunResult:
    """The numbers of one eval / train / recall run, under the names of the
    command's `--json` (NaN where it prints null); to_dict() gives plain
    Python values."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def to_dict(self):
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                for k, v in self.__dict__.items()}

    def __repr__(self):
        keys = [k for k in ("command", "backend", "test_accuracy", "recall_fraction")
                if k in self.__dict__]
        return "RunResult(%s)" % ", ".join("%s=%r" % (k, self.__dict__[k]) for k in keys)


def _params(keywords, seed, threads, params):
    """run.seed, run.threads, the keyword arguments that are not None (their
    config keys given), then the params dict, which overrides them."""
    p = _Params()
    p.set("run.seed", seed)
    p.set("run.threads", threads)
    for key, v in keywords.items():
        if v is not None:
            p.set(key, v)
    for key, v in (params or {}).items():
        p.set(key, v)
    return p


class _Mlp:
    """A model read from a file (po_mlp_load names the file in its errors)."""

    def __init__(self, path):
        self.ptr = c_void_p()
        _check(lib.po_mlp_load(os.fspath(path).encode(), byref(self.ptr)))

    def __del__(self):
        if getattr(self, "ptr", None):
            lib.po_mlp_destroy(self.ptr)
            self.ptr = None


def _point(pt, prefix=""):
    return {prefix + "test_accuracy": pt.accuracy, prefix + "test_accuracy_sd": pt.accuracy_sd,
            prefix + "test_loss": pt.loss, prefix + "photons_per_mac": pt.photons,
            prefix + "energy_per_mac_j": pt.e_mac,
            prefix + "optical_energy_per_mac_j": pt.e_optical, prefix + "macs": pt.macs,
            prefix + "ledger": _ledger_dict(pt.ledger)}


def evaluate(model, *, backend="cpu", data=None, test_samples=None, batch=None, repeats=None,
             seed=1, threads=0, params=None):
    """Test accuracy of a trained model as `physopt eval --model MODEL` prints
    it (--json): model is a file from `physopt train --out` or train(out=...)
    (or "SWEEP.h5:/runs/ID/model"); data, test_samples, batch, repeats: None
    takes physopt's defaults (fashion-mnist, all test images, 1000, 1).
    Device seeds are seed, seed + 1, ... for the repeats.  params: "section.key"
    -> value as with --set (e.g. {"photonic.photons_per_mac": 3}).  The
    photon sweep (--sweep-photons) stays the command's: call evaluate once
    per photonic.photons_per_mac."""
    path = os.fspath(model)
    p = _params({"run.model": path, "run.backend": backend, "run.data": data,
                 "run.test_samples": test_samples, "run.batch": batch, "run.repeats": repeats},
                seed, threads, params)
    m = _Mlp(path)
    r = _lib.EvalResult()
    rc, msg = _call_released(lib.po_eval_run, p.p, m.ptr, byref(r))
    _check(rc, msg)
    d = {"command": "eval", "model": path, "backend": r.backend.decode(),
         "test_samples": r.test_samples}
    d.update(_point(r.point))
    d["wall_s"] = r.wall_s
    return RunResult(**d)


def _save_model(model, path, res):
    attrs = {"program": "physopt (python)", "backend": res.backend, "data": res.data,
             "layers": res.layers, "seed": str(res.seed),
             "test_accuracy": repr(res.test_accuracy)}
    keys = (c_char_p * len(attrs))(*[k.encode() for k in attrs])
    values = (c_char_p * len(attrs))(*[v.encode() for v in attrs.values()])
    _check(lib.po_mlp_save(model, os.fspath(path).encode(), len(attrs), keys, values))


def train(*, backend="cpu", data=None, layers=None, epochs=None, batch=None, optimizer=None,
          lr=None, train_samples=None, test_samples=None, init=None, out=None, seed=1,
          threads=0, params=None):
    """Trains the MLP as `physopt train` does and returns its --json numbers
    (test accuracy and loss on the same backend, energy per MAC, training
    energy and time) plus train_loss / train_accuracy of the last epoch.
    None takes physopt's defaults (784-100-100-10, 10 epochs, batch 64,
    adam, lr 1e-3, fashion-mnist).  init: a model file to fine-tune.  out:
    write the trained model there (readable by evaluate and `physopt eval`).
    Ctrl-C stops between minibatches and raises KeyboardInterrupt."""
    p = _params({"run.backend": backend, "run.data": data, "run.layers": layers,
                 "run.epochs": epochs, "run.batch": batch, "run.optimizer": optimizer,
                 "run.lr": lr, "run.train_samples": train_samples,
                 "run.test_samples": test_samples,
                 "run.init": os.fspath(init) if init is not None else None},
                seed, threads, params)
    m = _Mlp(init) if init is not None else None
    r = _lib.TrainRunResult()
    try:
        rc, msg = _call_released(lib.po_train_run, p.p, m.ptr if m else None, None, None,
                                 byref(r))
        _check(rc, msg)
        c, t = r.config, r.train
        d = {"command": "train", "backend": c.backend.decode(), "data": c.data.decode(),
             "layers": c.layers.decode(), "epochs": c.epochs, "train_samples": t.train_samples,
             "test_samples": r.test_samples}
        d.update(_point(t.test))
        d.update({"train_energy_j": t.train_joules, "train_s": t.train_s, "wall_s": r.wall_s,
                  "train_loss": t.train_loss, "train_accuracy": t.train_accuracy,
                  "seed": r.seed, "model": os.fspath(out) if out is not None else None})
        res = RunResult(**d)
        if out is not None:
            _save_model(t.model, out, res)
        return res
    finally:
        lib.po_train_run_free(byref(r))


def recall(*, backend="cpu", spins=None, patterns=None, rule=None, dynamics=None,
           corruption=None, trials=None, max_sweeps=None, seed=1, threads=0, params=None):
    """One associative-memory experiment as `physopt recall` runs it (without
    --capacity-sweep): stores `patterns` random memories in `spins` neurons
    with `rule`, corrupts each into `trials` cues and relaxes them with
    `dynamics` on the backend.  Returns the --json numbers (overlap_mean,
    overlap_std, recall_fraction, flips_mean, wall_s, device_s, energy_j,
    ledger ...) and `overlaps` (patterns x trials, numpy).  None takes
    physopt's defaults (500 spins, 25 patterns, hebbian, glauber, 0.1, 4)."""
    p = _params({"run.backend": backend, "run.spins": spins, "run.patterns": patterns,
                 "run.rule": rule, "run.dynamics": dynamics, "run.corruption": corruption,
                 "run.trials": trials, "run.max_sweeps": max_sweeps}, seed, threads, params)
    r = _lib.RecallResult()
    try:
        rc, msg = _call_released(lib.po_recall_run, p.p, byref(r))
        _check(rc, msg)
        st, led = r.stats, r.ledger
        overlaps = np.ctypeslib.as_array(r.overlaps, shape=(r.patterns * r.trials_per_pattern,))
        ledger = _ledger_dict(led)
        return RunResult(
            command="recall", backend=r.backend.decode(), rule=r.rule.decode(),
            dynamics=r.dynamics.decode(), spins=r.spins, patterns=r.patterns, alpha=r.alpha,
            corruption=r.corruption, trials=st.trials, seed=r.seed,
            overlap_mean=st.overlap_mean, overlap_std=st.overlap_std,
            recall_fraction=st.recall_fraction, flips_mean=st.flips_mean, wall_s=led.wall_s,
            device_s=led.device_s, energy_j=sum(v["joules"] for v in ledger.values()),
            ledger=ledger,
            overlaps=overlaps.reshape(r.patterns, r.trials_per_pattern).copy())
    finally:
        lib.po_recall_result_free(byref(r))
