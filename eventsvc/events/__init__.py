"""Events: one held activity under a program, its venue and publishing."""
