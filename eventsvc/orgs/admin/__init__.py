"""Administration pages for units and accounts (each view module has its own blueprint)."""
