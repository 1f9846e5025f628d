"""Terminal rendering and interaction for the study sessions (rich, imported lazily by commands)."""
