"""Serving the app for a load benchmark: production settings, gunicorn, a logged-in session.

gunicorn runs with the project's gunicorn.conf.py and the environment a production site sets
(SONGMAY_ENV=production, a secret key, DEBUG off, 2FA required), against the benchmark's own
database. A small settings module in a temporary folder only moves STATIC_ROOT there (so
collectstatic never writes into the checkout) and, on request, swaps the cache backend.
Clients send `X-Forwarded-Proto: https`, as nginx does, so no request is redirected to HTTPS.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The headers nginx adds in front of gunicorn (docs/deployment.md).
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}
CACHES = {
    "locmem": None,  # the project's default: Django's per-process LocMemCache
    "redis": "django.core.cache.backends.redis.RedisCache",
    "database": "django.core.cache.backends.db.DatabaseCache",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Site:
    """Environment and settings shared by the benchmark's own process and gunicorn."""

    folder: Path
    env: dict[str, str]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def prepare(database_url: str, *, cache: str = "locmem", redis_url: str = "") -> Site:
    """Write the settings module, set this process's environment to match, return the site.

    Call before django.setup(): this process then reads the same settings (and signs sessions
    with the same secret key) as the server it starts.
    """
    folder = Path(tempfile.mkdtemp(prefix="songmay-serve-"))
    lines = [
        "from songmay.settings import *  # noqa: F403",
        f"STATIC_ROOT = {str(folder / 'static')!r}",
    ]
    backend = CACHES[cache]
    extra_env = {}
    if cache == "redis":
        # As production sets it (SONGMAY_CACHE_URL: the shared cache, sessions read from it),
        # with keys of this run's own so that runs side by side do not share figures.
        extra_env["SONGMAY_CACHE_URL"] = redis_url or "redis://127.0.0.1:6379/0"
        lines.append(f"CACHES['default']['KEY_PREFIX'] = 'songmay-bench-{os.getpid()}'")
    elif cache == "database":
        lines.append(f"CACHES['default'] = {{'BACKEND': {backend!r}, 'LOCATION': 'bench_cache'}}")
    (folder / "bench_settings.py").write_text("\n".join(lines) + "\n")
    env = {
        **extra_env,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "SONGMAY_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SONGMAY_MEDIA_ROOT": str(folder / "media"),
        "PYTHONPATH": os.pathsep.join(
            [str(folder), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH", "")])]
        ),
    }
    os.environ.update(env)
    # This process's own requests (the in-process profile) would print one JSON line each.
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(folder))
    return Site(folder=folder, env=env, port=free_port())


def collectstatic(site: Site) -> None:
    """Production's hashed, compressed static files, into the temporary STATIC_ROOT."""
    subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--no-input", "-v", "0"],
        env={**os.environ, **site.env},
        cwd=ROOT,
        check=True,
    )


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    log: Path
    workers: int

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(site: Site, *, workers: int, extra_env: dict[str, str] | None = None) -> Server:
    """gunicorn with the project's gunicorn.conf.py; its output (one JSON line per request)
    goes to a file in the temporary folder, as journald would take it."""
    log = site.folder / "gunicorn.log"
    env = {
        **os.environ,
        **site.env,
        "GUNICORN_BIND": f"127.0.0.1:{site.port}",
        "WEB_CONCURRENCY": str(workers),
        "LOG_LEVEL": "INFO",
        **(extra_env or {}),
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(  # noqa: S603 - gunicorn from this virtualenv
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, log, workers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            status, _body, _seconds = get(site, "/healthz")
        except OSError:
            status = 0
        if status == 200:
            return server
        time.sleep(0.2)
    server.stop()
    raise SystemExit(f"gunicorn did not answer within 60 s:\n{log.read_text()[-3000:]}")


def settle(site: Site, *, quiet_ms: float = 50, limit: float = 300) -> float:
    """Wait until requests a load left queued are done (clients that stop do not stop the
    server's work): /healthz answers within quiet_ms three times in a row. Returns seconds."""
    started = time.monotonic()
    calm = 0
    while calm < 3 and time.monotonic() - started < limit:
        _status, _body, seconds = get(site, "/healthz")
        calm = calm + 1 if seconds * 1000 < quiet_ms else 0
        time.sleep(0.1)
    return time.monotonic() - started


def get(
    site: Site, path: str, headers: dict[str, str] | None = None, timeout: float = 600
) -> tuple[int, bytes, float]:
    """(status, body, seconds) of one GET, as a client behind nginx sends it."""
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        site.base + path, headers={**PROXY_HEADERS, **(headers or {})}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return status, body, time.perf_counter() - started


def session_cookie(user: Any, *, verified: bool = True) -> str:
    """A logged-in session for `user` stored the way Django's login() stores it, plus the
    second factor already passed (a confirmed TOTP device), so no log-in form is needed."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if verified:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="bench", defaults={"confirmed": True}
        )
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def worker_rss_mib(server: Server) -> list[float]:
    """Resident memory of each gunicorn worker (children of the arbiter), Linux only."""
    sizes = []
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    try:
        pids = children.read_text().split()
    except OSError:
        return []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return sizes
