"""The derivation catalogue: one small sympy function per claim of the notes (``dlstudy verify``).

``core`` holds the claim model and checks, ``claims_<chapter>`` the catalogue, ``runner`` the worker
processes with time limits, ``parser`` the safe expression parser for ``--claim``. Importing this package
imports nothing heavy; sympy is loaded by the submodules.
"""
