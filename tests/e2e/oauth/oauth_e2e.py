"""quarry-runtime as an OAuth resource server, end to end with real peers:
oidc-provider (idp.mjs) as the external issuer and the official Python MCP
client (PyPI `mcp`, its `OAuthClientProvider`).

    oauth_e2e.py MCP_URL OTHER_ISSUER_URL RUNTIME_LOG

For alice and bob in turn the SDK meets the runtime's 401, reads the
protected-resource metadata, discovers the issuer, registers a client,
authorizes (this script drives oidc-provider's login and consent pages over
HTTP as the user) and exchanges the code for a JWT access token for the MCP
URL; then `tools/call` returns only that user's rows of a PostgreSQL table
(`WHERE owner = :user_email` with `from_claim: email`). A value for the
claim-bound parameter from the client is refused. A token issued for the same
resource by a second oidc-provider (an issuer the runtime does not trust) gets
401 `invalid_token`. No token appears in the runtime's log. Prints one line
per check and exits 1 if any failed.
"""

import asyncio
import base64
import hashlib
import html
import re
import secrets
import sys
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import httpx
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

REDIRECT_URI = "http://localhost:3030/callback"
failed = 0
tokens_seen = []


def check(name, ok, detail=""):
    global failed
    failed += 0 if ok else 1
    print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)


async def log_in(authorize_url: str, user: str) -> tuple[str, str | None]:
    """Follows an authorization URL through oidc-provider's development login
    and consent pages as `user`; returns the code and state sent to REDIRECT_URI."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as http:
        url = authorize_url
        for _ in range(12):
            if url.startswith(REDIRECT_URI):
                q = parse_qs(urlparse(url).query)
                if "error" in q:
                    raise RuntimeError(f"authorization failed: {q}")
                return q["code"][0], q.get("state", [None])[0]
            r = await http.get(url)
            if r.is_redirect:
                url = urljoin(url, r.headers["location"])
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"', r.text)
            prompt = re.search(r'name="prompt" value="([^"]+)"', r.text)
            if r.status_code != 200 or not form or not prompt:
                raise RuntimeError(f"unexpected page {r.status_code} at {url}: {r.text[:300]}")
            data = {"prompt": prompt.group(1)}
            if prompt.group(1) == "login":
                data |= {"login": user, "password": "any"}
            r = await http.post(urljoin(url, html.unescape(form.group(1))), data=data)
            if not r.is_redirect:
                raise RuntimeError(f"{prompt.group(1)} was not accepted: {r.status_code} {r.text[:300]}")
            url = urljoin(url, r.headers["location"])
    raise RuntimeError("too many redirects")


class Memory(TokenStorage):
    def __init__(self):
        self.tokens = None
        self.client = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken):
        tokens_seen.append(tokens.access_token)
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull):
        self.client = client_info


async def as_user(url: str, user: str):
    pending = {}

    async def redirect(authorize_url: str):
        pending["result"] = await log_in(authorize_url, user)

    async def callback():
        return pending.pop("result")

    auth = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name=f"quarry e2e ({user})", redirect_uris=[REDIRECT_URI], scope="mcp:tools"
        ),
        storage=Memory(),
        redirect_handler=redirect,
        callback_handler=callback,
    )
    async with streamablehttp_client(url, auth=auth) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            mine = next((t for t in tools if t.name == "my_notes"), None)
            check(f"{user}: tools/list shows my_notes", mine is not None, [t.name for t in tools])
            props = (mine.inputSchema or {}).get("properties", {}) if mine else {}
            check(f"{user}: the claim-bound parameter is not in inputSchema", "user_email" not in props, props)
            r = await session.call_tool("my_notes", {})
            rows = (r.structuredContent or {}).get("rows", [])
            owners = {row["owner"] for row in rows}
            check(f"{user}: sees only their own rows", owners == {f"{user}@example.com"} and len(rows) == 2, rows)
            forged = await session.call_tool("my_notes", {"user_email": "alice@example.com"})
            text = "".join(c.text for c in forged.content if getattr(c, "text", None))
            check(f"{user}: a client-supplied value for the claim is refused", forged.isError and "user_email" in text, text)
            return {row["body"] for row in rows}


async def token_from(issuer: str, resource: str, user: str) -> str:
    """An access token for `resource` from `issuer`, by hand: registration,
    authorization code with PKCE and the resource indicator, token exchange."""
    async with httpx.AsyncClient(timeout=10) as http:
        meta = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()
        reg = await http.post(
            meta["registration_endpoint"],
            json={"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none", "scope": "mcp:tools"},
        )
        client_id = reg.json()["client_id"]
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        q = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
                       "scope": "mcp:tools", "resource": resource, "state": "s", "code_challenge": challenge,
                       "code_challenge_method": "S256"})
        code, _ = await log_in(f"{meta['authorization_endpoint']}?{q}", user)
        tok = await http.post(meta["token_endpoint"], data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "client_id": client_id, "code_verifier": verifier, "resource": resource})
        return tok.json()["access_token"]


async def main(url: str, other_issuer: str, runtime_log: str):
    alice = await as_user(url, "alice")
    bob = await as_user(url, "bob")
    check("alice and bob saw different rows", alice and bob and not (alice & bob), (alice, bob))

    foreign = await token_from(other_issuer, url, "alice")
    check("the other issuer's token is a JWT for this resource", foreign.count(".") == 2, foreign[:20])
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(url, headers={"authorization": f"Bearer {foreign}", "accept": "application/json, text/event-stream"},
                            json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        challenge = r.headers.get("www-authenticate", "")
        check("a token from an untrusted issuer gets 401 invalid_token",
              r.status_code == 401 and 'error="invalid_token"' in challenge and "issuer" in r.json().get("error_description", ""),
              f"{r.status_code} {challenge} {r.text}")
        tokens_seen.append(foreign)
    with open(runtime_log, encoding="utf-8", errors="replace") as f:
        log = f.read()
    leaked = [t[:12] for t in tokens_seen if t and (t in log or t.split(".")[-1] in log)]
    check(f"no access token ({len(tokens_seen)} seen) appears in the runtime log", not leaked, leaked)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
    sys.exit(1 if failed else 0)
