"""E-mail: the transactional outbox, the SMTP sender and the mail texts per language."""
