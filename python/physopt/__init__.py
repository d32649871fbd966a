"""physopt: simulated physical optimizers (coherent Ising machines,
photonic matrix multipliers, cavity-QED memories) from Python.

A thin ctypes binding over libphysopt (docs/python.md): physopt.solve runs
exactly what `physopt solve` runs, with the same defaults and the same
numbers for the same arguments; physopt.evaluate, physopt.train and
physopt.recall do the same for `physopt eval`, `train` and `recall`."""

from ._core import (Error, Result, SampleSet, backends, read_results, sample_ising, solve,
                    solve_qubo, version)
from ._lib import path as library_path
from ._runs import RunResult, evaluate, recall, train

__all__ = ["Error", "Result", "RunResult", "SampleSet", "backends", "evaluate", "read_results",
           "recall", "sample_ising", "solve", "solve_qubo", "train", "version", "library_path"]
