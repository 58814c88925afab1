"""Programs (a year's lines of work) and their targets."""
