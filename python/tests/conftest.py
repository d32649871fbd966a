"""The package under test is the checkout's python/physopt with the
library in $BUILD (make test sets PHYSOPT_LIB), the CLI next to it."""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
BUILD = os.environ.get("BUILD", "build")
CLI = os.path.join(ROOT, BUILD, "physopt")
DATA = os.environ.get("PHYSOPT_DATA", os.path.join(ROOT, "..", "shared", "data"))
