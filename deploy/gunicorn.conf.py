"""gunicorn settings for eventsvc (`gunicorn -c deploy/gunicorn.conf.py wsgi:app`).

Sized for the 2-core machines a district runs on: 2 worker processes x 4 threads. Raise `workers` with cores
(2 x cores is a good start); threads cover the time spent waiting on the database. Flags given on the command
line (`-b`, `-w`, `--threads`) override these settings, as the benchmarks in bench/ do.
"""
import os
import re
import resource

from gunicorn.glogging import Logger

bind = os.environ.get("EVENTSVC_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("EVENTSVC_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("EVENTSVC_THREADS", "4"))
timeout = 60  # long PDF/xlsx exports stream, but a stuck request must not hold a worker for ever
graceful_timeout = 30
keepalive = 5

# Replacing workers gives memory back to the system. CPython keeps the memory a request once needed: a
# worker that built a 100 k-row roster PDF or program xlsx stays at its peak (170-770 MB measured) until
# it exits, while a worker that only takes check-ins and shows pages stays near 80-100 MB.
# - After each request, a worker above EVENTSVC_WORKER_MAX_RSS_MB (default 200, about twice what a worker
#   needs otherwise; 0 turns the check off) finishes the requests it holds and exits; the master starts a
#   fresh one (~1 s of CPU). So the memory comes back right after the big export, not hours later (see
#   post_request below); bench/export_memory.py shows it.
# - max_requests is the backstop for slow growth anywhere else. Each restart costs about a second of CPU,
#   so it is kept high enough to be noise per request (20000: ~0.05 ms each, about one restart per
#   worker on a busy event day); the jitter spreads the workers' restarts so that both never restart at
#   once and leave nobody to answer.
max_requests = 20000
max_requests_jitter = 2000
max_rss_mb = int(os.environ.get("EVENTSVC_WORKER_MAX_RSS_MB", "200"))

# The access log never carries query strings: a search by phone number must not land in a log file.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


class AccessLogger(Logger):
    """gunicorn's logger, but each access line builds only the atoms the format names.

    gunicorn's own `atoms()` builds ~60 of them for every request (each request and response header, each
    environ variable, a strftime) and then copies and escapes all of them; that was ~0.1 ms per request here,
    a tenth of a check-in's server CPU. The line written is the same (tests/core/test_deploy.py compares).
    A format naming any other atom (time, user, headers, environ) gets gunicorn's own code.
    """

    SIMPLE = frozenset("hmUHsBbMDTLp")

    def setup(self, cfg):
        super().setup(cfg)
        names = set(re.findall(r"%\(([^)]*)\)", cfg.access_log_format or ""))
        self.simple_format = names <= self.SIMPLE

    def atoms(self, resp, req, environ, request_time):
        if not self.simple_format:  # set by setup(), which Logger.__init__ and every reload run
            return super().atoms(resp, req, environ, request_time)
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        secs, micros = request_time.seconds, request_time.microseconds
        return {
            "h": environ.get("REMOTE_ADDR", "-"), "m": environ.get("REQUEST_METHOD"),
            "U": environ.get("PATH_INFO"), "H": environ.get("SERVER_PROTOCOL"), "s": status,
            "B": sent, "b": str(sent) if sent is not None else "-",
            "M": secs * 1000 + int(micros / 1000), "D": secs * 1000000 + micros, "T": secs,
            "L": f"{secs}.{micros:06d}", "p": f"<{os.getpid()}>",
        }


logger_class = AccessLogger
errorlog = "-"
loglevel = "info"
# Behind nginx on the same host: trust its X-Forwarded-* headers (the app applies ProxyFix too).
forwarded_allow_ips = "127.0.0.1"


def _rss_mb() -> float:
    """Return this process's resident memory in MB (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def post_request(worker, req, environ, resp):  # gunicorn calls it after every request
    """Retire a worker whose memory grew past max_rss_mb: it ends gracefully, the master replaces it."""
    if max_rss_mb <= 0 or not worker.alive:
        return
    # The process's peak RSS bounds its present one and costs one syscall; reading /proc/self/statm after
    # every request cost ~0.1 ms of CPU here. Only a worker that has ever been past the limit reads it.
    if resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 <= max_rss_mb:
        return
    rss = _rss_mb()
    if rss > max_rss_mb:
        worker.log.info("Worker at %.0f MB (limit %d MB): restarting after its current requests.", rss, max_rss_mb)
        worker.handle_exit(None, None)  # as on SIGTERM: stop accepting, finish what is in flight, exit


def post_worker_init(worker):  # gunicorn calls it once the worker has loaded the app
    """Keep the collector off the app's own objects: they live as long as the worker.

    Python's cyclic collector otherwise walks every loaded module, model and template again and again; frozen,
    they are skipped, and a higher first threshold lets the short-lived objects of a request go without a
    collection most of the time. Measured with bench/checkin_load.py: ~1 ms less CPU per check-in.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 50)
