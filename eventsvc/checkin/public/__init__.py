"""Worker pages, no account needed: self check-in, registration, e-ticket, self check-out."""
