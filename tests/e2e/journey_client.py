"""Calls one tool of a deployed Quarry with the official Python MCP client
(PyPI `mcp`) and a bearer token; prints the tool's text result, or exits 1
with the error. Used by tests/browser/journey.test.mjs.

    journey_client.py URL TOKEN TOOL '{"arg": 1}'
"""

import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client


async def main(url, token, tool, args):
    headers = {"Authorization": f"Bearer {token}"}
    async with streamablehttp_client(url, headers=headers) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool(tool, args)
            text = "".join(c.text for c in result.content if getattr(c, "text", None))
            if result.isError:
                print(text, file=sys.stderr)
                sys.exit(1)
            print(text)


if __name__ == "__main__":
    url, token, tool, args = sys.argv[1:5]
    asyncio.run(main(url, token, tool, json.loads(args)))
