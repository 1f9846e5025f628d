"""Study sessions and the student's progress.

* :mod:`dlstudy.study.store`: the SQLite progress store (attempts, FSRS cards, sessions), versioned
  with ``PRAGMA user_version`` and migrations, one transaction per graded answer.
* :mod:`dlstudy.study.schedule`: FSRS scheduling through the ``fsrs`` package (one card per template).
* :mod:`dlstudy.study.session`: the quiz / exam / review state machine, free of I/O.
* :mod:`dlstudy.study.select`: which questions a session asks.
* :mod:`dlstudy.study.stats`: per-section accuracy, retrievability, history, mastery.

Kept light: nothing here imports numpy, sympy or torch.
"""
