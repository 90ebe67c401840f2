"""Accounts: sign-in and sign-out, users and teams (``krm users``, ``krm teams``)."""
