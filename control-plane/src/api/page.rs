//! Pagination and list filters: `skip`, `limit` and the filters in, `{items, total}` out.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::storage::published::ListFilter;

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page size.
pub const MAX_LIMIT: u64 = 100;

/// Query parameters of list routes.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items to skip (default 0; at most 2^63 − 1, the databases' offset range).
    pub skip: Option<u64>,
    /// Items to return, 1–100 (default 50).
    pub limit: Option<u64>,
}

impl PageQuery {
    /// Validated `(skip, limit)`.
    pub fn bounds(&self) -> Result<(u64, u64), ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        let skip = self.skip.unwrap_or(0);
        // Beyond i64 the store's OFFSET overflows: refuse it here rather than answer 500.
        if i64::try_from(skip).is_err() {
            return Err(ApiError::invalid("skip", format!("must be between 0 and {}", i64::MAX)));
        }
        Ok((skip, limit))
    }
}

/// A page of items.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items exist in all.
    pub total: u64,
}

/// Longest `search` a list accepts.
pub const MAX_SEARCH_LEN: usize = 200;

/// Filters of the tool and resource lists.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct LinkedFilterQuery {
    /// Only those running on this connection (a connection id).
    pub connection_id: Option<String>,
    /// Comma-separated tags; only those carrying all of them.
    pub tags: Option<String>,
    /// Only those whose name or description contains this text, ignoring case (up to 200 characters).
    pub search: Option<String>,
}

/// Filters of the prompt list.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct FilterQuery {
    /// Comma-separated tags; only those carrying all of them.
    pub tags: Option<String>,
    /// Only those whose name or description contains this text, ignoring case (up to 200 characters).
    pub search: Option<String>,
}

impl From<FilterQuery> for LinkedFilterQuery {
    fn from(q: FilterQuery) -> Self {
        LinkedFilterQuery { connection_id: None, tags: q.tags, search: q.search }
    }
}

impl LinkedFilterQuery {
    /// The validated filter: a connection id that is a UUID, no empty tag, a search of bounded length.
    pub fn filter(self) -> Result<ListFilter, ApiError> {
        let connection_id = match self.connection_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => {
                Some(id.parse().map_err(|_| ApiError::invalid("connection_id", "must be a connection id (a UUID)"))?)
            }
        };
        let tags = match self.tags.as_deref() {
            None | Some("") => Vec::new(),
            Some(list) => {
                let tags: Vec<String> = list.split(',').map(|t| t.trim().to_string()).collect();
                if tags.iter().any(String::is_empty) {
                    return Err(ApiError::invalid("tags", "must be a comma-separated list of non-empty tags"));
                }
                tags
            }
        };
        let search = self.search.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if search.as_ref().is_some_and(|s| s.chars().count() > MAX_SEARCH_LEN) {
            return Err(ApiError::invalid("search", format!("must be at most {MAX_SEARCH_LEN} characters")));
        }
        Ok(ListFilter { connection_id, tags, search })
    }
}
