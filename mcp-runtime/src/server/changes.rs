//! List-changed notifications. When a reload (SIGHUP, a pulled deploy) makes a
//! release current whose tool, prompt or resource list differs from the one it
//! replaces, every connected client is told:
//!
//! - sessions (protocol revisions before 2026-07-28) get
//!   `notifications/tools/list_changed` (or the prompts/resources variant) on
//!   their standalone GET stream, from a forwarder task started when the
//!   client sends `notifications/initialized`;
//! - stateless clients (2026-07-28) that hold a `subscriptions/listen` stream
//!   get the same notifications on it, tagged with the subscription id, and
//!   only the kinds they asked for.
//!
//! Changes are fanned out through one `tokio::sync::broadcast` channel owned
//! by [`super::Shared`]; a listener that falls behind skips to the newest
//! change, which is harmless because the notification carries no payload.

use std::sync::Mutex;
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::SubscriptionFilter;
use rmcp::service::{Peer, RoleServer, SubscriptionContext};
use serde::Serialize;
use tokio::sync::broadcast::{self, error::RecvError};

use super::{prompts, resources};
use crate::release::Release;

/// How often an idle session forwarder checks that its session still exists.
const SESSION_CHECK: Duration = Duration::from_secs(30);

/// Which lists changed between two releases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListChanges {
    /// `tools/list` differs.
    pub tools: bool,
    /// `prompts/list` differs.
    pub prompts: bool,
    /// `resources/list` or `resources/templates/list` differs.
    pub resources: bool,
}

impl ListChanges {
    /// What a client listing `old` and then `new` would see change.
    pub fn between(old: &Release, new: &Release) -> ListChanges {
        ListChanges {
            tools: differs(&*old.tool_list, &*new.tool_list),
            prompts: differs(&prompts::list(old), &prompts::list(new)),
            resources: differs(&resources::list(old), &resources::list(new))
                || differs(&resources::templates(old), &resources::templates(new)),
        }
    }

    /// True when at least one list changed.
    pub fn any(self) -> bool {
        self.tools || self.prompts || self.resources
    }
}

/// Compares two list results as a client sees them (their JSON).
fn differs<T: Serialize>(a: &T, b: &T) -> bool {
    serde_json::to_value(a).ok() != serde_json::to_value(b).ok()
}

/// The broadcast channel the current release's changes go out on, and the
/// receivers of `subscriptions/listen` requests that are being acknowledged.
pub(super) struct Channel {
    sender: broadcast::Sender<ListChanges>,
    /// Receivers made before an acknowledgment went out, so a change announced
    /// between the acknowledgment and [`listen`] is not lost. Any of them fits
    /// any listener: each was made before the listener's acknowledgment, and a
    /// spurious list-changed notification only makes a client list again.
    pending: Mutex<Vec<broadcast::Receiver<ListChanges>>>,
}

impl Channel {
    pub(super) fn new() -> Channel {
        Channel { sender: broadcast::channel(16).0, pending: Mutex::new(Vec::new()) }
    }

    pub(super) fn send(&self, changed: ListChanges) {
        // No receiver (no client connected) is not an error.
        let _ = self.sender.send(changed);
    }

    pub(super) fn subscribe(&self) -> broadcast::Receiver<ListChanges> {
        self.sender.subscribe()
    }

    /// Subscribes ahead of a `subscriptions/listen` acknowledgment.
    fn prepare(&self) {
        let rx = self.subscribe();
        if let Ok(mut p) = self.pending.lock() {
            p.push(rx);
        }
    }

    /// A receiver made by [`Self::prepare`], else a new one.
    fn take(&self) -> broadcast::Receiver<ListChanges> {
        self.pending.lock().ok().and_then(|mut p| p.pop()).unwrap_or_else(|| self.subscribe())
    }
}

/// The kinds a `subscriptions/listen` request may ask for: every list
/// (they all follow deploys); resource subscriptions are not offered, as a
/// SQL resource has no change feed.
pub(super) fn accepted_filter(channel: &Channel, requested: &SubscriptionFilter) -> SubscriptionFilter {
    channel.prepare();
    let mut accepted = requested.clone();
    accepted.resource_subscriptions = None;
    accepted
}

/// Serves one `subscriptions/listen` stream until the client cancels it or
/// the server shuts down. rmcp has already sent the acknowledgment.
pub(super) async fn listen(channel: &Channel, cx: SubscriptionContext) -> Result<(), ErrorData> {
    let mut changes = channel.take();
    let accepted = cx.accepted().clone();
    loop {
        let change = tokio::select! {
            _ = cx.cancelled() => return Ok(()),
            change = changes.recv() => change,
        };
        let change = match change {
            Ok(c) => c,
            Err(RecvError::Lagged(_)) => ListChanges { tools: true, prompts: true, resources: true },
            Err(RecvError::Closed) => return Ok(()),
        };
        let sink = cx.sink();
        // A send fails only when the stream is gone; the loop then ends on the
        // cancellation that follows.
        if change.tools && accepted.tools_list_changed == Some(true) {
            let _ = sink.notify_tool_list_changed().await;
        }
        if change.prompts && accepted.prompts_list_changed == Some(true) {
            let _ = sink.notify_prompt_list_changed().await;
        }
        if change.resources && accepted.resources_list_changed == Some(true) {
            let _ = sink.notify_resource_list_changed().await;
        }
    }
}

/// Forwards changes to one session's client until the session ends.
pub(super) fn follow_session(mut changes: broadcast::Receiver<ListChanges>, peer: Peer<RoleServer>) {
    tokio::spawn(async move {
        loop {
            let change = tokio::select! {
                change = changes.recv() => change,
                _ = tokio::time::sleep(SESSION_CHECK) => {
                    if peer.is_transport_closed() {
                        return;
                    }
                    continue;
                }
            };
            if peer.is_transport_closed() {
                return;
            }
            let change = match change {
                Ok(c) => c,
                Err(RecvError::Lagged(_)) => ListChanges { tools: true, prompts: true, resources: true },
                Err(RecvError::Closed) => return,
            };
            if change.tools {
                let _ = peer.notify_tool_list_changed().await;
            }
            if change.prompts {
                let _ = peer.notify_prompt_list_changed().await;
            }
            if change.resources {
                let _ = peer.notify_resource_list_changed().await;
            }
        }
    });
}
