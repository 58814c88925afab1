"""The production files in deploy/ are read by the tools that will run them, not only by people.

- docker-compose.yml: its structure (app, worker, one-shot migrate, PostgreSQL, Redis), then `docker compose
  config` (or docker-compose v1) when either is installed;
- the nginx site: `nginx -t` inside a throwaway http block (certificates made here), then the site on free
  ports in front of the app, when an nginx binary is found (scripts/install-system-deps.sh unpacks one into
  .cache/nginx without installing the service);
- the systemd units: `systemd-analyze verify` on copies pointing at this checkout, and every `flask` command
  they start exists;
- gunicorn.conf.py: the sizes the README and the benchmarks assume, and no query strings in its access log.
"""
from __future__ import annotations

import re
import runpy
import shlex
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from flask import request

from tests.core.fake_sms_providers import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_compose_runs_app_worker_migrate_postgres_and_redis() -> None:
    services = _compose()["services"]
    assert {"app", "worker", "migrate", "db", "redis"} <= set(services)
    app, worker, migrate = services["app"], services["worker"], services["migrate"]
    assert _command(worker) == ["flask", "--app", "eventsvc", "notices", "deliver"]
    assert _command(migrate)[-2:] == ["db", "upgrade"]
    assert _command(app)[0] == "gunicorn" and "deploy/gunicorn.conf.py" in _command(app)
    for service in (app, worker, migrate):  # one image and one set of settings (YAML merge of x-app)
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["environment"]["DATABASE_URL"].endswith("@db:5432/eventsvc")
        assert service["environment"]["EVENTSVC_RATELIMIT_STORAGE_URL"].startswith("redis://redis:")
        assert service["env_file"] == "eventsvc.env"
    for service in (app, worker):  # neither starts on a schema the migration has not built yet
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["stop_signal"] == "SIGTERM"  # the deliver loop ends after the notice in hand
    assert "ports" not in worker
    # Only the app is published, and only on the host's loopback (nginx in front terminates HTTPS).
    assert all(port.startswith("127.0.0.1:") for port in app["ports"])
    assert "ports" not in services["db"] and "ports" not in services["redis"]


def _compose_cli() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    found = shutil.which("docker-compose")
    return [found] if found else None


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    shutil.copy(DEPLOY / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(DEPLOY / "eventsvc.env.example", tmp_path / "eventsvc.env")  # as the README says to
    done = subprocess.run([*cli, "-f", str(tmp_path / "docker-compose.yml"), "config"], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin:/usr/local/bin"})
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)["services"]
    assert _command(resolved["worker"])[-2:] == ["notices", "deliver"]
    # environment: wins over the env file's 127.0.0.1 examples inside the containers
    assert "@db:5432/" in resolved["worker"]["environment"]["DATABASE_URL"]
    assert resolved["app"]["environment"]["EVENTSVC_ENV"] == "production"


@pytest.fixture
def nginx() -> str:
    """An nginx binary (on PATH, or unpacked by scripts/install-system-deps.sh); skip without it or openssl."""
    unpacked = ROOT / ".cache" / "nginx" / "usr" / "sbin" / "nginx"
    found = shutil.which("nginx") or (str(unpacked) if unpacked.exists() else None)
    if found is None or shutil.which("openssl") is None:
        pytest.skip("no nginx binary (scripts/install-system-deps.sh unpacks one) or no openssl")
    return found


def _nginx_files(tmp_path: Path, site: str) -> Path:
    """Write a certificate, the site (paths moved into tmp_path) and an nginx.conf including it; return that."""
    ssl = tmp_path / "ssl"
    ssl.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(ssl / "privkey.pem"), "-out", str(ssl / "fullchain.pem")],
                   check=True, capture_output=True)
    (tmp_path / "logs").mkdir()
    site = site.replace("/etc/ssl/eventsvc", str(ssl)).replace("/var/log/nginx", str(tmp_path / "logs"))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                        "scgi"))
    # The site is included at the http level, as sites-enabled/* is by Debian's nginx.conf.
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'logs' / 'error.log'};\nevents {{}}\n"
                    f"http {{ access_log off; {temp} include {tmp_path / 'site.conf'}; }}\n", encoding="utf-8")
    return conf


def test_nginx_site_passes_nginx_t(tmp_path: Path, nginx: str) -> None:
    site = (DEPLOY / "nginx" / "eventsvc.conf").read_text(encoding="utf-8")
    conf = _nginx_files(tmp_path, site)
    done = subprocess.run([nginx, "-p", str(tmp_path), "-c", str(conf), "-t"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
    # The app's address in the site is gunicorn's default bind, and the static alias is the package's folder.
    assert "proxy_pass http://127.0.0.1:8000;" in site
    assert runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))["bind"] == "127.0.0.1:8000"
    assert "alias /srv/eventsvc/eventsvc/static/;" in site and (ROOT / "eventsvc" / "static").is_dir()


def test_nginx_site_serves_https_static_files_and_proxies_the_app(tmp_path: Path, nginx: str, database_url: str,
                                                                    _schema: None) -> None:
    """The site file itself, moved to free ports: HTTP goes to HTTPS, nginx serves /static/, the app behind it
    (EVENTSVC_PROXY_FIX_HOPS=1) sees the phone's scheme, host and address, and no query string is logged."""
    from werkzeug.serving import make_server

    from eventsvc import create_app
    from eventsvc.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "PROXY_FIX_HOPS": 1})

    @app.get("/_seen")
    def seen() -> dict[str, str]:
        return {"scheme": request.scheme, "host": request.host, "remote": request.remote_addr or ""}

    backend = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=backend.serve_forever, daemon=True)
    thread.start()
    http_port, https_port = free_port(), free_port()
    site = (DEPLOY / "nginx" / "eventsvc.conf").read_text(encoding="utf-8")
    site = (site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
            .replace("http://127.0.0.1:8000", f"http://127.0.0.1:{backend.server_port}")
            .replace("/srv/eventsvc/", f"{ROOT}/"))
    conf = _nginx_files(tmp_path, site)
    server = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # errors: logs/error.log
    try:
        base = f"https://127.0.0.1:{https_port}"
        with httpx.Client(verify=False, timeout=10) as client:
            for _ in range(100):  # nginx takes a moment to bind
                try:
                    first = client.get(f"http://127.0.0.1:{http_port}/login?next=/")
                    break
                except httpx.ConnectError:
                    time.sleep(0.05)
            else:
                pytest.fail((tmp_path / "logs" / "error.log").read_text(encoding="utf-8"))
            assert first.status_code == 301 and first.headers["location"].startswith("https://127.0.0.1")
            css = next((ROOT / "eventsvc" / "static").rglob("*.css"))
            static = client.get(f"{base}/static/{css.relative_to(ROOT / 'eventsvc' / 'static').as_posix()}")
            assert static.status_code == 200 and static.content == css.read_bytes()
            assert static.headers["cache-control"] == "max-age=604800, public"  # expires 7d
            answer = client.get(f"{base}/_seen?phone=13800138000")
            assert answer.json() == {"scheme": "https", "host": f"127.0.0.1:{https_port}", "remote": "127.0.0.1"}
            login = client.get(f"{base}/login")
            assert login.status_code == 200 and "登录" in login.text
    finally:
        server.terminate()
        server.wait(timeout=10)
        backend.shutdown()
        thread.join(timeout=5)
        backend.server_close()
        with app.app_context():
            db.engine.dispose()  # this app's own pool: nothing may hold the test database afterwards
    log = (tmp_path / "logs" / "eventsvc.access.log").read_text(encoding="utf-8")
    assert '"GET /_seen" 200' in log and "13800138000" not in log and "next=" not in log


def _units() -> list[Path]:
    return sorted((DEPLOY / "systemd").glob("eventsvc-*.*"))


def _exec_lines(unit: Path) -> list[list[str]]:
    return [shlex.split(line.split("=", 1)[1]) for line in unit.read_text(encoding="utf-8").splitlines()
            if line.startswith("ExecStart=")]


def test_systemd_units_start_commands_that_exist(app: Any) -> None:
    runner = app.test_cli_runner()
    seen = 0
    for unit in _units():
        for argv in _exec_lines(unit):
            program = Path(argv[0]).name
            if program == "flask":
                assert argv[1:3] == ["--app", "eventsvc"], unit.name
                result = runner.invoke(args=[*argv[3:], "--help"])
                assert result.exit_code == 0, f"{unit.name}: {' '.join(argv[3:])}: {result.output}"
                seen += 1
            else:
                assert program == "gunicorn" and "deploy/gunicorn.conf.py" in argv, unit.name
    assert seen >= 4  # notices deliver, notices schedule, imports purge, privacy purge
    timers = {unit.stem for unit in _units() if unit.suffix == ".timer"}
    assert timers <= {unit.stem for unit in _units() if unit.suffix == ".service"}  # each timer has its service


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    env_example = DEPLOY / "eventsvc.env.example"
    for unit in _units():
        text = unit.read_text(encoding="utf-8").replace("/etc/eventsvc/eventsvc.env", str(env_example))
        (tmp_path / unit.name).write_text(text.replace("/srv/eventsvc", str(ROOT)), encoding="utf-8")
    if not (ROOT / ".venv" / "bin" / "gunicorn").exists():
        pytest.skip("the checkout has no .venv with gunicorn (make setup-dev)")
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *(str(tmp_path / u.name) for u in _units())],
                          capture_output=True, text=True, timeout=60)
    # User=eventsvc need not exist on a test machine; anything else it says is a mistake in a unit.
    complaints = [line for line in done.stderr.splitlines() if line.strip() and "eventsvc" in line
                  and not re.search(r"[Uu]ser|[Gg]roup", line)]
    assert done.returncode == 0 and not complaints, done.stderr


def test_gunicorn_config_matches_the_readme() -> None:
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (2, 4, "gthread")
    assert callable(conf["post_request"]) and callable(conf["post_worker_init"])
    # %(r)s (request line) and %(q)s (query string) would write searched phone numbers into the log.
    assert "%(r)s" not in conf["access_log_format"] and "%(q)s" not in conf["access_log_format"]
    assert ["deploy/gunicorn.conf.py" in argv for argv in _exec_lines(DEPLOY / "systemd" / "eventsvc-web.service")] \
        == [True]


class _Resp:
    def __init__(self, status: str, sent: int | None) -> None:
        self.status, self.sent = status, sent
        self.headers = [("Content-Type", "text/html"), ("Set-Cookie", "d=secret")]


class _Req:
    headers = [("HOST", "127.0.0.1"), ("USER-AGENT", 'phone "x"'), ("COOKIE", "d=secret")]


@pytest.mark.parametrize("fmt", [
    None,  # the production format
    '%(h)s %(m)s %(U)s %(H)s %(s)s %(B)s %(b)s %(M)s %(D)s %(T)s %(L)s %(p)s',
    '%(h)s %(t)s "%(r)s" %(s)s %({user-agent}i)s',  # atoms the short path does not build: gunicorn's own
])
def test_access_logger_writes_the_same_line_as_gunicorns(fmt: str | None) -> None:
    from datetime import timedelta

    from gunicorn.config import Config
    from gunicorn.glogging import Logger, SafeAtoms

    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", fmt or conf["access_log_format"])
    ours, theirs = conf["logger_class"](cfg), Logger(cfg)
    assert ours.simple_format is (fmt != '%(h)s %(t)s "%(r)s" %(s)s %({user-agent}i)s')
    environ = {"REMOTE_ADDR": "10.0.0.7", "REQUEST_METHOD": "POST", "PATH_INFO": "/c/AB12", "QUERY_STRING": "q=1",
               "RAW_URI": "/c/AB12?q=1", "SERVER_PROTOCOL": "HTTP/1.1"}
    for resp, took in [(_Resp("303 SEE OTHER", 0), timedelta(microseconds=2500)),
                       (_Resp("200 OK", 48213), timedelta(seconds=3, microseconds=999)),
                       (_Resp("500 INTERNAL SERVER ERROR", None), timedelta(0))]:
        expected = cfg.access_log_format % SafeAtoms(theirs.atoms(resp, _Req(), environ, took))
        line = cfg.access_log_format % SafeAtoms(ours.atoms(resp, _Req(), environ, took))
        assert line == expected and line.startswith("10.0.0.7 ")


@pytest.mark.parametrize("limit_mb, retired", [(1, True), (10**6, False), (0, False)])
def test_post_request_retires_a_worker_past_its_memory_limit(monkeypatch: pytest.MonkeyPatch, limit_mb: int,
                                                             retired: bool) -> None:
    monkeypatch.setenv("EVENTSVC_WORKER_MAX_RSS_MB", str(limit_mb))
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    exits: list[Any] = []

    class Worker:
        alive = True

        class log:  # noqa: N801 - stands for gunicorn's logger object
            @staticmethod
            def info(*args: Any) -> None:
                exits.append(args)

        def handle_exit(self, *args: Any) -> None:
            exits.append("exit")

    conf["post_request"](Worker(), None, {}, None)
    assert ("exit" in exits) is retired  # this test process holds far more than 1 MB, far less than 1 TB
