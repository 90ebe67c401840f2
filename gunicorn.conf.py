"""gunicorn settings for the collector and the admin area.

In the checkout, ``gunicorn 'portal:create_app()'`` reads this file by itself. Anything here can
be changed on the command line (``--bind``, ``--workers`` …) or in ``GUNICORN_CMD_ARGS``; the
application's own settings are ``KRM_*`` variables (docs/configuration.md). See docs/deploy.md.
"""

import multiprocessing

# Behind nginx on the same host; nginx terminates TLS and passes X-Forwarded-For (KRM_PROXY_HOPS).
bind = "127.0.0.1:8000"

# Sync workers: each request is short, and the database does the waiting. The usual 2 × cores + 1,
# capped so a big machine does not open more database connections than it needs.
workers = min(multiprocessing.cpu_count() * 2 + 1, 9)
worker_class = "sync"

# The weekly export and the annual report workbook are the longest requests (seconds on a large
# year); a worker that is silent longer than this is restarted.
timeout = 120
graceful_timeout = 30
keepalive = 5

# Renew workers now and then, staggered, so nothing slowly grows for months.
max_requests = 2000
max_requests_jitter = 200

# Privacy: the access log holds no client address (%(h)s), no user agent, no referrer and no
# query string (the admin search's words): the time, method, path, status, size and duration.
accesslog = "-"
access_log_format = '- %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = "info"

# The app reads X-Forwarded-For itself, as many hops as KRM_PROXY_HOPS; gunicorn need not.
forwarded_allow_ips = "127.0.0.1,::1"
proc_name = "meinungskarte"
# No control socket in $HOME (gunicorn ≥ 24): systemd starts, reloads and stops the service.
control_socket_disable = True


def post_worker_init(worker):
    """Once a worker has loaded the app: its modules, settings and compiled statements live as
    long as the worker, so the garbage collector need not walk them again in every full
    collection (a few per cent of a submission's CPU in bench/findings.md)."""
    import gc

    gc.freeze()
