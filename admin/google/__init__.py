"""Google-Rezensionen: the Business Profile client, sync, replies and reply templates."""
