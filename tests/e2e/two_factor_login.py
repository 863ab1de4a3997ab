"""Two-factor login end to end with an independent TOTP implementation (PyPI
pyotp): starts its own `quarry` (fresh data dir, free port), enables 2FA over
the HTTP API, and logs in through the second step, then with a recovery code.

Usage: python two_factor_login.py /path/to/quarry
"""

import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pyotp

PASSWORD = "pyotp-e2e-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A cookie-keeping HTTP client, like a browser."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        # Like the UI: the header Quarry requires on state-changing requests without a JSON body.
        req.add_header("X-Quarry-Request", "1")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(req, timeout=10) as res:
                return res.status, json.loads(res.read() or b"null"), res.headers
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null"), e.headers


def expect(cond: bool, what: str):
    if not cond:
        raise AssertionError(what)


def fresh_step():
    """Waits out the end of a 30-second step so the next code stays valid."""
    into = time.time() % 30
    if into > 25:
        time.sleep(31 - into)


def main(quarry: str):
    data = tempfile.mkdtemp(prefix="quarry-pyotp-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUARRY_")}
    env.update(QUARRY_BIND=f"127.0.0.1:{port}", QUARRY_DATA_DIR=data, QUARRY_LOG="warn")
    log = open(os.path.join(data, "quarry.log"), "w")
    server = subprocess.Popen([quarry, "serve"], env=env, stdout=log, stderr=log)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("quarry did not start")

        admin = Client(base)
        status, body, _ = admin.call("POST", "/api/v1/auth/setup", {"username": "admin", "password": PASSWORD})
        expect(status == 200, f"setup: {status} {body}")

        status, setup, _ = admin.call("POST", "/api/v1/auth/2fa/setup", {})
        expect(status == 200, f"2fa setup: {status} {setup}")
        # The otpauth URI parses in pyotp and names the same secret.
        parsed = pyotp.parse_uri(setup["otpauth_uri"])
        expect(parsed.secret == setup["secret"], "the URI carries the secret")
        expect(len(setup["recovery_codes"]) == 10, "ten recovery codes")
        totp = pyotp.TOTP(setup["secret"])

        fresh_step()
        status, body, _ = admin.call("POST", "/api/v1/auth/2fa/verify-setup", {"code": totp.now()})
        expect(status == 200, f"verify-setup: {status} {body}")
        status, me, _ = admin.call("GET", "/api/v1/auth/me")
        expect(me == {"username": "admin", "totp_enabled": True}, f"me: {me}")

        # Password step: no session, a pending token.
        user = Client(base)
        status, login, headers = user.call("POST", "/api/v1/auth/login", {"username": "admin", "password": PASSWORD})
        expect(status == 200 and login["requires_2fa"] is True and login["pending_token"], f"login: {status} {login}")
        expect(headers.get("Set-Cookie") is None, "no cookie before the second step")
        expect(user.call("GET", "/api/v1/auth/me")[0] == 401, "no session yet")

        # A wrong code is refused; the code of the next step completes the login.
        wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
        status, body, _ = user.call(
            "POST", "/api/v1/auth/login/verify-2fa", {"pending_token": login["pending_token"], "code": wrong}
        )
        expect(status == 401, f"wrong code: {status} {body}")
        fresh_step()
        code = totp.at(time.time() + 30)
        status, body, _ = user.call(
            "POST", "/api/v1/auth/login/verify-2fa", {"pending_token": login["pending_token"], "code": code}
        )
        expect(status == 200 and body["requires_2fa"] is False, f"verify-2fa: {status} {body}")
        expect(user.call("GET", "/api/v1/auth/me")[0] == 200, "logged in")

        # The same code again (replay) is refused.
        other = Client(base)
        _, login, _ = other.call("POST", "/api/v1/auth/login", {"username": "admin", "password": PASSWORD})
        status, body, _ = other.call(
            "POST", "/api/v1/auth/login/verify-2fa", {"pending_token": login["pending_token"], "code": code}
        )
        expect(status == 401 and "already used" in body["detail"], f"replay: {status} {body}")

        # A recovery code works, once.
        recovery = setup["recovery_codes"][0]
        status, body, _ = other.call(
            "POST",
            "/api/v1/auth/login/verify-2fa",
            {"pending_token": login["pending_token"], "code": recovery, "is_recovery": True},
        )
        expect(status == 200, f"recovery code: {status} {body}")
        status, st, _ = other.call("GET", "/api/v1/auth/2fa/status")
        expect(st == {"enabled": True, "recovery_codes_remaining": 9, "remaining_recovery_codes": 9}, f"status: {st}")
        print("two-factor login with pyotp: ok")
    except BaseException:
        log.flush()
        sys.stderr.write(open(os.path.join(data, "quarry.log")).read())
        raise
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        subprocess.run(["rm", "-rf", data], check=False)


if __name__ == "__main__":
    main(sys.argv[1])
