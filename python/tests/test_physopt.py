"""Tests of the Python binding against things that can fail: the CLI's
own numbers for the same arguments (`physopt solve --out`), exhaustive
enumeration of small instances, energies recomputed in numpy, and
physopt's error messages."""
import itertools
import json
import os
import subprocess
import threading
import time
import _thread

import numpy as np
import pytest

import physopt
from conftest import CLI, DATA


def cli_solve(tmp_path, *args):
    """physopt solve with --json and --out; returns (json, samples from the file)."""
    out = str(tmp_path / "run.h5")
    p = subprocess.run([CLI, "solve", "--quiet", "--json", "--force", "--out", out] + list(args),
                       check=True, capture_output=True, text=True)
    f = physopt.read_results(out)
    return json.loads(p.stdout), f


def assert_same_as_cli(r, j, f):
    np.testing.assert_array_equal(r.spins, f["samples"]["spins"])
    np.testing.assert_array_equal(r.energies, f["samples"]["energy"])
    np.testing.assert_array_equal(r.best_spins, np.array(j["best_spins"], dtype=np.int8))
    assert r.best_energy == j["best_energy"]
    assert r.mean_energy == j["mean_energy"]
    assert (r.algorithm, r.steps, r.replicas, r.schedule) == (j["algorithm"], j["steps"],
                                                               j["replicas"], j["schedule"])
    for k in ("success_probability", "best_cut", "target_energy"):
        a, b = getattr(r, k), j[k]
        assert (b is None and np.isnan(a)) or a == b, k
    assert set(r.ledger) == set(j["ledger"])
    for k, e in r.ledger.items():
        assert e["count"] == j["ledger"][k]["count"], k


def test_spec_matches_cli_with_defaults(tmp_path):
    # steps and algorithm left to the defaults on both sides
    j, f = cli_solve(tmp_path, "--problem", "sk:48:3", "--replicas", "16", "--seed", "7")
    r = physopt.solve("sk:48:3", replicas=16, seed=7)
    assert_same_as_cli(r, j, f)


def test_file_with_known_ground_matches_cli(tmp_path):
    path = os.path.join(DATA, "sk", "SK1_N100_0.txt")
    if not os.path.exists(path):
        pytest.skip("no shared data at %s" % DATA)
    args = ["--problem", path, "--replicas", "8", "--steps", "400", "--algorithm", "pt"]
    j, f = cli_solve(tmp_path, *args)
    r = physopt.solve(path, replicas=8, steps=400, algorithm="pt")
    assert r.target_note == "known ground energy"
    assert_same_as_cli(r, j, f)


def test_numpy_matrix_matches_cli_on_npy_file(tmp_path):
    rng = np.random.default_rng(5)
    n = 40
    J = np.triu(rng.integers(-3, 4, size=(n, n)).astype(float), 1)
    J = J + J.T
    np.save(tmp_path / "J.npy", J)
    args = ["--problem", str(tmp_path / "J.npy"), "--replicas", "8", "--steps", "300",
            "--backend", "cim", "--set", "cim.sigma=0.05"]
    j, f = cli_solve(tmp_path, *args)
    r = physopt.solve(J, backend="cim", replicas=8, steps=300, params={"cim.sigma": 0.05})
    assert_same_as_cli(r, j, f)
    # and the sparse form gives the same model, hence the same run
    sp = pytest.importorskip("scipy.sparse")
    r2 = physopt.solve(sp.csr_matrix(J), backend="cim", replicas=8, steps=300,
                       params={"cim.sigma": 0.05})
    np.testing.assert_array_equal(r.spins, r2.spins)


def energies(J, h, S):
    return 0.5 * np.einsum("ri,ij,rj->r", S, J, S) + S @ h


def all_states(n):
    return np.array(list(itertools.product((-1, 1), repeat=n)), dtype=np.int8)


def test_ground_state_of_small_instances_by_enumeration():
    rng = np.random.default_rng(11)
    for n in (8, 12):
        J = np.triu(rng.integers(-5, 6, size=(n, n)).astype(float), 1)
        J = J + J.T
        h = rng.integers(-3, 4, size=n).astype(float)
        ground = energies(J, h, all_states(n).astype(float)).min()
        r = physopt.solve(J, h, replicas=32, steps=2000)
        assert r.spins.shape == (32, n) and r.spins.dtype == np.int8
        np.testing.assert_allclose(r.energies, energies(J, h, r.spins.astype(float)), atol=1e-9)
        assert r.best_energy == pytest.approx(ground)


def test_qubo_energies_include_offset_and_reach_the_minimum():
    rng = np.random.default_rng(3)
    n = 10
    Q = rng.integers(-4, 5, size=(n, n)).astype(float)  # not symmetric: Q_ij and Q_ji add
    offset = 2.5
    ss = physopt.solve_qubo(Q, offset=offset, replicas=16, steps=2000)
    X = ss.states.astype(float)
    assert set(np.unique(ss.states)) <= {0, 1}
    f = np.einsum("ri,ij,rj->r", X, Q, X) + offset
    np.testing.assert_allclose(ss.energies, f, atol=1e-9)
    Xall = (all_states(n).astype(float) + 1) / 2
    fmin = (np.einsum("ri,ij,rj->r", Xall, Q, Xall) + offset).min()
    assert ss.first[1] == pytest.approx(fmin)
    # dict form, dimod style: {(u, v): bias}
    D = {("a", "a"): -1.0, ("a", "b"): 2.0, ("b", "b"): -1.0, ("b", "a"): 0.5}
    s2 = physopt.solve_qubo(D, offset=1.0, replicas=8, steps=200)
    sample, e = s2.first
    assert e == pytest.approx(0.0) and sample in ({"a": 1, "b": 0}, {"a": 0, "b": 1})


def test_sample_ising_dimod_dicts():
    h = {"x": 0.5, "y": 0.0}
    J = {("x", "y"): -1.0, ("y", "z"): 1.0, ("z", "y"): 1.0}  # (y,z) twice: 2.0
    ss = physopt.sample_ising(h, J, replicas=8, steps=200)
    assert ss.variables == ["x", "y", "z"]
    for s, e in zip(ss.samples(), ss.energies):
        want = 0.5 * s["x"] - s["x"] * s["y"] + 2.0 * s["y"] * s["z"]
        assert e == pytest.approx(want)
    assert ss.first[1] == pytest.approx(-3.5)


def test_errors_carry_physopts_message(tmp_path):
    with pytest.raises(physopt.Error, match="unknown backend"):
        physopt.solve("sk:8:1", backend="nosuch")
    with pytest.raises(physopt.Error, match=r"run.replicas = 0 .*range"):
        physopt.solve("sk:8:1", replicas=0)
    with pytest.raises(physopt.Error, match="unknown parameter cpu.nosuch"):
        physopt.solve("sk:8:1", params={"cpu.nosuch": 1})
    missing = str(tmp_path / "missing.txt")
    with pytest.raises(physopt.Error, match="missing.txt"):
        physopt.solve(missing)
    with pytest.raises(physopt.Error, match="not symmetric"):
        physopt.solve(np.array([[0.0, 1.0], [2.0, 0.0]]))
    with pytest.raises(physopt.Error, match="algorithm"):
        physopt.solve("sk:8:1", algorithm="nosuch")


def test_backends_lists_the_defaults_solve_uses(tmp_path):
    bs = {b["name"]: b for b in physopt.backends()}
    assert {"cpu", "cim"} <= set(bs)
    cim = bs["cim"]
    first = cim["algorithms"][0]
    keys = {s["key"]: s for s in cim["parameters"]["cim"]}
    assert keys and all("help" in s and "default" in s for s in keys.values())
    r = physopt.solve("sk:16:1", backend="cim", replicas=2, steps=None)
    assert (r.algorithm, r.steps) == (first["name"], first["default_steps"])


def test_ctrl_c_stops_a_long_call_and_the_next_call_works():
    # Ctrl-C every 0.5 s until the call has raised.  One press at a fixed
    # time could land before the call starts, in Python code where CPython
    # drops it (an exception inside a __del__ is only printed): the call
    # then ran its 10^9 steps and the suite hung (seen on a loaded machine).
    raised = threading.Event()

    def press_until_raised():
        while not raised.wait(0.5):
            _thread.interrupt_main()

    t = threading.Thread(target=press_until_raised)
    t.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            physopt.solve("sk:300:1", replicas=64, steps=10**9)  # hours unless stopped
    finally:
        raised.set()
        _absorb_late_presses(t)
    r = physopt.solve("sk:16:1", replicas=2, steps=50)
    assert r.spins.shape == (2, 16)


def _absorb_late_presses(presser):
    """A press sent just before `presser` saw the flag arrives after the
    call raised; it must not fail the rest of the test."""
    while True:
        try:
            presser.join()
            time.sleep(0.1)  # a pending interrupt is raised by now
            return
        except KeyboardInterrupt:
            continue


def test_gil_is_released_during_the_call():
    count = [0]
    running = threading.Event()
    done = threading.Event()

    def spin():
        running.set()
        while not done.is_set():
            count[0] += 1

    th = threading.Thread(target=spin)
    th.start()
    running.wait()
    before = count[0]
    physopt.solve("sk:200:1", replicas=64, steps=3000)
    during = count[0] - before
    done.set()
    th.join()
    # a held GIL would let the counter advance only between Python bytecodes
    # of the caller's join loop, not through the C call
    assert during > 1000


def test_result_to_dict_is_json_serialisable():
    r = physopt.solve("sk:12:1", replicas=4, steps=100)
    d = r.to_dict()
    json.dumps(d, allow_nan=True)
    assert d["best_energy"] == r.best_energy and len(d["spins"]) == 4


@pytest.mark.parametrize("spec,backend,extra", [
    ("sk:64:1", "cpu", ()), ("sk:64:1:pm", "cpu", ()), ("sk:64:1", "cim", ()),
    # general kernel, integer couplings: acceptance tables built in chunks
    ("sk:64:1:pm", "cpu", (("cpu.kernel", "general"),))])
def test_a_pending_stop_request_ends_the_anneal_loops(spec, backend, extra):
    # The flag set before the call: each anneal loop (cpu general and
    # multispin kernels, cim) must stop at its first poll instead of running
    # 10^10 steps, and the run must fail with PO_ERR_INTERRUPTED.  The time
    # bound is a liveness check, not a performance one: the chunked general
    # kernel used to go on filling the tables of every remaining chunk
    # (7.8 s per 10^7 sweeps here, i.e. hours for 10^10); stopped, it
    # returns in ~0.02 s.
    from physopt import _core, _lib
    p = _core._Params()
    for k, v in (("problem.spec", spec), ("run.backend", backend), ("run.replicas", 4),
                 ("run.steps", 10**10)) + extra:
        p.set(k, v)
    s, out, done = _core.c_void_p(), {}, threading.Event()

    def call():
        out["rc"] = _lib.lib.po_solve_run(p.p, None, _core.byref(s))
        out["msg"] = _lib.lib.po_last_error().decode()
        done.set()

    _lib.lib.po_request_stop()
    threading.Thread(target=call, daemon=True).start()
    assert done.wait(60), "a stop request did not end the anneal within 60 s"
    _lib.lib.po_clear_stop()
    _lib.lib.po_solve_free(s)
    assert out["rc"] == _lib.PO_ERR_INTERRUPTED and "interrupted" in out["msg"]
