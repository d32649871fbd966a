"""ctypes declarations of the parts of libphysopt the package calls.

The structures mirror include/physopt/*.h field by field; the library is
found, in this order, at $PHYSOPT_LIB, at the path written into
_libpath.py by `make install`, and in the checkout's build/ directory
(python/physopt -> ../../build/libphysopt.so)."""

import ctypes
import os
from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_int, c_int8, c_int32,
                    c_long, c_size_t, c_uint, c_uint64, c_void_p)


class Samples(Structure):
    _fields_ = [("replicas", c_int), ("n", c_int), ("spins", POINTER(c_int8)),
                ("energy", POINTER(c_double))]


class Metrics(Structure):
    _fields_ = [("replicas", c_int), ("best_energy", c_double), ("mean_energy", c_double),
                ("median_energy", c_double), ("best_cut", c_double), ("has_target", c_int),
                ("target_energy", c_double), ("success_probability", c_double),
                ("tts99_s", c_double), ("residual_energy", c_double),
                ("approx_ratio", c_double)]


class LedgerEntry(Structure):
    _fields_ = [("category", c_char * 40), ("unit", c_char * 24), ("count", c_double),
                ("joules", c_double)]


LEDGER_MAX = 24  # PO_LEDGER_MAX
MODEL_MAX = 24  # PO_MODEL_MAX


class ModelItem(Structure):  # po_model_item
    _fields_ = [("key", c_char * 40), ("kind", c_int), ("text", c_char * 80), ("value", c_double)]


class Ledger(Structure):  # the whole struct: it is embedded by value in the run results
    _fields_ = [("wall_s", c_double), ("device_s", c_double), ("run_s", c_double), ("n", c_int),
                ("e", LedgerEntry * LEDGER_MAX), ("n_model", c_int),
                ("model", ModelItem * MODEL_MAX)]


class ParamSpec(Structure):
    _fields_ = [("key", c_char_p), ("type", c_int), ("default", c_char_p), ("min", c_double),
                ("max", c_double), ("choices", c_char_p), ("unit", c_char_p), ("help", c_char_p)]


class ParamSection(Structure):
    _fields_ = [("name", c_char_p), ("specs", POINTER(ParamSpec)), ("n_specs", c_size_t)]


class Algorithm(Structure):
    _fields_ = [("name", c_char_p), ("summary", c_char_p), ("run", c_void_p),
                ("default_steps", c_long)]


class BackendOps(Structure):
    _fields_ = [("name", c_char_p), ("summary", c_char_p), ("caps", c_uint),
                ("fallback", c_char_p), ("params", POINTER(ParamSection)),
                ("energy", POINTER(ParamSection)), ("create", c_void_p), ("destroy", c_void_p),
                ("matmul", c_void_p), ("algorithms", POINTER(Algorithm)), ("recall", c_void_p),
                ("recall_dynamics", c_char_p)]


OP_COUNT = 3  # PO_OP_COUNT
BACKEND_MAX_SECTIONS = 4  # PO_BACKEND_MAX_SECTIONS


class BackendInfo(Structure):
    _fields_ = [("ops", POINTER(BackendOps)), ("caps", c_uint),
                ("serves", POINTER(BackendOps) * OP_COUNT), ("algorithms", POINTER(Algorithm)),
                ("sections", POINTER(ParamSection) * BACKEND_MAX_SECTIONS),
                ("n_sections", c_int)]


class LoadOpts(Structure):
    _fields_ = [("duplicates", c_int), ("storage", c_int), ("format", c_char_p)]


class Qubo(Structure):
    _fields_ = [("n", c_int), ("Q", POINTER(c_double)), ("offset", c_double)]


class LearnPoint(Structure):  # po_learn_point (physopt/learn_run.h)
    _fields_ = [("photons", c_double), ("accuracy", c_double), ("accuracy_sd", c_double),
                ("loss", c_double), ("macs", c_double), ("e_mac", c_double),
                ("e_optical", c_double), ("wall", c_double), ("ledger", Ledger)]


class EvalResult(Structure):  # po_eval_result
    _fields_ = [("backend", c_char * 64), ("test_samples", c_int), ("point", LearnPoint),
                ("wall_s", c_double)]


MLP_MAX_LAYERS = 8  # PO_MLP_MAX_LAYERS


class TrainConfig(Structure):  # po_learn_train_config
    _fields_ = [("backend", c_char_p), ("data", c_char_p), ("layers", c_char_p),
                ("optimizer", c_char_p), ("init", c_char_p), ("epochs", c_long),
                ("batch", c_long), ("quant_w_bits", c_long), ("quant_act_bits", c_long),
                ("train_samples", c_long), ("test_samples", c_long), ("lr", c_double),
                ("lr_decay", c_double), ("momentum", c_double), ("weight_decay", c_double),
                ("backward_on_backend", c_int), ("n_layers", c_int),
                ("sizes", c_int * (MLP_MAX_LAYERS + 1))]


class LearnTrainResult(Structure):  # po_learn_train_result
    _fields_ = [("model", c_void_p), ("train_samples", c_int), ("train_loss", c_double),
                ("train_accuracy", c_double), ("train_s", c_double), ("train_joules", c_double),
                ("test", LearnPoint)]


class TrainRunResult(Structure):  # po_train_run_result
    _fields_ = [("config", TrainConfig), ("train", LearnTrainResult), ("seed", c_uint64),
                ("test_samples", c_int), ("wall_s", c_double)]


class RecallStats(Structure):  # po_recall_stats (physopt/memory.h)
    _fields_ = [("trials", c_int), ("overlap_mean", c_double), ("overlap_std", c_double),
                ("recall_fraction", c_double), ("flips_mean", c_double)]


class RecallResult(Structure):  # po_recall_result (physopt/recall_run.h)
    _fields_ = [("backend", c_char * 64), ("rule", c_char * 32), ("dynamics", c_char * 32),
                ("spins", c_int), ("patterns", c_long), ("trials_per_pattern", c_long),
                ("alpha", c_double), ("corruption", c_double), ("seed", c_uint64),
                ("stats", RecallStats), ("ledger", Ledger), ("overlaps", POINTER(c_double))]


# Error codes (include/physopt/error.h).
PO_OK, PO_ERR_ARG, PO_ERR_IO, PO_ERR_PARSE, PO_ERR_NOMEM = 0, 1, 2, 3, 4
PO_ERR_UNSUPPORTED, PO_ERR_NUMERIC, PO_ERR_NOT_FOUND, PO_ERR_INTERRUPTED = 5, 6, 7, 8


def _candidates():
    env = os.environ.get("PHYSOPT_LIB")
    if env:
        yield env
    try:
        from . import _libpath  # written by `make install`
        yield _libpath.LIBPHYSOPT
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, "..", "..", "build", "libphysopt.so")


def _load():
    tried = []
    for path in _candidates():
        path = os.path.normpath(path)
        if os.path.exists(path):
            return ctypes.CDLL(path), path
        tried.append(path)
    raise ImportError("physopt: libphysopt.so not found (tried %s); run `make` in the checkout, "
                      "`make install`, or set PHYSOPT_LIB" % ", ".join(tried))


lib, path = _load()

_SIGS = {
    "po_version": (c_char_p, []),
    "po_git_revision": (c_char_p, []),
    "po_last_error": (c_char_p, []),
    "po_error_clear": (None, []),
    "po_request_stop": (None, []),
    "po_clear_stop": (None, []),
    "po_params_create": (c_int, [POINTER(c_void_p)]),
    "po_params_destroy": (None, [c_void_p]),
    "po_params_set": (c_int, [c_void_p, c_char_p, c_char_p]),
    "po_ising_from_edges": (c_int, [c_int, c_long, POINTER(c_int32), POINTER(c_int32),
                                    POINTER(c_double), POINTER(c_double), POINTER(LoadOpts),
                                    POINTER(c_void_p)]),
    "po_qubo_to_ising": (c_int, [POINTER(Qubo), POINTER(c_void_p)]),
    "po_ising_destroy": (None, [c_void_p]),
    "po_solve_run": (c_int, [c_void_p, c_void_p, POINTER(c_void_p)]),
    "po_solve_free": (None, [c_void_p]),
    "po_solve_samples": (POINTER(Samples), [c_void_p]),
    "po_solve_metrics": (POINTER(Metrics), [c_void_p]),
    "po_solve_ledger": (POINTER(Ledger), [c_void_p]),
    "po_solve_text": (c_char_p, [c_void_p, c_char_p]),
    "po_solve_number": (c_double, [c_void_p, c_char_p]),
    "po_backend_ops_at": (POINTER(BackendOps), [c_size_t]),
    "po_backend_info_get": (c_int, [c_char_p, POINTER(BackendInfo)]),
    "po_mlp_load": (c_int, [c_char_p, POINTER(c_void_p)]),
    "po_mlp_save": (c_int, [c_void_p, c_char_p, c_int, POINTER(c_char_p), POINTER(c_char_p)]),
    "po_mlp_destroy": (None, [c_void_p]),
    "po_eval_run": (c_int, [c_void_p, c_void_p, POINTER(EvalResult)]),
    "po_train_run": (c_int, [c_void_p, c_void_p, c_void_p, c_void_p, POINTER(TrainRunResult)]),
    "po_train_run_free": (None, [POINTER(TrainRunResult)]),
    "po_recall_run": (c_int, [c_void_p, POINTER(RecallResult)]),
    "po_recall_result_free": (None, [POINTER(RecallResult)]),
}
for _name, (_res, _args) in _SIGS.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args
