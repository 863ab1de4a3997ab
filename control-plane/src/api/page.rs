//! Pagination: `skip` and `limit` in, `{items, total}` out.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page size.
pub const MAX_LIMIT: u64 = 100;

/// Query parameters of list routes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items to skip (default 0).
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
        Ok((self.skip.unwrap_or(0), limit))
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
