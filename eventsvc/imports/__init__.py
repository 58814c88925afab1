"""Importing spreadsheets and documents: parse → classify → preview (stored in the database) → confirm.

Each kind of import (paper sign-in sheets today; unit/account sheets and the annual work plan next)
is an `ImportKind` in `kinds.py`'s registry; `operations.py` runs the flow the same way for all of them.
"""
