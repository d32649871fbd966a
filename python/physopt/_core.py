"""physopt.solve and friends: argument marshalling around po_solve_run.

Everything that decides a number (defaults, target, schedule, the anneal,
the metrics) happens in libphysopt through the same functions `physopt
solve` calls (include/physopt/run.h); this file only converts Python
arguments into parameters and a model, and the result back."""

import ctypes
import os
import threading
from ctypes import byref, c_double, c_int32, c_void_p

import numpy as np

from . import _lib
from ._lib import lib


class Error(RuntimeError):
    """A libphysopt error; str() is physopt's message, .code its status."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _check(rc, message=None):
    if rc:
        msg = message if message is not None else lib.po_last_error().decode()
        if rc == _lib.PO_ERR_INTERRUPTED:
            raise KeyboardInterrupt(msg)
        raise Error(rc, msg)


def _call_released(fn, *args):
    """Runs fn(*args) in a worker thread (ctypes drops the GIL for the call)
    and returns (rc, message).  Ctrl-C in the main thread asks the library to
    stop (po_request_stop), waits for the call to return and re-raises
    KeyboardInterrupt.  The message is read in the worker, where the library
    recorded it (po_last_error is per thread)."""
    out = {}
    running, done = threading.Event(), threading.Event()

    def work():
        running.set()
        try:
            rc = fn(*args)
            out["rc"], out["msg"] = rc, (lib.po_last_error().decode() if rc else "")
        finally:
            done.set()

    lib.po_clear_stop()
    # An Event, not Thread.join: a join interrupted by KeyboardInterrupt can
    # leave the thread marked finished while it still runs (CPython), and the
    # caller would then free what the library is using.  start() is inside
    # the try: a Ctrl-C while it waits for the new thread must stop the call
    # too, not leave it running unobserved.
    try:
        threading.Thread(target=work, name="physopt", daemon=True).start()
        while not done.wait(0.05):
            pass
    except KeyboardInterrupt:
        lib.po_request_stop()
        _wait_if_started(running, done)
        lib.po_clear_stop()
        raise
    return out["rc"], out["msg"]


def _wait_if_started(running, done):
    """After a stop request: waits for the worker to return.  A Ctrl-C
    inside Thread.start() may come before or after the thread was
    launched; a launched worker sets `running` at once (1 s allows for a
    loaded machine), one never launched never does."""
    started = False
    while True:
        try:
            started = started or running.wait(1.0)
            if started:
                done.wait()
            return
        except KeyboardInterrupt:  # a second Ctrl-C: already stopping
            continue


def _text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


class _Params:
    def __init__(self):
        self.p = c_void_p()
        _check(lib.po_params_create(byref(self.p)))

    def set(self, key, value):
        _check(lib.po_params_set(self.p, key.encode(), _text(value).encode()))

    def __del__(self):
        if getattr(self, "p", None):
            lib.po_params_destroy(self.p)
            self.p = None


class _Model:
    """An owned po_ising built from numpy / scipy / dict input."""

    def __init__(self, ptr):
        self.ptr = ptr

    def __del__(self):
        if getattr(self, "ptr", None):
            lib.po_ising_destroy(self.ptr)
            self.ptr = None


_STORAGE = {"auto": -1, "dense": 0, "csr": 1}


def _load_opts(params):
    storage = (params or {}).get("problem.storage", "auto")
    if storage not in _STORAGE:
        raise Error(_lib.PO_ERR_ARG, "problem.storage = '%s' is not one of auto|dense|csr" %
                    storage)
    return _lib.LoadOpts(0, _STORAGE[storage], None)


def _from_edges(n, ei, ej, w, h, opts):
    ei = np.ascontiguousarray(ei, dtype=np.int32)
    ej = np.ascontiguousarray(ej, dtype=np.int32)
    w = np.ascontiguousarray(w, dtype=np.float64)
    hp = None
    if h is not None:
        h = np.ascontiguousarray(np.asarray(h, dtype=np.float64).ravel())
        if h.shape[0] != n:
            raise Error(_lib.PO_ERR_ARG, "h has %d entries, the couplings are %d x %d" %
                        (h.shape[0], n, n))
        hp = h.ctypes.data_as(ctypes.POINTER(c_double))
    out = c_void_p()
    _check(lib.po_ising_from_edges(n, len(w), ei.ctypes.data_as(ctypes.POINTER(c_int32)),
                                   ej.ctypes.data_as(ctypes.POINTER(c_int32)),
                                   w.ctypes.data_as(ctypes.POINTER(c_double)), hp, byref(opts),
                                   byref(out)))
    return _Model(out)


def _is_sparse(x):
    return hasattr(x, "tocoo") and hasattr(x, "nnz")


def _model_from_matrix(J, h, opts):
    """Upper-triangle edges of a symmetric J with zero diagonal (the convention
    of include/physopt/problem.h: E = sum_{i<j} J_ij s_i s_j + sum_i h_i s_i)."""
    if _is_sparse(J):
        if J.shape[0] != J.shape[1]:
            raise Error(_lib.PO_ERR_ARG, "J is %d x %d, not square" % J.shape)
        coo = J.tocoo()
        asym = abs(J - J.T)
        if asym.nnz and asym.max() != 0:
            raise Error(_lib.PO_ERR_ARG, "J (scipy.sparse) is not symmetric")
        if np.any((coo.row == coo.col) & (coo.data != 0)):
            raise Error(_lib.PO_ERR_ARG, "J has a nonzero diagonal; put fields in h")
        coo.sum_duplicates()
        keep = (coo.row < coo.col) & (coo.data != 0)
        return _from_edges(J.shape[0], coo.row[keep], coo.col[keep], coo.data[keep], h, opts)
    J = np.asarray(J, dtype=np.float64)
    if J.ndim != 2 or J.shape[0] != J.shape[1]:
        raise Error(_lib.PO_ERR_ARG, "J must be a square matrix, got shape %s" % (J.shape,))
    if not np.array_equal(J, J.T):
        i, j = np.argwhere(J != J.T)[0]
        raise Error(_lib.PO_ERR_ARG, "J is not symmetric: J[%d,%d] = %g but J[%d,%d] = %g" %
                    (i, j, J[i, j], j, i, J[j, i]))
    if np.any(np.diag(J) != 0):
        i = int(np.flatnonzero(np.diag(J))[0])
        raise Error(_lib.PO_ERR_ARG, "J[%d,%d] = %g: the diagonal must be zero; put fields in h"
                    % (i, i, J[i, i]))
    ei, ej = np.nonzero(np.triu(J, 1))
    return _from_edges(J.shape[0], ei, ej, J[ei, ej], h, opts)


class Result:
    """The outcome of one solve; numbers as `physopt solve --json` prints them."""

    _SCALARS = ("best_energy", "best_cut", "mean_energy", "median_energy", "target_energy",
                "success_probability", "tts99_s", "residual_energy", "approx_ratio", "wall_s",
                "device_s", "run_s", "energy_j")

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def to_dict(self):
        d = {}
        for k, v in self.__dict__.items():
            d[k] = v.tolist() if isinstance(v, np.ndarray) else v
        return d

    def __repr__(self):
        return ("Result(backend=%r, algorithm=%r, n=%d, replicas=%d, best_energy=%.10g, "
                "success_probability=%.4g)" % (self.backend, self.algorithm, self.n,
                                               self.replicas, self.best_energy,
                                               self.success_probability))


def _ledger_dict(led):
    """A po_ledger as {category: {"count", "unit", "joules"}}, as --json prints it."""
    return {e.category.decode(): {"count": e.count, "unit": e.unit.decode(), "joules": e.joules}
            for e in led.e[:led.n]}


def _result(s):
    smp = lib.po_solve_samples(s).contents
    met = lib.po_solve_metrics(s).contents
    led = lib.po_solve_ledger(s).contents
    R, n = smp.replicas, smp.n
    spins = np.ctypeslib.as_array(smp.spins, shape=(R * n,)).reshape(R, n).copy()
    energies = np.ctypeslib.as_array(smp.energy, shape=(R,)).copy()
    best = int(np.argmin(energies))  # first of equal energies, as the CLI
    ledger = _ledger_dict(led)
    text = lambda w: lib.po_solve_text(s, w.encode()).decode()
    num = lambda w: lib.po_solve_number(s, w.encode())
    return Result(
        backend=text("backend"), algorithm=text("algorithm"), schedule=text("schedule"),
        target_note=text("target"), n=n, replicas=R, steps=int(num("steps")),
        seed=int(num("seed")), threads=int(num("threads")),
        spins=spins, energies=energies, best_spins=spins[best].copy(),
        best_energy=met.best_energy, best_cut=met.best_cut, mean_energy=met.mean_energy,
        median_energy=met.median_energy,
        target_energy=met.target_energy if met.has_target else float("nan"),
        success_probability=met.success_probability, tts99_s=met.tts99_s,
        residual_energy=met.residual_energy, approx_ratio=met.approx_ratio,
        wall_s=led.wall_s, device_s=led.device_s, run_s=led.run_s,
        energy_j=sum(v["joules"] for v in ledger.values()), ledger=ledger)


def _run(params, model):
    s = c_void_p()
    try:
        rc, msg = _call_released(lib.po_solve_run, params.p, model.ptr if model else None,
                                 byref(s))
        _check(rc, msg)
        return _result(s)
    finally:
        lib.po_solve_free(s)


def _problem_args(problem, h, params, p):
    """Sets problem.spec for paths and spec strings; returns the model for
    matrices (None otherwise)."""
    if isinstance(problem, (str, os.PathLike)):
        if h is not None:
            raise Error(_lib.PO_ERR_ARG, "h is only accepted with a matrix J (a file or spec "
                        "carries its own fields)")
        p.set("problem.spec", os.fspath(problem))
        return None
    return _model_from_matrix(problem, h, _load_opts(params))


def solve(problem, h=None, *, backend="cpu", algorithm=None, replicas=None, steps=None, seed=1,
          threads=0, schedule=None, params=None, target_energy=None, target_cut=None):
    """Anneals `problem` as `physopt solve` does and returns a Result.

    problem: a dense symmetric numpy array J (zero diagonal), a
    scipy.sparse matrix, a file path (any format of physopt's problem
    readers) or a generator spec such as "sk:100:1"; h: fields (only with
    a matrix).  E(s) = sum_{i<j} J_ij s_i s_j + sum_i h_i s_i.
    replicas, steps, algorithm: None takes the library's defaults (those of
    `physopt solve`; physopt.backends() lists them).  params: a dict of
    "section.key" -> value, the keys of `--set` (applied after the keyword
    arguments, so they override them).  Errors raise physopt.Error with
    physopt's message; Ctrl-C stops the run and raises KeyboardInterrupt."""
    p = _Params()
    p.set("run.backend", backend)
    p.set("run.seed", seed)
    p.set("run.threads", threads)
    for key, v in (("run.algorithm", algorithm), ("run.replicas", replicas),
                   ("run.steps", steps), ("schedule.spec", schedule),
                   ("run.target_energy", target_energy), ("run.target_cut", target_cut)):
        if v is not None:
            p.set(key, v)
    for key, v in (params or {}).items():
        p.set(key, v)
    model = _problem_args(problem, h, params, p)
    return _run(p, model)


def _labels(keys):
    labels = list(dict.fromkeys(keys))
    try:
        return sorted(labels)
    except TypeError:
        return labels


class SampleSet:
    """States over labelled variables, lowest energy first is `first`."""

    def __init__(self, variables, states, energies, result):
        self.variables = variables
        self.states = states      # replicas x N (int8: +/-1 spins or 0/1)
        self.energies = energies  # replicas
        self.result = result      # the underlying physopt.Result

    def samples(self):
        return [dict(zip(self.variables, row.tolist())) for row in self.states]

    @property
    def first(self):
        k = int(np.argmin(self.energies))
        return dict(zip(self.variables, self.states[k].tolist())), float(self.energies[k])

    def __len__(self):
        return len(self.energies)


def sample_ising(h, J, **kw):
    """dimod-style input: h a dict {v: bias} (or a sequence indexed 0..N-1),
    J a dict {(u, v): coupling}; E = sum_v h_v s_v + sum_(u,v) J_uv s_u s_v
    (pairs given twice are added, as in dimod).  Keyword arguments go to
    solve().  Returns a SampleSet of +/-1 spins."""
    if not isinstance(h, dict):
        h = dict(enumerate(h))
    variables = _labels(list(h) + [v for uv in J for v in uv])
    index = {v: i for i, v in enumerate(variables)}
    pairs = {}
    for (u, v), w in J.items():
        if u == v:
            raise Error(_lib.PO_ERR_ARG, "J[(%r, %r)]: a self-coupling is not an Ising term" %
                        (u, v))
        a, b = sorted((index[u], index[v]))
        pairs[(a, b)] = pairs.get((a, b), 0.0) + float(w)
    n = len(variables)
    hv = np.zeros(n)
    for v, b in h.items():
        hv[index[v]] += float(b)
    ei = np.array([a for a, _ in pairs], dtype=np.int32)
    ej = np.array([b for _, b in pairs], dtype=np.int32)
    w = np.array(list(pairs.values()), dtype=np.float64)
    model = _from_edges(n, ei, ej, w, hv if np.any(hv) else None,
                        _load_opts(kw.get("params")))
    res = _solve_model(model, kw)
    return SampleSet(variables, res.spins, res.energies, res)


def _solve_model(model, kw):
    h = kw.pop("h", None)
    if h is not None:
        raise Error(_lib.PO_ERR_ARG, "h is part of the model here")
    p = _Params()
    args = dict(backend="cpu", seed=1, threads=0)
    args.update(kw)
    p.set("run.backend", args.pop("backend"))
    p.set("run.seed", args.pop("seed"))
    p.set("run.threads", args.pop("threads"))
    params = args.pop("params", None)
    names = {"algorithm": "run.algorithm", "replicas": "run.replicas", "steps": "run.steps",
             "schedule": "schedule.spec", "target_energy": "run.target_energy",
             "target_cut": "run.target_cut"}
    for k, v in args.items():
        if k not in names:
            raise TypeError("unexpected keyword argument %r" % k)
        if v is not None:
            p.set(names[k], v)
    for key, v in (params or {}).items():
        p.set(key, v)
    return _run(p, model)


def solve_qubo(Q, offset=0.0, **kw):
    """QUBO f(x) = sum_{i<=j} Q_ij x_i x_j + offset over x in {0,1}: Q a dict
    {(u, v): bias} (dimod style; (u, v) and (v, u) add) or a square numpy
    matrix (f = x^T Q x + offset: Q_ij and Q_ji add).  The conversion to
    spins is the library's (po_qubo_to_ising, x = (1 + s)/2).  Returns a
    SampleSet of 0/1 states whose energies are f(x), offset included."""
    if isinstance(Q, dict):
        variables = _labels([v for uv in Q for v in uv])
        index = {v: i for i, v in enumerate(variables)}
        n = len(variables)
        U = np.zeros((n, n))
        for (u, v), q in Q.items():
            a, b = sorted((index[u], index[v]))
            U[a, b] += float(q)
    else:
        Q = Q.toarray() if _is_sparse(Q) else np.asarray(Q, dtype=np.float64)
        if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
            raise Error(_lib.PO_ERR_ARG, "Q must be a square matrix, got shape %s" % (Q.shape,))
        n = Q.shape[0]
        variables = list(range(n))
        U = np.triu(Q, 1) + np.triu(Q.T, 1) + np.diag(np.diag(Q))
    U = np.ascontiguousarray(U)
    q = _lib.Qubo(n, U.ctypes.data_as(ctypes.POINTER(c_double)), float(offset))
    out = c_void_p()
    _check(lib.po_qubo_to_ising(byref(q), byref(out)))
    res = _solve_model(_Model(out), kw)
    x = ((res.spins + 1) // 2).astype(np.int8)
    return SampleSet(variables, x, res.energies, res)


_CAPS = ((1, "matmul"), (2, "ising"), (4, "recall"))
_TYPES = ("int", "double", "string", "bool")


def _spec_dict(sp):
    d = {"key": sp.key.decode(), "type": _TYPES[sp.type],
         "default": sp.default.decode() if sp.default else None,
         "unit": sp.unit.decode() if sp.unit else "",
         "help": sp.help.decode() if sp.help else ""}
    if sp.type in (0, 1):
        d["min"], d["max"] = sp.min, sp.max
    if sp.choices:
        d["choices"] = sp.choices.decode().split("|")
    return d


def backends():
    """What `physopt backends` lists, as dicts: name, summary, capabilities
    (own and through the fallback), fallback, algorithms (name, summary,
    default_steps) and parameters by section (key, type, default, range,
    unit, help -- the help text names the source of each default)."""
    out = []
    i = 0
    while True:
        ops = lib.po_backend_ops_at(i)
        if not ops:
            break
        i += 1
        ops = ops.contents
        info = _lib.BackendInfo()
        _check(lib.po_backend_info_get(ops.name, byref(info)))
        algs = []
        k = 0
        while info.algorithms and info.algorithms[k].name:
            a = info.algorithms[k]
            algs.append({"name": a.name.decode(), "summary": a.summary.decode(),
                         "default_steps": a.default_steps})
            k += 1
        sections = {}
        for sec in info.sections[:info.n_sections]:
            sec = sec.contents
            sections[sec.name.decode()] = [_spec_dict(sec.specs[j]) for j in range(sec.n_specs)]
        out.append({"name": ops.name.decode(), "summary": ops.summary.decode(),
                    "capabilities": [c for bit, c in _CAPS if info.caps & bit],
                    "own_capabilities": [c for bit, c in _CAPS if ops.caps & bit],
                    "fallback": ops.fallback.decode() if ops.fallback else None,
                    "algorithms": algs, "parameters": sections})
    return out


def version():
    return lib.po_version().decode()


def read_results(path):
    """An HDF5 result or sweep file (docs/hdf5-layout.md) as nested dicts:
    every group a dict with its attributes under "attrs", every dataset a
    numpy array (strings decoded).  Needs python3-h5py."""
    import h5py

    def val(v):
        if isinstance(v, bytes):
            return v.decode()
        if isinstance(v, np.ndarray) and v.dtype.kind in "OS":
            return [x.decode() if isinstance(x, bytes) else x for x in v.tolist()]
        return v

    def walk(g):
        d = {"attrs": {k: val(v) for k, v in g.attrs.items()}}
        for k, item in g.items():
            if isinstance(item, h5py.Group):
                d[k] = walk(item)
            else:
                d[k] = val(item[()])
        return d

    if not os.path.exists(path):
        raise Error(_lib.PO_ERR_IO, "%s: no such file" % path)
    with h5py.File(path, "r") as f:
        return walk(f)
