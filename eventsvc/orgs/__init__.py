"""Organizations (the union tree), users and login."""
