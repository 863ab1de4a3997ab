//! Prompts: `{arg}` substitution (only declared arguments are replaced; other
//! braces stay as written), required arguments enforced, and completion of
//! argument values from their `enum`.

use rmcp::ErrorData;
use rmcp::model::{
    CompleteRequestParams, CompleteResult, CompletionInfo, GetPromptRequestParams, GetPromptResult, ListPromptsResult,
    Prompt as McpPrompt, PromptArgument as McpArgument, PromptMessage, Reference, Role,
};
use serde_json::Value;
use shared_model::manifest::Prompt;

use crate::release::Release;

/// `prompts/list`, in manifest order.
pub(super) fn list(release: &Release) -> ListPromptsResult {
    let items = release
        .manifest
        .prompts
        .iter()
        .map(|p| {
            let args = p
                .arguments
                .iter()
                .map(|a| {
                    McpArgument::new(a.name.clone()).with_description(a.description.clone()).with_required(a.required)
                })
                .collect();
            let description = (!p.description.is_empty()).then(|| p.description.clone());
            let prompt = McpPrompt::new(p.name.clone(), description, Some(args));
            match &p.title {
                Some(t) => prompt.with_title(t.clone()),
                None => prompt,
            }
        })
        .collect();
    ListPromptsResult::with_all_items(items)
}

/// Replaces `{name}` for each declared argument; everything else is left as written.
pub fn render(prompt: &Prompt, values: &[(String, String)]) -> String {
    let t = &prompt.template;
    let mut out = String::with_capacity(t.len());
    let mut rest = t.as_str();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').filter(|&c| after[..c].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        match close.and_then(|c| values.iter().find(|(k, _)| k == &after[..c]).map(|(_, v)| (c, v))) {
            Some((c, v)) => {
                out.push_str(v);
                rest = &after[c + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `prompts/get`.
pub(super) fn get(release: &Release, request: &GetPromptRequestParams) -> Result<GetPromptResult, ErrorData> {
    let prompt = release
        .manifest
        .prompts
        .iter()
        .find(|p| p.name == request.name)
        .ok_or_else(|| ErrorData::invalid_params(format!("unknown prompt: {}", request.name), None))?;
    let given = request.arguments.clone().unwrap_or_default();
    let mut values = Vec::new();
    for a in &prompt.arguments {
        let value = match given.get(&a.name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None if a.required => {
                return Err(ErrorData::invalid_params(format!("missing required argument {:?}", a.name), None));
            }
            Some(Value::Null) | None => a.default.clone().unwrap_or_default(),
            Some(other) => other.to_string(),
        };
        values.push((a.name.clone(), value));
    }
    let message = PromptMessage::new_text(Role::User, render(prompt, &values));
    let result = GetPromptResult::new(vec![message]);
    Ok(if prompt.description.is_empty() { result } else { result.with_description(prompt.description.clone()) })
}

/// `completion/complete` for prompt arguments with enum values (prefix match, ≤ 100).
pub(super) fn complete(release: &Release, request: &CompleteRequestParams) -> Result<CompleteResult, ErrorData> {
    let values = match &request.r#ref {
        Reference::Prompt(p) => release
            .manifest
            .prompts
            .iter()
            .find(|x| x.name == p.name)
            .and_then(|x| x.arguments.iter().find(|a| a.name == request.argument.name))
            .map(|a| {
                let prefix = request.argument.value.to_lowercase();
                a.enum_values.iter().filter(|v| v.to_lowercase().starts_with(&prefix)).cloned().collect::<Vec<_>>()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let total = values.len();
    let shown: Vec<String> = values.into_iter().take(CompletionInfo::MAX_VALUES).collect();
    let info = CompletionInfo::with_pagination(shown, Some(total as u32), total > CompletionInfo::MAX_VALUES)
        .map_err(|e| ErrorData::internal_error(e, None))?;
    Ok(CompleteResult::new(info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_declared_arguments_are_substituted() {
        let p: Prompt = serde_json::from_value(serde_json::json!({
            "name": "p", "template": "Hi {name}, {{name}}, {unknown} {not valid} {", "arguments": [{"name": "name"}]
        }))
        .unwrap();
        let out = render(&p, &[("name".into(), "Ann".into())]);
        assert_eq!(out, "Hi Ann, {Ann}, {unknown} {not valid} {");
    }
}
