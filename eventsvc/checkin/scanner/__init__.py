"""The staff scanner page and its JSON API: JSON in is parsed into a typed Scan, answers are worded here."""
