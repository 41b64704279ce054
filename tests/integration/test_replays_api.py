"""Replays of the API (/api/v1) routes: each sent again 1-20 times, sequentially and concurrently, has one
effect and the same answer (the harness: tests/integration/test_replays.py `replayed`).

Move a route from NOT_REPLAYED_YET to SCENARIOS when a test here replays it; test_replays.py checks that
every idempotent route of the app is in one of the two sets of one of the replay files."""

from __future__ import annotations

SCENARIOS: set[str] = set()
NOT_REPLAYED_YET = {
    "api.LotHold",
    "api.LotRelease",
    "api.OrderCancel",
    "api.SkuBarcodes",
    "asns_api.Asns",
    "box_types_api.BoxTypes",
    "carriers_api.CarrierNumbers",
    "carriers_api.CarrierRules",
    "carriers_api.Carriers",
    "customers_api.CustomerFeedbackList",
    "customers_api.CustomerMerges",
    "customers_api.CustomerNotes",
    "customers_api.CustomerUnmerge",
    "finance_api.Accounts",
    "finance_api.Journal",
    "finance_api.Rates",
    "printers_api.Printers",
    "purchasing_api.PurchaseOrderCancel",
    "purchasing_api.PurchaseOrderClose",
    "purchasing_api.PurchaseOrderConfirm",
    "purchasing_api.PurchaseOrderSend",
    "purchasing_api.PurchaseOrders",
    "purchasing_api.SupplierContacts",
    "purchasing_api.SupplierSkus",
    "reconciliation_api.ConfirmStatement",
    "reconciliation_api.ReconcileLine",
    "reconciliation_api.Statements",
    "returns_api.CaseApprove",
    "returns_api.CaseCancel",
    "returns_api.CaseComplete",
    "returns_api.CaseRefund",
    "returns_api.CaseReject",
    "returns_api.Cases",
    "shipments_api.ShipmentTracking",
    "webhooks_api.WebhookSecret",
}
