"""gunicorn settings for eventsvc (`gunicorn -c deploy/gunicorn.conf.py wsgi:app`).

Sized for the 2-core machines a district runs on: 2 worker processes x 4 threads. Raise `workers` with cores
(2 x cores is a good start); threads cover the time spent waiting on the database.
"""
import os

bind = os.environ.get("EVENTSVC_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("EVENTSVC_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("EVENTSVC_THREADS", "4"))
timeout = 60  # long PDF/xlsx exports stream, but a stuck request must not hold a worker for ever
graceful_timeout = 30
keepalive = 5
# Workers are replaced now and then so memory taken by a large export is given back to the system.
max_requests = 5000
max_requests_jitter = 500
# The access log never carries query strings: a search by phone number must not land in a log file.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = "info"
# Behind nginx on the same host: trust its X-Forwarded-* headers (the app applies ProxyFix too).
forwarded_allow_ips = "127.0.0.1"
