"""The permissions matrix: every route (method and endpoint) and socket event, grouped by the
permission it needs ("public": none). ONE declared table: tests/integration/test_permissions_matrix.py
checks the app against it, so a new route or event needs its line here."""

from __future__ import annotations

BY_PERMISSION: dict[str, tuple[str, ...]] = {
    "account.self": (
        "GET api.Me", "GET sessions.mine", "POST auth.logout", "POST auth.set_language", "POST sessions.end_mine",
        "POST sessions.end_my_others",
    ),
    "admin.audit": (
        "GET audit.export_csv", "GET audit.index", "GET audit_api.AuditEvents",
    ),
    "admin.backups": (
        "GET ops.backups", "POST ops.create", "POST ops.verify",
    ),
    "admin.integrity": (
        "GET ops.integrity", "POST ops.apply",
    ),
    "admin.tokens": (
        "GET admin.tokens", "POST admin.revoke_token", "POST admin.tokens",
    ),
    "admin.users": (
        "GET admin.edit_user", "GET admin.new_user", "GET admin.users", "POST admin.edit_user",
        "POST admin.new_user", "POST sessions.admin_end", "POST sessions.admin_end_all",
    ),
    "admin.warehouses": (
        "GET admin.warehouses", "PATCH api.WarehouseById", "POST admin.warehouses", "POST admin.weight_tolerance",
    ),
    "aftersales.manage": (
        "GET aftersales.new", "POST aftersales.act", "POST aftersales.create", "POST returns_api.CaseApprove",
        "POST returns_api.CaseCancel", "POST returns_api.CaseComplete", "POST returns_api.CaseRefund",
        "POST returns_api.CaseReject", "POST returns_api.Cases",
    ),
    "aftersales.view": (
        "GET aftersales.index", "GET aftersales.show", "GET returns_api.CaseById", "GET returns_api.Cases",
    ),
    "board.view": (
        "GET picking.board", "GET picking.board_pickers",
    ),
    "catalog.edit": (
        "DELETE api.SkuBarcodeByCode", "GET catalog.export_as_csv", "GET catalog.export_as_xlsx",
        "GET catalog.import_file", "PATCH api.SkuByCode", "POST api.SkuBarcodes", "POST api.Skus",
        "POST catalog.import_errors", "POST catalog.import_file", "POST catalog.save_kit",
        "POST catalog.save_lot_setup",
    ),
    "catalog.view": (
        "GET api.SkuByCode", "GET api.Skus", "GET catalog.detail", "GET catalog.index",
    ),
    "counts.approve": (
        "GET floor_tasks.count_report", "GET floor_tasks.counts_list", "POST floor_tasks.approve_count",
        "POST floor_tasks.cancel_count", "POST floor_tasks.create_count", "POST floor_tasks.save_threshold",
    ),
    "counts.work": (
        "GET floor_tasks.count", "GET floor_tasks.count_list", "POST floor_tasks.count_finish",
        "POST floor_tasks.count_scan",
    ),
    "customers.edit": (
        "GET customers.duplicates", "GET customers.merge_screen", "PATCH customers_api.CustomerById",
        "POST customers.add_feedback", "POST customers.add_note", "POST customers.blacklist",
        "POST customers.feedback_status", "POST customers.merge", "POST customers.tags", "POST customers.unmerge",
        "POST customers_api.CustomerFeedbackList", "POST customers_api.CustomerMerges",
        "POST customers_api.CustomerNotes", "POST customers_api.CustomerUnmerge",
    ),
    "customers.settings": (
        "GET customers.settings", "POST customers.settings",
    ),
    "customers.view": (
        "GET customers.index", "GET customers.merges", "GET customers.rfm", "GET customers.segment",
        "GET customers.show", "GET customers_api.CustomerById", "GET customers_api.CustomerMergeById",
        "GET customers_api.Customers",
    ),
    "dashboard.view": (
        "GET api-docs.openapi_json", "GET dashboard.index", "GET handheld.commands_sheet", "GET handheld.home",
        "GET handheld.ping", "GET home.index",
    ),
    "exceptions.work": (
        "GET exceptions.index", "POST exceptions.damaged", "POST exceptions.resolve", "POST exceptions.reweigh",
        "POST exceptions.short",
    ),
    "finance.post": (
        "GET finance.entry_new", "POST finance.entry_new", "POST finance.period_action", "POST finance.period_set",
        "POST finance.posting_retry", "POST finance_api.Accounts", "POST finance_api.Journal",
        "POST finance_api.Periods", "POST finance_api.Rates",
    ),
    "finance.reconcile": (
        "GET reconciliation.differences_csv", "GET reconciliation.index", "GET reconciliation.show",
        "GET reconciliation.template", "GET reconciliation.upload", "GET reconciliation_api.StatementById",
        "GET reconciliation_api.Statements", "POST reconciliation.confirm", "POST reconciliation.reconcile",
        "POST reconciliation.upload", "POST reconciliation_api.ConfirmStatement",
        "POST reconciliation_api.ReconcileLine", "POST reconciliation_api.Statements",
    ),
    "finance.view": (
        "GET finance.accounts_page", "GET finance.entry_page", "GET finance.journal_page",
        "GET finance.margin_page", "GET finance.periods_page", "GET finance.posting_errors_page",
        "GET finance.rates_page", "GET finance.statements_page", "GET finance.supplier_payments_page",
        "GET finance.valuation_page", "GET finance_api.Accounts", "GET finance_api.Journal",
        "GET finance_api.Margin", "GET finance_api.Periods", "GET finance_api.Rates", "GET finance_api.Valuation",
        "GET finance_documents.statements_pdf", "POST finance.accounts_page", "POST finance.rates_page",
        "POST finance.supplier_payments_page",
    ),
    "inbound.asn_create": (
        "GET inbound.asn_import", "GET inbound.asn_new", "POST asns_api.Asns", "POST inbound.asn_import",
        "POST inbound.asn_import_errors", "POST inbound.asn_new",
    ),
    "inbound.work": (
        "GET asns_api.AsnById", "GET asns_api.Asns", "GET inbound.asn_detail", "GET inbound.asn_list",
        "GET inbound.putaway_list", "GET inbound.putaway_task", "GET inbound.receive_done",
        "GET inbound.receive_screen", "GET inbound.receive_start", "POST inbound.putaway_confirm",
        "POST inbound.putaway_find", "POST inbound.putaway_resuggest", "POST inbound.receive_blind",
        "POST inbound.receive_finish", "POST inbound.receive_open", "POST inbound.receive_scan",
    ),
    "jobs.view": (
        "GET jobs.download", "GET jobs.index", "GET jobs.progress", "GET jobs.show", "GET jobs_api.JobById",
        "GET jobs_api.Jobs", "POST jobs.cancel", "POST jobs.retry",
    ),
    "locations.manage": (
        "GET floor_tasks.pick_faces", "GET inbound.receiving_settings", "GET locations.edit_bin",
        "GET locations.import_bins", "GET locations.new_bin", "GET locations.new_layout",
        "POST floor_tasks.add_pick_face", "POST floor_tasks.edit_pick_face", "POST floor_tasks.remove_pick_face",
        "POST inbound.asn_close", "POST inbound.receiving_settings", "POST locations.edit_bin",
        "POST locations.import_bins", "POST locations.new_bin", "POST locations.new_layout",
    ),
    "orders.audit": (
        "GET orders.settings", "POST api.OrderCancel", "POST api.OrderIntercept", "POST orders.act",
        "POST orders.allocate", "POST orders.bulk_action", "POST orders.intercept", "POST orders.run_audit",
        "POST orders.settings", "POST orders.split",
    ),
    "orders.create": (
        "GET feeds.edit", "GET intake.import_errors", "GET intake.import_job", "GET intake.import_progress",
        "GET intake.imports", "GET intake.new_order", "GET intake.sku_search_results", "GET intake.template_csv",
        "POST api.Orders", "POST feeds.edit", "POST feeds.pull", "POST intake.imports", "POST intake.new_order",
        "POST intake.order_lines",
    ),
    "orders.view": (
        "GET api.OrderById", "GET api.Orders", "GET feeds.index", "GET orders.index", "GET orders.show",
    ),
    "packing.work": (
        "GET box_types_api.BoxTypeById", "GET box_types_api.BoxTypes", "GET labels.packing_slip_pdf",
        "GET labels.packing_slip_zpl", "GET labels.sscc_form", "GET labels.sscc_pdf", "GET labels.sscc_zpl",
        "GET labels.wave_packing_slips_pdf", "GET labels.wave_waybills_pdf", "GET labels.waybill_pdf",
        "GET labels.waybill_zpl", "GET pack.station",
        "GET printing.download", "GET printing.jobs", "POST pack.carrier", "POST pack.choose_station",
        "POST pack.new_package", "POST pack.restart", "POST pack.scan", "POST pack.tracking_number",
        "POST pack.weigh", "POST printing.reprint", "POST printing.retry",
    ),
    "picking.manage": (
        "GET picking.wave", "GET picking.waves", "GET waves_api.WaveById", "GET waves_api.Waves",
        "POST picking.assign", "POST picking.preview", "POST picking.release",
    ),
    "picking.work": (
        "GET picking.pick", "GET put_back.orders", "GET put_back.screen", "POST picking.pick_pause",
        "POST picking.pick_scan", "POST picking.pick_short", "POST put_back.scan",
    ),
    "public": (
        "GET auth.choose_language", "GET auth.login", "GET health", "GET service_worker", "GET static",
        "POST auth.badge_login", "POST auth.login", "POST carriers_api.tracking_webhook",
    ),
    "purchasing.asn": (
        "POST po_inbound.create_asn_route",
    ),
    "purchasing.confirm": (
        "POST purchasing.order_confirm", "POST purchasing_api.PurchaseOrderConfirm",
    ),
    "purchasing.edit": (
        "DELETE purchasing_api.SupplierContactById", "GET purchasing.order_edit", "GET purchasing.order_new",
        "GET purchasing.supplier_edit", "GET purchasing.supplier_new", "PATCH purchasing_api.SupplierById",
        "POST purchasing.order_cancel", "POST purchasing.order_close", "POST purchasing.order_edit",
        "POST purchasing.order_import", "POST purchasing.order_new", "POST purchasing.order_send",
        "POST purchasing.suggestions_to_drafts", "POST purchasing.supplier_active",
        "POST purchasing.supplier_contact_add", "POST purchasing.supplier_contact_remove",
        "POST purchasing.supplier_edit", "POST purchasing.supplier_import", "POST purchasing.supplier_new",
        "POST purchasing.supplier_sku_save", "POST purchasing_api.PurchaseOrderCancel",
        "POST purchasing_api.PurchaseOrderClose", "POST purchasing_api.PurchaseOrderSend",
        "POST purchasing_api.PurchaseOrders", "POST purchasing_api.SupplierContacts",
        "POST purchasing_api.SupplierSkus", "POST purchasing_api.Suppliers",
    ),
    "purchasing.orders": (
        "GET po_documents.pdf", "GET purchasing.order_detail", "GET purchasing.orders",
        "GET purchasing_api.PurchaseOrderById", "GET purchasing_api.PurchaseOrders",
    ),
    "purchasing.view": (
        "GET purchasing.performance", "GET purchasing.suggestions_page", "GET purchasing.supplier_detail",
        "GET purchasing.suppliers", "GET purchasing_api.PurchaseSuggestions", "GET purchasing_api.SupplierById",
        "GET purchasing_api.SupplierSkus", "GET purchasing_api.Suppliers",
    ),
    "replenish.work": (
        "GET floor_tasks.replenish", "GET floor_tasks.replenish_list", "GET floor_tasks.replenishment_list",
        "POST floor_tasks.plan_now", "POST floor_tasks.replenish_scan",
    ),
    "reports.view": (
        "GET reports.customers", "GET reports.products", "GET reports.sales", "GET reports_ops.operations",
    ),
    "returns.work": (
        "GET returns_station.station", "POST returns_station.inspect", "POST returns_station.open_case",
        "POST returns_station.scan",
    ),
    "shipping.manage": (
        "DELETE carriers_api.CarrierRuleById", "DELETE printers_api.PrinterById", "GET boxes.box_types",
        "GET boxes.edit_box_type", "GET carriers.edit", "GET carriers.index", "GET carriers.rules",
        "GET carriers_api.CarrierByCode", "GET carriers_api.CarrierRules", "GET carriers_api.Carriers",
        "GET labels.edit_template", "GET labels.templates", "GET printers_api.PrinterById",
        "GET printers_api.Printers", "GET printing.edit_printer", "GET printing.new_printer",
        "GET printing.printers", "PATCH box_types_api.BoxTypeById", "PATCH carriers_api.CarrierByCode",
        "PATCH carriers_api.CarrierRuleById", "POST box_types_api.BoxTypes", "POST boxes.box_types",
        "POST boxes.edit_box_type", "POST boxes.toggle_box_type", "POST carriers.change_rule",
        "POST carriers.create", "POST carriers.create_rule", "POST carriers.import_numbers", "POST carriers.update",
        "POST carriers_api.CarrierNumbers", "POST carriers_api.CarrierRules", "POST carriers_api.Carriers",
        "POST labels.preview_template", "POST labels.reset_template", "POST labels.save_template",
        "POST printers_api.Printers", "POST printing.delete_printer", "POST printing.edit_printer",
        "POST printing.new_printer", "PUT printers_api.PrinterById",
    ),
    "shipping.work": (
        "GET manifests.export_dates", "GET manifests.export_manifest", "GET manifests.index", "GET manifests.pdf",
        "GET manifests.show", "GET shipments_api.ShipmentById", "GET shipments_api.Shipments",
        "POST manifests.close", "POST manifests.open_new", "POST manifests.print_sheet", "POST manifests.remove",
        "POST manifests.scan", "POST shipments_api.ShipmentTracking",
    ),
    "shops.manage": (
        "DELETE shops_api.ShopSkuLink", "GET shops.bulk_ship", "GET shops.edit", "GET shops.index", "GET shops.new",
        "GET shops_api.ShopByCode", "GET shops_api.ShopSkuLinks", "GET shops_api.Shops",
        "PATCH shops_api.ShopByCode", "POST shops.edit", "POST shops.links", "POST shops.new", "POST shops.test",
        "POST shops_api.ShopConnection", "POST shops_api.Shops", "PUT shops_api.ShopSkuLink",
    ),
    "sorting.work": (
        "GET picking.sort", "POST picking.sort_scan",
    ),
    "stock.adjust": (
        "GET stock.adjust", "GET stock.adjust_current", "POST api.LotHold", "POST api.LotRelease",
        "POST lots.discount", "POST lots.hold", "POST lots.hold_orders", "POST lots.release",
        "POST lots.save_window", "POST lots.scrap", "POST lots.to_clearance", "POST stock.adjust",
        "POST stock.delete_rule", "POST stock.save_rule",
    ),
    "stock.transfer": (
        "GET stock.new_transfer", "POST stock.cancel_transfer", "POST stock.new_transfer",
        "POST stock.receive_transfer", "POST stock.ship_transfer",
    ),
    "stock.view": (
        "GET api.LotById", "GET api.Lots", "GET api.Stock", "GET api.StockBins", "GET api.StockMoves",
        "GET api.Warehouses", "GET handheld.lookup", "GET locations.export_bins", "GET locations.index",
        "GET locations.labels", "GET locations.plan", "GET locations.show", "GET locations.slotting",
        "GET lots.detail", "GET lots.expiring", "GET lots.index", "GET lots.recall_export", "GET lots.recall_page",
        "GET stock.export_csv", "GET stock.export_xlsx", "GET stock.index", "GET stock.low", "GET stock.sku",
        "GET stock.transfer_detail", "GET stock.transfer_list", "POST handheld.lookup_scan",
    ),
    "webhooks.manage": (
        "DELETE webhooks_api.WebhookById", "GET webhooks.index", "GET webhooks.show",
        "GET webhooks_api.DeliveryById", "GET webhooks_api.WebhookById", "GET webhooks_api.WebhookDeliveries",
        "GET webhooks_api.Webhooks", "PATCH webhooks_api.WebhookById", "POST webhooks.create",
        "POST webhooks.delete", "POST webhooks.replay", "POST webhooks.rotate_secret", "POST webhooks.update",
        "POST webhooks_api.DeliveryReplay", "POST webhooks_api.WebhookSecret", "POST webhooks_api.Webhooks",
    ),
}
ROUTES: dict[str, str] = {route: perm for perm, routes in BY_PERMISSION.items() for route in routes}
# Routes whose view also asks for a second permission (the station's office actions).
ALSO_NEEDS: dict[str, str] = {"POST returns_station.open_case": "aftersales.manage"}
# socket events: "login" = any logged-in user (the connect handler refuses anonymous sockets)
SOCKET_EVENTS: dict[str, str] = {"connect": "login", "join_warehouse": "board.view", "join_wave": "board.view",
                                 "board_snapshot": "board.view"}
