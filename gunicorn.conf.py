"""gunicorn's settings for the tracker (read from the working directory, or with `-c gunicorn.conf.py`).

Every value can be overridden from the environment (GUNICORN_*) or the command line. The Django settings are
read here, in the master, before any worker is forked: unsafe production settings stop gunicorn with the one
message of config.startup, instead of a worker-boot loop and the arbiter's traceback.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)  # exits with the settings' message when they are refused

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Two processes per core is gunicorn's own advice; more machines scale further (docs/deploy.md).
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Restart a worker now and then, so that a slow leak never grows.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The request log is config.observability's JSON line (with the request id and the user); no second access log.
accesslog = None
# Only the reverse proxy may say a request came over HTTPS (X-Forwarded-Proto); by default one on this machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
