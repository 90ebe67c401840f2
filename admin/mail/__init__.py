"""E-Mail: interim replies, the daily digest and the outbox page (sending is ``portal.mail``)."""
