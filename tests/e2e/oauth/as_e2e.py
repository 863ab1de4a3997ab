"""End to end: Quarry as the authorization server of MCP clients.

    as_e2e.py --quarry URL --idp URL --idp-secret S --runtime-bin PATH --resource-port PORT [--conformance VER]

Quarry (a fresh control plane) is configured through its REST API: the
authorization server on, an upstream OpenID provider (npm `oidc-provider`,
tests/e2e/oauth/upstream_idp.mjs) with the claim mapping
`groups=sales → sales:read`. A quarry-runtime serves a manifest file in auth
mode `oauth` at the address Quarry's settings name as the MCP URL (the
resource), trusting Quarry's issuer through /oauth/jwks.json (EdDSA); its
tools read the caller's identity through claim-bound parameters against the
real PostgreSQL: `whoami` (`sub`, the default scope `mcp:tools`) and
`my_email` (`email`, which also needs `sales:read`).

The SDK's OAuthClientProvider then does everything itself — the 401,
protected-resource and authorization-server metadata, dynamic registration,
the authorization request with PKCE and `resource`, the code exchange — and a
redirect handler plays the user's browser on the consent page's API:
  (a) alice signs in through the upstream provider (its login and consent
      pages) and approves `mcp:tools`; calling `my_email` gets the runtime's
      403 insufficient_scope, and the SDK steps up by itself: a second consent
      for `mcp:tools sales:read` (her group grants `sales:read`), then
      `my_email` answers her email and `whoami` still works (nothing lost);
  (b) the admin signs in with the admin account, approves, and `whoami`
      answers `admin`;
then the grants list shows both, and after the admin revokes alice's grant
her refresh token is refused. Prints one line per check and 'N passed, M failed'.
"""

import argparse
import asyncio
import json
import re
import sys
import time

import httpx
import os
import subprocess
import tempfile

from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.auth import OAuthClientMetadata

checks = {"passed": 0, "failed": 0}
REDIRECT = "http://127.0.0.1:33419/callback"
SCOPES = ["mcp:tools"]


def check(name, ok, detail=""):
    checks["passed" if ok else "failed"] += 1
    print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)
    return ok


class MemoryTokens:
    """The SDK's TokenStorage, in memory: the client starts with nothing."""

    def __init__(self):
        self.tokens, self.client = None, None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, client_info):
        self.client = client_info


def start_runtime(binary, quarry, resource, port, workdir):
    """quarry-runtime serving a manifest in auth mode `oauth` that trusts Quarry's issuer through its JWKS."""
    claim_tool = lambda name, claim: {  # noqa: E731
        "name": name, "description": f"The caller's {claim}, bound from the access token.",
        "sql": f"SELECT :who::text AS {claim}", "connection": "pg",
        "parameters": [{"name": "who", "type": "string", "from_claim": claim}]}
    manifest = {
        "format_version": 1, "release": 1, "server": {"name": "as-e2e"},
        "auth": {"mode": "oauth", "resource": resource,
                 "issuers": [{"issuer": quarry, "jwks_uri": f"{quarry}/oauth/jwks.json", "algorithms": ["EdDSA"]}]},
        "connections": [{"id": "pg", "db_type": "postgresql", "host": "127.0.0.1", "port": 5432,
                         "database": "postgres", "username": "postgres", "ssl_mode": "disable"}],
        # my_email also needs sales:read, which only the sales group is granted: a token with the default
        # scope alone gets 403 insufficient_scope for it, and the client steps up.
        "tools": [claim_tool("whoami", "sub"), dict(claim_tool("my_email", "email"), scopes=["sales:read"])],
    }
    path = os.path.join(workdir, "manifest.json")
    with open(path, "w") as f:
        json.dump(manifest, f)
    log = open(os.path.join(workdir, "runtime.log"), "w")
    env = {**os.environ, "QUARRY_RUNTIME_BIND": f"127.0.0.1:{port}"}
    proc = subprocess.Popen([binary, "--manifest", path], env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the runtime did not start: {open(log.name).read()[-2000:]}")


class UserBrowser:
    """The user's browser: follows redirects by hand, keeps cookies, fills the provider's forms, uses the consent API."""

    def __init__(self, quarry, user, client_name="as-e2e client", scopes=(SCOPES,)):
        # The scopes each consent in turn should ask for (a step-up asks again, for more).
        self.quarry, self.user, self.client_name, self.expected = quarry, user, client_name, list(scopes)
        self.consents = 0
        self.http = httpx.AsyncClient(follow_redirects=False, timeout=30)
        self.result = None

    async def go(self, url, method="GET", data=None, stop_path="/oauth/consent"):
        """Follows redirects from `url` until a page on `stop_path` (returned as its URL) or a form page (its response)."""
        for _ in range(20):
            r = await self.http.request(method, url, data=data)
            method, data = "GET", None
            if r.status_code in (301, 302, 303, 307, 308):
                url = str(httpx.URL(url).join(r.headers["location"]))
                if httpx.URL(url).path == stop_path:
                    return url
                continue
            return r
        raise RuntimeError("too many redirects")

    async def submit_forms(self, page):
        """Submits the provider's login and consent forms until the browser is back on Quarry's consent page."""
        for _ in range(5):
            if isinstance(page, str):
                return page
            html = page.text
            action = re.search(r'<form[^>]*action="([^"]+)"', html)
            if not action:
                raise RuntimeError(f"no form on {page.url}: {html[:300]}")
            fields = {}
            for tag in re.findall(r"<input[^>]*>", html):
                name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
                if name:
                    fields[name.group(1)] = value.group(1) if value else ""
            if "login" in fields:
                fields.update(login=self.user, password="any")
            page = await self.go(str(page.url.join(action.group(1))), "POST", fields)
        raise RuntimeError("the provider's pages did not end")

    async def consent(self, request_id):
        r = await self.http.get(f"{self.quarry}/api/v1/oauth-consent/{request_id}")
        r.raise_for_status()
        return r.json()

    async def redirect_handler(self, authorization_url):
        location = await self.go(authorization_url)
        if not isinstance(location, str):
            raise RuntimeError(f"authorize did not reach the consent page: {location.status_code} {location.text[:300]}")
        request_id = httpx.URL(location).params["request"]
        c = await self.consent(request_id)
        want = self.expected[min(self.consents, len(self.expected) - 1)]
        self.consents += 1
        check(f"{self.user}: consent {self.consents} names the client, the scopes {' '.join(want)} and the resource",
              c["client_name"] == self.client_name and c["scopes"] == want and c["resource"].endswith("/mcp"), c)
        if self.user == "admin":
            r = await self.http.post(f"{self.quarry}/api/v1/auth/login",
                                     json={"username": "admin", "password": "correct horse battery"})
            r.raise_for_status()
        else:
            back = await self.submit_forms(await self.go(c["upstream_start_url"]))
            check(f"{self.user}: the provider sent the browser back to Quarry's consent page",
                  httpx.URL(back).params.get("request") == request_id and "error" not in httpx.URL(back).params, back)
        c = await self.consent(request_id)
        who = c["signed_in"] or {}
        expected = ("admin", "admin") if self.user == "admin" else ("upstream", f"{self.user}@example.com")
        check(f"{self.user}: the consent page shows who signed in", (who.get("via"), who.get("email") or who.get("subject")) == expected, c)
        r = await self.http.post(f"{self.quarry}/api/v1/oauth-consent/{request_id}", json={"approve": True},
                                 headers={"X-Quarry-Request": "1"})
        r.raise_for_status()
        q = httpx.URL(r.json()["redirect_to"]).params
        check(f"{self.user}: approving returns a code, the state and the issuer (RFC 9207)",
              "code" in q and "state" in q and q.get("iss") == self.quarry, dict(q))
        self.result = (q["code"], q.get("state"))
        return r.json()["redirect_to"]

    async def callback_handler(self):
        return self.result


async def connect_as(user, quarry, mcp_url, tool, scopes=(SCOPES,), then=None):
    browser = UserBrowser(quarry, user, scopes=scopes)
    storage = MemoryTokens()
    auth = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(client_name="as-e2e client", redirect_uris=[REDIRECT],
                                            grant_types=["authorization_code", "refresh_token"],
                                            response_types=["code"], token_endpoint_auth_method="none"),
        storage=storage, redirect_handler=browser.redirect_handler, callback_handler=browser.callback_handler)
    async with streamablehttp_client(mcp_url, auth=auth) as (rd, wr, _):
        async with ClientSession(rd, wr) as session:
            await session.initialize()
            r = await session.call_tool(tool, {})
            after = await session.call_tool(then, {}) if then else None
    rows = (r.structuredContent or {}).get("rows") if not r.isError else None
    text = "".join(c.text for c in r.content if getattr(c, "text", None))
    browser.after = (after.structuredContent or {}).get("rows") if after and not after.isError else after
    return (rows or text), storage, browser


async def conformance(quarry, resource, version, port):
    """The MCP conformance suite's authorization-server scenarios (metadata, authorization code grant) against
    Quarry: the suite prints the authorization URL and waits on its callback port; the admin approves it here."""
    async with httpx.AsyncClient() as h:
        r = await h.post(f"{quarry}/oauth/register", json={"client_name": "MCP conformance",
                                                           "redirect_uris": [f"http://127.0.0.1:{port}/callback"]})
    client_id = r.json()["client_id"]
    proc = await asyncio.create_subprocess_exec(
        "npx", "-y", "-p", "node@22", "-p", f"@modelcontextprotocol/conformance@{version}", "--", "conformance",
        "authorization", "--url", quarry, "--client-id", client_id, "--resource", resource, "-p", str(port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    lines = []
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=300)
        if not line:
            break
        text = line.decode(errors="replace").rstrip()
        lines.append(text)
        if text.startswith(f"{quarry}/oauth/authorize?"):
            browser = UserBrowser(quarry, "admin", client_name="MCP conformance", scopes=(["mcp:tools"],))
            back = await browser.redirect_handler(text)
            async with httpx.AsyncClient() as h:
                await h.get(back)
    await proc.wait()
    output = "\n".join(lines)
    passed = re.search(r"(\d+) passed", output)
    failed = re.search(r"(\d+) failed", output)
    for text in lines:
        if re.search(r"passed|failed|SUCCESS|FAILURE|WARNING", text):
            print(f"       conformance: {text}", flush=True)
    ok = proc.returncode == 0 and passed and int(passed.group(1)) >= 2 and failed and int(failed.group(1)) == 0
    check(f"conformance {version} authorization-server scenarios pass against Quarry", ok, output[-2000:])


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quarry", required=True)
    p.add_argument("--idp", required=True)
    p.add_argument("--idp-secret", required=True)
    p.add_argument("--resource-port", type=int, required=True)
    p.add_argument("--runtime-bin", required=True)
    p.add_argument("--conformance", help="version of @modelcontextprotocol/conformance with authorization scenarios")
    p.add_argument("--conformance-port", type=int, default=18973)
    a = p.parse_args()
    quarry = a.quarry.rstrip("/")
    admin = httpx.AsyncClient(base_url=quarry, headers={"X-Quarry-Request": "1"}, timeout=30)
    r = await admin.post("/api/v1/auth/setup", json={"username": "admin", "password": "correct horse battery"})
    r.raise_for_status()
    r = await admin.patch("/api/v1/authorization-server", json={
        "enabled": True,
        "upstream": {"issuer": a.idp, "client_id": "quarry", "client_secret": a.idp_secret,
                     "scopes": "openid email profile groups", "display_name": "Test IdP",
                     "claim_mappings": [{"claim": "groups", "value": "sales", "scopes": ["sales:read"]}]},
    })
    check("the authorization server is configured with the upstream provider", r.status_code == 200, r.text)
    settings = r.json()
    resource = settings["resource"]
    check("the secret is write-only", settings["upstream"]["client_secret_set"] is True and a.idp_secret not in r.text)
    workdir = tempfile.mkdtemp()
    runtime = start_runtime(a.runtime_bin, quarry, resource, a.resource_port, workdir)
    try:
        rows, alice_tokens, browser = await connect_as(
            "alice", quarry, resource, "my_email", scopes=(SCOPES, SCOPES + ["sales:read"]), then="whoami")
        check("alice: the 403 insufficient_scope made the SDK step up through a second consent",
              browser.consents == 2, browser.consents)
        check("alice: tools/call on the runtime; her email reaches the SQL through a claim-bound parameter "
              "(the tool needs sales:read, which her group maps to)", rows == [{"email": "alice@example.com"}], rows)
        granted = sorted(alice_tokens.tokens.scope.split()) if alice_tokens.tokens.scope else []
        check("alice: her stepped-up token carries mcp:tools and sales:read", granted == ["mcp:tools", "sales:read"],
              granted)
        check("alice: after the step-up a tool needing only mcp:tools still answers, without a third consent",
              isinstance(browser.after, list) and len(browser.after) == 1 and bool(browser.after[0].get("sub"))
              and browser.consents == 2, browser.after)
        rows, _, _ = await connect_as("admin", quarry, resource, "whoami")
        check("admin: tools/call on the runtime as the admin account", rows == [{"sub": "admin"}], rows)
        grants = (await admin.get("/api/v1/oauth-grants")).json()
        subjects = sorted(g["email"] or g["subject"] for g in grants["items"])
        # alice's step-up replaced her first grant: one grant per user and client.
        check("the grants list shows both users, once each", subjects == ["admin", "alice@example.com"], grants)
        alice = next(g for g in grants["items"] if g["email"] == "alice@example.com")
        r = await admin.delete(f"/api/v1/oauth-grants/{alice['id']}")
        check("the admin revokes alice's grant", r.status_code == 204, r.text)
        refresh = alice_tokens.tokens.refresh_token
        r = await admin.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh,
                                                   "client_id": alice_tokens.client.client_id})
        check("her refresh token is refused at once", r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text)
        if a.conformance:
            await conformance(quarry, resource, a.conformance, a.conformance_port)
    finally:
        runtime.terminate()
        runtime.wait(10)
    print(f"{checks['passed']} passed, {checks['failed']} failed", flush=True)
    return 1 if checks["failed"] else 0


if __name__ == "__main__":
    started = time.monotonic()
    code = asyncio.run(main())
    print(f"as_e2e took {time.monotonic() - started:.1f}s")
    sys.exit(code)
