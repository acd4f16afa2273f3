"""A real MCP client (the official Python SDK) against `POST /api/mcp`.

Usage: mcp_client.py URL USER_TOKEN ADMIN_TOKEN

Connects over streamable HTTP with each bearer token, lists the tools and calls each, and
prints one JSON object with every answer, for `python_client.rs` to assert on.
"""

import asyncio
import json
import sys
from contextlib import asynccontextmanager

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

# The timer sync runs after a start, in the background: how long a new timer may take to show.
TIMER_WAIT_SECS = 10


@asynccontextmanager
async def session(url, token):
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with client:
        async with streamable_http_client(url, http_client=client) as streams:
            async with ClientSession(streams[0], streams[1]) as mcp:
                await mcp.initialize()
                yield mcp


async def call(mcp, name, arguments):
    result = await mcp.call_tool(name, arguments)
    return {
        "isError": result.is_error,
        "structured": result.structured_content,
        "text": [block.text for block in result.content if block.type == "text"],
    }


def timer_keys(answer):
    return [timer["issue"]["key"] for timer in (answer["structured"] or {}).get("timers", [])]


async def main(url, user_token, admin_token):
    out = {}
    async with session(url, user_token) as mcp:
        tools = await mcp.list_tools()
        out["tools"] = [{"name": t.name, "inputSchema": t.input_schema} for t in tools.tools]
        out["before"] = await call(mcp, "get_active_timers", {})
        out["start"] = await call(
            mcp, "start_timer", {"issueKey": "KAN-2", "comment": "from an assistant"}
        )
        out["active"] = await call(mcp, "get_active_timers", {})
        deadline = asyncio.get_running_loop().time() + TIMER_WAIT_SECS
        while "KAN-2" not in timer_keys(out["active"]):
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.1)
            out["active"] = await call(mcp, "get_active_timers", {})
        out["worklogs"] = await call(mcp, "get_worklogs", {"from": "2025-03-03", "to": "2025-03-04"})
        out["search"] = await call(mcp, "search_issues", {"q": "timer", "maxResults": 5})
        out["bad_date"] = await call(mcp, "get_worklogs", {"from": "2025-03-03", "to": "next week"})
        out["too_long"] = await call(mcp, "get_worklogs", {"from": "2025-01-01", "to": "2025-03-01"})
        out["bad_key"] = await call(mcp, "start_timer", {"issueKey": "not a key"})
        out["not_admin"] = await call(mcp, "get_active_timers", {"all": True})
        out["stop"] = await call(mcp, "stop_timer", {"issueKey": "KAN-2"})
    async with session(url, admin_token) as mcp:
        out["admin_all"] = await call(mcp, "get_active_timers", {"all": True})
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
