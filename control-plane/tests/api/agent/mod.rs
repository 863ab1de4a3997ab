//! Agent access: agent tokens, the agent MCP endpoint driven by a real MCP
//! client (rmcp's), enforced scopes, and the activity log.

mod tokens;
