"""The derivation catalogue: one small sympy function per claim of the notes (``dlstudy verify``).

``core`` holds the claim model and checks, ``claims_<chapter>`` the catalogue, ``runner`` the worker
processes, ``parser`` the safe expression parser for ``--claim``, ``equivalence`` the engine that decides
``L == R`` (its public API serves ``--claim`` and line-by-line derivation checks), ``numeric`` the
certain counterexamples, ``sandbox`` the CPU-time limited children. Importing this package
imports nothing heavy; sympy is loaded by the submodules.
"""
