//! The REST endpoints served, by method and path.

use axum::http::Method;
use mm_bybit::paths;

/// `GET /v5/position/list`.
pub(crate) const POSITIONS: &str = "/v5/position/list";
/// `GET /v5/execution/list`.
pub(crate) const EXECUTIONS: &str = "/v5/execution/list";

/// The endpoints served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Create,
    Amend,
    Cancel,
    CreateBatch,
    AmendBatch,
    CancelBatch,
    CancelAll,
    OpenOrders,
    Positions,
    Executions,
    Tickers,
    Instruments,
    Time,
}

impl Endpoint {
    pub(crate) fn route(method: &Method, path: &str) -> Option<Self> {
        let post = *method == Method::POST;
        let get = *method == Method::GET;
        Some(match path {
            paths::CREATE if post => Self::Create,
            paths::AMEND if post => Self::Amend,
            paths::CANCEL if post => Self::Cancel,
            paths::CREATE_BATCH if post => Self::CreateBatch,
            paths::AMEND_BATCH if post => Self::AmendBatch,
            paths::CANCEL_BATCH if post => Self::CancelBatch,
            paths::CANCEL_ALL if post => Self::CancelAll,
            paths::OPEN_ORDERS if get => Self::OpenOrders,
            POSITIONS if get => Self::Positions,
            EXECUTIONS if get => Self::Executions,
            paths::TICKERS if get => Self::Tickers,
            paths::INSTRUMENTS if get => Self::Instruments,
            paths::TIME if get => Self::Time,
            _ => return None,
        })
    }

    /// Order-entry endpoints are the ones faults apply to by default.
    pub(crate) fn order_entry(self) -> bool {
        !matches!(
            self,
            Self::OpenOrders
                | Self::Positions
                | Self::Executions
                | Self::Tickers
                | Self::Instruments
                | Self::Time
        )
    }

    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Create => paths::CREATE,
            Self::Amend => paths::AMEND,
            Self::Cancel => paths::CANCEL,
            Self::CreateBatch => paths::CREATE_BATCH,
            Self::AmendBatch => paths::AMEND_BATCH,
            Self::CancelBatch => paths::CANCEL_BATCH,
            Self::CancelAll => paths::CANCEL_ALL,
            Self::OpenOrders => paths::OPEN_ORDERS,
            Self::Positions => POSITIONS,
            Self::Executions => EXECUTIONS,
            Self::Tickers => paths::TICKERS,
            Self::Instruments => paths::INSTRUMENTS,
            Self::Time => paths::TIME,
        }
    }
}
