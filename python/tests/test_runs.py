"""physopt.evaluate / train / recall against the commands they mirror:
the same arguments must give the numbers `physopt eval|train|recall
--json` prints (the binary is run from the test), errors must carry
physopt's message naming the parameter or the file, and a stop request
(Ctrl-C) must end the long loops early."""
import json
import os
import struct
import subprocess
import threading
import time
import _thread

import numpy as np
import pytest

import physopt
from conftest import CLI


def write_idx(d, prefix, n, rng):
    """A tiny learnable data set in the MNIST file layout: 8x8 images whose
    row (label mod 8) is bright."""
    y = rng.integers(0, 10, size=n).astype(np.uint8)
    x = (rng.random((n, 8, 8)) * 60).astype(np.uint8)
    x[np.arange(n), y % 8, :] = 250
    with open(os.path.join(d, prefix + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 8, 8) + x.tobytes())
    with open(os.path.join(d, prefix + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + y.tobytes())


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("idx"))
    rng = np.random.default_rng(0)
    write_idx(d, "train", 400, rng)
    write_idx(d, "t10k", 150, rng)
    return d


def cli_json(command, *args):
    p = subprocess.run([CLI, command, "--quiet", "--json"] + [str(a) for a in args],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def cli_error(command, *args):
    p = subprocess.run([CLI, command, "--quiet"] + [str(a) for a in args], capture_output=True,
                       text=True)
    assert p.returncode != 0
    return p.stderr


def assert_same(r, j, keys):
    """Every key the JSON holds, equal to the last bit (null = NaN)."""
    d = r.to_dict()
    for k in keys:
        a, b = d[k], j[k]
        if b is None:
            assert a is None or (isinstance(a, float) and np.isnan(a)), k
        else:
            assert a == b, (k, a, b)


LEARN_KEYS = ("backend", "test_samples", "test_accuracy", "test_loss", "photons_per_mac",
              "energy_per_mac_j")
TRAIN_KEYS = LEARN_KEYS + ("command", "data", "layers", "epochs", "train_samples",
                           "train_energy_j")
EVAL_KEYS = LEARN_KEYS + ("command", "test_accuracy_sd", "optical_energy_per_mac_j")
RECALL_KEYS = ("backend", "rule", "dynamics", "spins", "patterns", "alpha", "corruption", "trials",
               "seed", "overlap_mean", "overlap_std", "recall_fraction", "flips_mean")


@pytest.fixture(scope="module")
def model(data, tmp_path_factory):
    """A model trained by the CLI (the file evaluate reads)."""
    out = str(tmp_path_factory.mktemp("model") / "m.h5")
    cli_json("train", "--data", data, "--layers", "64-24-10", "--epochs", 4, "--batch", 32,
             "--lr", 0.01, "--out", out)
    return out


@pytest.mark.parametrize("backend,extra", [("cpu", {}),
                                           ("photonic", {"photonic.photons_per_mac": 5})])
def test_train_matches_cli(data, tmp_path, backend, extra):
    args = ["--data", data, "--layers", "64-16-10", "--epochs", 3, "--batch", 32,
            "--optimizer", "sgd", "--lr", 0.05, "--seed", 4, "--backend", backend,
            "--out", tmp_path / "cli.h5"]
    for k, v in extra.items():
        args += ["--set", "%s=%s" % (k, v)]
    j = cli_json("train", *args)
    r = physopt.train(data=data, layers="64-16-10", epochs=3, batch=32, optimizer="sgd", lr=0.05,
                      seed=4, backend=backend, params=extra, out=tmp_path / "py.h5")
    assert_same(r, j, TRAIN_KEYS)
    assert 0 <= r.train_accuracy <= 1 and np.isfinite(r.train_loss)
    # the two model files hold the same weights
    a = physopt.read_results(str(tmp_path / "cli.h5"))
    b = physopt.read_results(str(tmp_path / "py.h5"))
    for layer in ("layer0", "layer1"):
        np.testing.assert_array_equal(a[layer]["W"], b[layer]["W"])
        np.testing.assert_array_equal(a[layer]["b"], b[layer]["b"])


def test_train_learns_and_evaluate_reads_its_model(data, tmp_path):
    r = physopt.train(data=data, layers="64-24-10", epochs=6, batch=32, lr=0.01,
                      out=tmp_path / "m.h5")
    assert r.test_accuracy > 0.5  # chance is 0.1
    e = physopt.evaluate(tmp_path / "m.h5", data=data)
    assert (e.test_accuracy, e.test_loss) == (r.test_accuracy, r.test_loss)
    j = cli_json("eval", "--model", tmp_path / "m.h5", "--data", data)
    assert_same(e, j, EVAL_KEYS)


@pytest.mark.parametrize("backend,kw,sets", [
    ("cpu", {}, {}),
    ("cpu", {"test_samples": 70, "batch": 16}, {}),
    ("photonic", {"repeats": 3}, {"photonic.photons_per_mac": 2.5}),
])
def test_evaluate_matches_cli(data, model, backend, kw, sets):
    args = ["--model", model, "--data", data, "--backend", backend, "--seed", 9]
    for k, v in kw.items():
        args += ["--" + k.replace("_", "-"), v]
    for k, v in sets.items():
        args += ["--set", "%s=%s" % (k, v)]
    j = cli_json("eval", *args)
    r = physopt.evaluate(model, data=data, backend=backend, seed=9, params=sets, **kw)
    assert_same(r, j, EVAL_KEYS)
    if backend == "photonic":
        assert r.photons_per_mac == 2.5 and r.test_accuracy_sd >= 0
        assert r.ledger["macs"]["count"] > 0


@pytest.mark.parametrize("kw", [
    dict(spins=120, patterns=8, trials=3, seed=5),
    dict(spins=60, patterns=20, rule="pseudoinverse", dynamics="steepest", corruption=0.2),
    dict(backend="cavity", spins=24, patterns=2, trials=2, dynamics="semiclassical",
         params={"cavity.integrator": "sde", "cavity.sde_steps": 400}),
])
def test_recall_matches_cli(kw):
    kw = dict(kw)
    params = kw.pop("params", {})
    args = []
    for k, v in kw.items():
        args += ["--" + k.replace("_", "-"), v]
    for k, v in params.items():
        args += ["--set", "%s=%s" % (k, v)]
    j = cli_json("recall", *args)
    r = physopt.recall(params=params, **kw)
    assert_same(r, j, RECALL_KEYS)
    assert set(r.ledger) == set(j["ledger"])
    for k, e in r.ledger.items():
        assert e["count"] == j["ledger"][k]["count"], k
    assert r.overlaps.shape == (r.patterns, r.trials // r.patterns)
    assert r.overlaps.mean() == pytest.approx(r.overlap_mean)
    json.dumps(r.to_dict(), allow_nan=True)


def test_errors_name_the_parameter(data, model):
    with pytest.raises(physopt.Error, match="unknown parameter run.nosuch") as e:
        physopt.evaluate(model, data=data, params={"run.nosuch": 1})
    assert e.value.code == physopt._lib.PO_ERR_NOT_FOUND
    with pytest.raises(physopt.Error, match=r"run.repeats = 0.*range"):
        physopt.evaluate(model, data=data, repeats=0)
    with pytest.raises(physopt.Error, match="run.sweep_photons"):
        physopt.evaluate(model, data=data, params={"run.sweep_photons": "1,2"})
    with pytest.raises(physopt.Error, match="cim.sigma is a setting of backend cim"):
        physopt.evaluate(model, data=data, params={"cim.sigma": 0.1})
    with pytest.raises(physopt.Error, match="unknown backend 'nosuch'"):
        physopt.train(backend="nosuch", data=data)
    with pytest.raises(physopt.Error, match="run.quant_w_bits = 1"):
        physopt.train(data=data, params={"run.quant_w_bits": 1})
    with pytest.raises(physopt.Error, match=r"run.epochs = -1.*range"):
        physopt.train(data=data, epochs=-1)
    with pytest.raises(physopt.Error, match="run.layers"):
        physopt.train(data=data, layers="64-x-10")
    with pytest.raises(physopt.Error, match="run.rule"):
        physopt.recall(rule="nosuch")
    with pytest.raises(physopt.Error, match="pseudoinverse rule needs P < N"):
        physopt.recall(spins=10, patterns=10, rule="pseudoinverse")
    with pytest.raises(physopt.Error, match="run.capacity_sweep"):
        physopt.recall(params={"run.capacity_sweep": "0.05:0.1:0.05"})
    with pytest.raises(physopt.Error, match="unknown backend 'nosuch'"):
        physopt.recall(backend="nosuch")
    with pytest.raises(physopt.Error, match="run.task = anneal"):
        physopt.recall(params={"run.task": "anneal"})
    # the same messages as the command's
    assert "run.rule" in cli_error("recall", "--rule", "nosuch")


def test_bad_paths_name_the_file(data, model, tmp_path):
    missing = str(tmp_path / "missing-model.h5")
    with pytest.raises(physopt.Error, match="missing-model.h5"):
        physopt.evaluate(missing, data=data)
    nodata = str(tmp_path / "no-such-dir")
    with pytest.raises(physopt.Error, match="no-such-dir"):
        physopt.evaluate(model, data=nodata)
    with pytest.raises(physopt.Error, match="no-such-dir"):
        physopt.train(data=nodata)
    with pytest.raises(physopt.Error, match="missing-init.h5"):
        physopt.train(data=data, init=tmp_path / "missing-init.h5")
    # fine-tuning needs the same layer sizes
    with pytest.raises(physopt.Error, match="layer sizes differ"):
        physopt.train(data=data, layers="64-10", init=model)
    r = physopt.train(data=data, layers="64-24-10", epochs=1, init=model)
    assert r.test_accuracy > 0.5


def interrupt_after(seconds, fn, **kw):
    """Calls fn(**kw) and sends Ctrl-C to this (main) thread after `seconds`;
    returns the time the call took to raise KeyboardInterrupt."""
    t = threading.Timer(seconds, _thread.interrupt_main)
    t0 = time.monotonic()
    t.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            fn(**kw)
    finally:
        t.cancel()
        t.join()
    return time.monotonic() - t0


def test_ctrl_c_stops_training_between_minibatches(data):
    # 10^5 epochs (the maximum) take a minute or more; stopped after 0.5 s it must return at once
    took = interrupt_after(0.5, physopt.train, data=data, layers="64-24-10", epochs=100000)
    assert took < 5
    assert physopt.train(data=data, layers="64-10", epochs=1).epochs == 1


# Sizes that run for minutes when the loop ignores the stop request (about
# 40 s per tenth of them on the shared 2-core VM), so that a regression
# fails the time bound instead of hanging the suite for hours.
@pytest.mark.parametrize("kw", [
    dict(algorithm="dsb", steps=10**6),                          # simulated bifurcation
    dict(algorithm="pt", steps=10**5, replicas=1, threads=2),    # PT, chains shared out
    dict(backend="cim", algorithm="mfcim", steps=10**5),
])
def test_ctrl_c_stops_long_anneals(kw):
    took = interrupt_after(0.5, physopt.solve, problem="sk:200:1", **kw)
    assert took < 5


def test_ctrl_c_stops_cavity_dynamics():
    took = interrupt_after(0.5, physopt.recall, backend="cavity", spins=40, patterns=2,
                           trials=50, dynamics="semiclassical",
                           params={"cavity.integrator": "sde", "cavity.sde_steps": 10**5})
    assert took < 5


def _pending_stop(fn, *args):
    """Runs fn with the stop flag already set: the loop must stop at its first
    poll and the call fail with PO_ERR_INTERRUPTED."""
    from physopt import _lib
    _lib.lib.po_request_stop()
    try:
        rc = fn(*args)
        msg = _lib.lib.po_last_error().decode()
    finally:
        _lib.lib.po_clear_stop()
    return rc, msg


@pytest.mark.parametrize("backend,algorithm,extra", [
    ("cpu", "bsb", {}), ("cpu", "asb", {}),
    ("cpu", "pt", {"run.replicas": 1, "run.threads": 2, "run.steps": 10**6}),
    ("cim", "mfcim", {"run.steps": 10**6}), ("cim", "adiabatic", {"run.steps": 10**5}),
    ("cim", "kpo", {"run.steps": 3 * 10**6}),  # ~25 s unpolled
    ("cavity", "semiclassical", {"run.steps": 10**6, "cavity.integrator": "sde"}),
])
def test_a_pending_stop_request_ends_the_other_loops(backend, algorithm, extra):
    from physopt import _core, _lib
    p = _core._Params()
    sets = {"problem.spec": "sk:64:1", "run.backend": backend, "run.algorithm": algorithm,
            "run.replicas": 4, "run.steps": 10**7}
    sets.update(extra)
    for k, v in sets.items():
        p.set(k, v)
    s = _core.c_void_p()
    t0 = time.monotonic()
    try:
        rc, msg = _pending_stop(_lib.lib.po_solve_run, p.p, None, _core.byref(s))
    finally:
        _lib.lib.po_solve_free(s)
    assert rc == _lib.PO_ERR_INTERRUPTED and "interrupted" in msg
    assert time.monotonic() - t0 < 5


def test_a_pending_stop_request_ends_training_and_recall(data):
    from physopt import _core, _lib
    p = _core._Params()
    for k, v in (("run.data", data), ("run.layers", "64-10"), ("run.epochs", 100000)):
        p.set(k, v)
    r = _lib.TrainRunResult()
    rc, msg = _pending_stop(_lib.lib.po_train_run, p.p, None, None, None, _core.byref(r))
    _lib.lib.po_train_run_free(_core.byref(r))
    assert rc == _lib.PO_ERR_INTERRUPTED and "training was stopped" in msg
    q = _core._Params()
    for k, v in (("run.backend", "cavity"), ("run.spins", 30), ("run.patterns", 2),
                 ("run.dynamics", "semiclassical")):
        q.set(k, v)
    rr = _lib.RecallResult()
    rc, msg = _pending_stop(_lib.lib.po_recall_run, q.p, _core.byref(rr))
    _lib.lib.po_recall_result_free(_core.byref(rr))
    assert rc == _lib.PO_ERR_INTERRUPTED and "interrupted" in msg


def test_a_pending_stop_request_ends_evaluation(data, model):
    # evaluation polls once per batch: with the flag set it fails at the first
    # batch instead of returning an accuracy computed while a stop was pending
    from physopt import _core, _lib, _runs
    p = _core._Params()
    for k, v in (("run.model", model), ("run.data", data), ("run.batch", 10)):
        p.set(k, v)
    m = _runs._Mlp(model)
    r = _lib.EvalResult()
    rc, msg = _pending_stop(_lib.lib.po_eval_run, p.p, m.ptr, _core.byref(r))
    assert rc == _lib.PO_ERR_INTERRUPTED and "evaluation was stopped" in msg
