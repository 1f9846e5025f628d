"""Reference implementations: one module per chapter of the notes, all registered in
:mod:`dlstudy.reference.registry`. Pure NumPy, float64."""
