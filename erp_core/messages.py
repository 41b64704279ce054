"""What every refusal says, in the reader's language (zh-CN and English).

A domain error carries a stable code and its details (the expected bin, the quantity left, ...).
`describe(error)` turns it into the sentence a person reads: the code's registered, translated
template filled from the details, or the error's own English message when the code has none yet.
A test enumerates every code the code base can raise and checks each has both texts.

An entry is one template, or a tuple of them from the most to the least specific: the first whose
placeholders all have a value in the details is used (a code raised from several places does not
always know the same things). Lists are shown comma-separated; status codes as their labels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from .code_labels import STATUS_LABELS
from .errors import DomainError

# code -> translatable template (or templates, most specific first); placeholders are %(name)s
# from the error's details. Codes from erp_core, wms, the API's HTTP errors and the access guard.
MESSAGES: Mapping[str, object] = {
    # --- the error classes' own codes, and the API's HTTP and access codes --------------------------
    "domain_error": _l("This cannot be done right now."),
    "not_found": _l("Not found: it does not exist or was removed."),
    "validation_error": _l("Some values are not valid: check them and try again."),
    "conflict": _l("This changed meanwhile or clashes with existing data: reload and try again."),
    "forbidden": (_l("Your role may not do this (it needs the permission %(permission)s)."),
                  _l("Your role may not do this.")),
    "insufficient_stock": (
        _l("Not enough available stock in %(location)s: nothing was changed."),
        _l("Not enough available stock of %(sku)s: nothing was changed."),
        _l("Not enough available stock: nothing was changed."),
    ),
    "bad_request": _l("The request is not valid."),
    "unauthenticated": _l("Log in or send an API token (Authorization: Bearer ...)."),
    "invalid_token": _l("The API token is unknown or revoked."),
    "csrf_failed": _l("The form's security token is missing or has expired: reload the page and try again."),
    "method_not_allowed": _l("This method is not allowed here."),
    "too_large": _l("The upload is too large."),
    "unsupported_media_type": _l("This content type is not supported: send JSON."),
    "rate_limited": (_l("Too many requests (limit: %(limit)s): wait a moment and try again."),
                     _l("Too many requests: wait a moment and try again.")),
    "error": _l("Something went wrong on the server."),
    # --- users, badges and API tokens ---------------------------------------------------------------
    "username_required": _l("A username is required."),
    "username_taken": _l("Username %(username)s is taken."),
    "unknown_role": _l("Unknown role %(role)s."),
    "weak_password": _l("A password needs at least %(minimum)s characters."),
    "weak_badge": _l("A badge code needs at least %(minimum)s characters."),
    "badge_taken": _l("This badge belongs to another user."),
    "unknown_warehouse": _l("No such warehouse."),
    "name_required": _l("A token needs a name."),
    "bad_idempotency_key": _l("The Idempotency-Key header is longer than 255 characters."),
    "idempotency_key_reused": _l("This Idempotency-Key was used with a different request."),
    # --- catalogue ----------------------------------------------------------------------------------
    "sku_incomplete": _l("A SKU needs a code and a name."),
    "negative_value": _l("Cost, price, weight and sizes cannot be negative."),
    "sku_exists": _l("SKU %(sku)s exists already."),
    "unknown_sku": (_l("Unknown or inactive SKU: %(skus)s."), _l("No such SKU.")),
    "barcode_taken": (_l("Barcode %(barcode)s is already in use."), _l("This barcode is already in use.")),
    "unknown_barcode": (_l("The SKU has no barcode %(barcode)s."), _l("The SKU has no such barcode.")),
    "invalid_barcode": (
        _l("Barcode %(barcode)s has a wrong %(kind)s check digit: the last digit should be %(check_digit)s, "
           "not %(last_digit)s."),
        _l("%(barcode)s is not a valid barcode: use up to 64 letters, digits and symbols without spaces, "
           "and not a number Excel shows as 6.9E+12."),
        _l("The barcode is empty."),
    ),
    "duplicate_component": _l("Component %(component)s is listed twice."),
    "kit_contains_itself": _l("Kit %(component)s cannot contain itself."),
    "kit_in_kit": _l("%(component)s is a kit; a kit cannot contain another kit."),
    "component_cannot_be_kit": _l("%(kit)s is a component of a kit and cannot become a kit."),
    # --- orders -------------------------------------------------------------------------------------
    "unknown_order": _l("No such order."),
    "no_lines": _l("Enter at least one line with a SKU and a quantity."),
    "bad_quantity": (
        _l("The quantity must be a whole number from 1 to %(maximum)s."),
        _l("%(quantity)s is not a possible quantity of %(sku)s: enter a whole number from 1."),
        _l("%(value)s is not a quantity: enter a whole number."),
        _l("That quantity is not possible here."),
    ),
    "order_exists": (
        _l("The order could not be numbered after %(attempts)s tries; please submit it again."),
        _l("This order exists already (order #%(order_id)s)."),
        _l("This order exists already."),
    ),
    "reason_required": _l("This action needs a reason."),
    "not_auditable": (_l("Order %(order)s is %(order_status)s: only pending or held orders are audited."),
                     _l("Only pending or held orders are audited.")),
    "not_approvable": (_l("Order %(order)s is %(order_status)s and cannot be approved."),
                      _l("This order cannot be approved in its current status.")),
    "not_holdable": (_l("Order %(order)s is %(order_status)s and cannot be put on hold."),
                    _l("This order cannot be put on hold in its current status.")),
    "not_rejectable": (_l("Order %(order)s is %(order_status)s and cannot be rejected."),
                      _l("This order cannot be rejected in its current status.")),
    "not_cancellable": (_l("Order %(order)s is %(order_status)s and can no longer be cancelled."),
                       _l("This order can no longer be cancelled in its current status.")),
    "not_splittable": (_l("Order %(order)s is %(order_status)s and cannot be split."),
                      _l("This order cannot be split in its current status.")),
    "nothing_to_split": _l("Choose at least one quantity to split off."),
    "bad_split": _l("A split takes at most what a line has, and leaves something in the original order."),
    "nothing_to_merge": _l("Choose at least two orders to merge."),
    "not_mergeable": _l("Only orders of the same buyer to the same address, not yet released to the "
                        "warehouse, can be merged."),
    "not_allocatable": (_l("Order %(order)s is %(order_status)s: only an approved order can reserve stock."),
                       _l("Only an approved order can reserve stock.")),
    "order_status_conflict": (_l("Order %(order)s is %(current)s and cannot become %(wanted)s."),
                              _l("This order cannot make this change in its current status.")),
    "changed_meanwhile": _l("This was changed by someone else meanwhile: reload it and try again."),
    "status_conflict": _l("This is %(current)s and cannot become %(wanted)s."),
    "concurrent_update": _l("Someone else changed the same records at the same moment: nothing was saved, "
                            "please try again."),
    "idempotency_in_progress": _l("The same request is still being processed: try again in a moment."),
    "not_releasable": _l("Order %(order)s is no longer released: plan the wave again."),
    "kit_without_components": _l("A kit on this order has no components: set them in the catalogue first."),
    # --- channels, imports and feeds ----------------------------------------------------------------
    "unknown_channel": (_l("No active shop or channel %(channel)s."),
                        _l("This shop or channel does not exist or is not active.")),
    "unknown_import_job": _l("No such import job."),
    "no_files": _l("Choose at least one file."),
    "channel_inactive": _l("Channel %(channel)s is not active."),
    "feed_not_configured": _l("Channel %(channel)s has no feed to pull: set its adapter and feed URL first."),
    "pull_in_progress": _l("Channel %(channel)s is being pulled right now; try again in a few minutes."),
    "unknown_adapter": (_l("There is no channel adapter called %(adapter)s."),
                        _l("Choose an adapter for the feed URL.")),
    "too_long": _l("The feed URL and token are limited to 500 characters."),
    "bad_interval": _l("The interval must be 1 to 1440 minutes."),
    "feed_error": _l("The feed could not be read."),
    "feed_bad_url": _l("The feed URL must be an http:// or https:// address."),
    "feed_http_error": _l("The feed answered HTTP %(http_status)s (for 401 or 403, check the feed token)."),
    "feed_unreachable": _l("The feed cannot be reached: %(reason)s."),
    "feed_too_large": _l("The feed page is larger than 20 MB; ask for smaller pages."),
    "feed_redirected": _l("The feed redirected to another server (%(host)s); use that URL instead."),
    "feed_bad_json": _l("The feed did not answer valid JSON."),
    "feed_bad_shape": _l('The feed page is not in the documented shape {"orders": [...], "has_more": ..., '
                         '"next_cursor": ...}.'),
    # --- stock, transfers and reorder rules ---------------------------------------------------------
    "code_required": _l("A warehouse needs a code."),
    "same_location": _l("Source and destination are the same location."),
    "over_release": _l("Cannot release more than is reserved."),
    "unknown_reason": _l("Choose an adjustment reason from the list."),
    "not_a_bin": _l("Every counted location must be an active bin of the warehouse."),
    "same_warehouse": _l("A transfer goes to another warehouse."),
    "bin_not_in_warehouse": _l("That bin is not a stock location of the warehouse."),
    "unknown_transfer": _l("No such transfer."),
    "transfer_status": _l("Transfer %(reference)s has changed meanwhile (now: %(status_now)s): reload the page."),
    "nothing_received": _l("Enter the quantity received on at least one line."),
    "unknown_line": _l("The line is not part of this transfer."),
    "over_receipt": _l("Cannot receive %(requested)s of %(sku)s: only %(remaining)s are still in transit. "
                       "Nothing was changed."),
    "bad_reorder_rule": _l("The reorder point must be at least 0, and the maximum at least the reorder point."),
    "unknown_rule": _l("No such reorder rule."),
    # --- warehouse layout and bins ------------------------------------------------------------------
    "no_zones": _l("Fill in at least one zone."),
    "duplicate_zone": _l("Two zones have the same code."),
    "bad_zone_code": _l("Zone code %(zone)s: 1-4 capital letters or digits, starting with a letter."),
    "bad_zone_size": _l("Zone %(zone)s: a zone has 1-99 aisles, 1-99 bays per aisle and 1-%(max_levels)s levels."),
    "bad_reserve_level": _l("Zone %(zone)s: reserve levels must start at one of the zone's levels "
                            "(1-%(levels)s)."),
    "bad_bin_type": (_l("Zone %(zone)s: the bin type must be pick face or reserve."), _l("Choose a bin type.")),
    "bad_aisle_width": _l("The aisle width must be less than the aisle spacing."),
    "bad_dimension": _l("Bay width and cross-aisle widths must be positive."),
    "bad_cross_aisles": _l("Cross aisles need a positive width."),
    "too_many_cross_aisles": _l("More cross aisles than pairs of bays to split."),
    "bad_depot": _l("The depot must stand on the front cross aisle, within the floor's width."),
    "layout_exists": _l("This warehouse already has a layout."),
    "no_layout": _l("The warehouse has no aisles: create its layout first."),
    "code_taken": (_l("Codes already used in warehouse %(warehouse)s: %(codes)s."),
                   _l("Code %(bin)s is already used in warehouse %(warehouse)s."),
                   _l("This code is already used.")),
    "code_locked": _l("Stock has moved through this bin: its code and barcode cannot change."),
    "bad_code": _l("Codes may hold letters, digits, . _ - (up to 40), starting with a letter or digit."),
    "bad_barcode": _l("Codes may hold letters, digits, . _ - (up to 40), starting with a letter or digit."),
    "bad_capacity": _l("Capacity must be a whole number from 1 to 1000000."),
    "bad_number": _l("Coordinates cannot be negative."),
    # --- inbound: ASNs, receiving and putaway (the texts of inbound_routes._say) ----------------------
    "unknown_asn": (_l("No ASN has this reference: %(scanned)s"), _l("No such ASN.")),
    "bad_reference": _l("An ASN reference has at most 40 characters."),
    "asn_exists": _l("ASN %(reference)s already exists."),
    "asn_not_receivable": _l("ASN %(reference)s is %(asn_status)s: nothing more can be received on it."),
    "not_on_asn": _l("%(sku)s is not on ASN %(reference)s. It expects: %(expected)s."),
    "no_staging_bin": _l("Warehouse %(warehouse)s has no staging bin: create a bin of type staging first."),
    "no_damaged_bin": _l("Warehouse %(warehouse)s has no damaged-goods bin: create one to set units aside."),
    "unknown_task": _l("No such putaway task."),
    "task_not_open": _l("This putaway task is already done."),
    "unknown_bin": (_l("No bin has this barcode: %(scanned)s"), _l("No such bin.")),
    "wrong_warehouse": _l("Bin %(bin)s is in warehouse %(warehouse)s, not in this task's warehouse."),
    "not_storage_bin": _l("%(bin)s is not a storage bin (pick face or reserve): scan another bin."),
    "no_room": _l("Bin %(bin)s has room for %(room)d, the task has %(quantity)d: scan another bin."),
    "staging_short": _l("Staging holds only %(available)d of these units: nothing was moved."),
    # --- replenishment and cycle counts -------------------------------------------------------------
    "bad_min_max": _l("The maximum must be above the minimum, and the minimum at least 0."),
    "not_a_pick_bin": _l("Only a pick-face bin can be a pick face."),
    "pick_face_exists": _l("This SKU is already assigned to this bin."),
    "task_closed": _l("This task is not open any more."),
    "no_bins": _l("There are no bins to count."),
    "sku_not_in_stock": _l("No bin of this warehouse holds the SKU."),
    "nothing_due": _l("No SKU is due for counting."),
    "count_closed": _l("This count is closed."),
    "count_incomplete": _l("%(uncounted)s lines are not counted yet: the count cannot be approved."),
    "bin_not_in_count": (_l("Bin %(scanned)s is not part of this count."),
                         _l("This bin is not part of this count.")),
    "not_free_to_move": _l("Only %(free)s units in %(bin)s are free to move (%(reserved)s are reserved for orders): "
                           "type a smaller quantity."),
    "no_putaway_task": _l("No open putaway task for %(sku)s."),
    "bin_counted": (_l("Bin %(bin)s is counted already."), _l("This bin is counted already.")),
    "finish_first": _l("Finish this bin first: scan its barcode again or press Finish bin."),
    "item_first": _l("Scan an item before typing its quantity."),
    # --- scanning: picking, put wall ----------------------------------------------------------------
    "wrong_bin": (_l("Wrong bin %(scanned)s: expected %(expected)s."), _l("Wrong bin: expected %(expected)s.")),
    "wrong_item": (_l("Wrong item %(scanned)s: expected %(expected)s."), _l("Wrong item: expected %(expected)s.")),
    "unknown_item": (_l("Nothing is known by this code: %(scanned)s"), _l("Nothing is known by this code.")),
    "too_many": _l("Too many: only %(expected)s left to pick here."),
    "bin_empty": _l("This bin has nothing left to pick for this task: someone else picked it already."),
    "task_not_yours": _l("This cart is someone else's: ask your supervisor."),
    "list_finished": _l("This pick list is finished."),
    "list_not_pausable": _l("This pick list cannot be paused now."),
    "wave_status_conflict": _l("Wave %(wave)s is %(current)s and cannot become %(wanted)s."),
    "unknown_pick_task": _l("No such pick task: reload the screen."),
    "unknown_pick_list": _l("No such pick list."),
    "reservation_missing": _l("The reservation for this pick is missing: ask the office to check the order."),
    "not_a_cart": (_l("%(scanned)s is not a cart label: scan the label of the cart."),
                   _l("This is not a cart label: scan the label of the cart.")),
    "not_a_batch_cart": _l("This cart was picked per order: it needs no sorting."),
    "not_on_cart": (_l("No order on this cart waits for %(sku)s: put it aside for the supervisor."),
                    _l("No order on this cart waits for this item: put it aside for the supervisor.")),
    "wrong_slot": (_l("Wrong slot %(scanned)s: put it into slot %(expected)s."),
                   _l("Wrong slot: put it into slot %(expected)s.")),
    "already_sorted": _l("This unit is already sorted."),
    # --- lots and expiry: the stock core ------------------------------------------------------------
    "lot_required": (_l("%(sku)s is tracked by lot: give the lot number."),
                     _l("This SKU is tracked by lot: give the lot number.")),
    "lot_not_tracked": (_l("%(sku)s is not tracked by lot: leave the lot empty."),
                        _l("This SKU is not tracked by lot: leave the lot empty.")),
    "lot_of_other_sku": _l("This lot belongs to another SKU."),
    "lot_number_too_long": _l("A lot number has at most %(maximum)s characters."),
    "lot_dates_reversed": _l("Lot %(lot)s: the production date is after the expiry date."),
    "lot_expiry_differs": _l("Lot %(lot)s expires on %(expiry)s, not %(given)s: check the label."),
    "lot_expiry_required": _l("Lot %(lot)s needs an expiry date (or a production date)."),
    # --- lots: receiving, putaway and the SKU's lot set-up ------------------------------------------
    "bad_life_days": _l("Shelf-life days are whole numbers from %(minimum)s to %(maximum)s (%(field)s)."),
    "min_life_over_shelf_life": _l("A minimum of %(days)s days left cannot exceed the shelf life of %(shelf_life)s "
                                   "days."),
    "lot_tracking_stock_on_hand": _l("%(sku)s has %(quantity)s units on hand that the change would leave without "
                                     "the right lot: switch lot tracking once they are gone (count or move them "
                                     "out first)."),
    "bad_ship_life_percent": _l("The share of shelf life left at shipment is 1 to 100 percent."),
    "bad_lot_date": _l("Not a date: %(value)s (write it as 2026-03-31)."),
    "short_shelf_life": _l("Lot %(lot)s of %(sku)s expires on %(expiry)s: %(days_left)s days left, %(minimum)s "
                           "needed at receipt. Refused: nothing was received."),
    "lot_mixing_refused": _l("Bin %(bin)s holds lot %(lot)s of this SKU and takes one lot only: put lot "
                             "%(task_lot)s into another bin."),
    # --- lots: picking, sorting, counts, replenishment and transfers --------------------------------
    "wrong_lot": (_l("Wrong lot %(scanned)s: pick lot %(expected)s, expiring %(expiry)s."),
                  _l("Wrong lot %(scanned)s: pick lot %(expected)s."), _l("Wrong lot: pick lot %(expected)s.")),
    "lot_scan_needed": (_l("This bin holds several lots of %(sku)s: scan the GS1 label of the lot or type lot "
                           "%(expected)s."),
                        _l("This bin holds several lots of this item: scan the GS1 label of the lot or type the lot.")),
    "lot_not_on_cart": (_l("No order on this cart waits for lot %(lot)s of %(sku)s: put it aside for the supervisor."),
                        _l("No order on this cart waits for this lot: put it aside for the supervisor.")),
    "cart_lot_scan_needed": (_l("This cart holds several lots of %(sku)s: scan the GS1 label of the lot or type "
                                "the lot."),
                             _l("This cart holds several lots of this item: scan the GS1 label of the lot or type the "
                                "lot.")),
    "replenish_wrong_lot": _l("This is lot %(scanned)s: take lot %(expected)s."),
    "lot_first": _l("Give the lot of the item you scanned first: scan its lot label or type the lot number."),
    # --- lots: expiry alerts, trace and recall ------------------------------------------------------
    "lot_units_reserved": _l("Only %(free)s units of lot %(lot)s in %(bin)s are free (%(reserved)s are reserved for "
                             "orders): nothing was moved. Release the orders first."),
    "not_a_clearance_bin": _l("Choose an active clearance bin of the same warehouse."),
    "bin_holds_other_lot": _l("Bin %(bin)s holds another lot of this SKU and keeps lots apart."),
    "unknown_lot": _l("No such lot."),
    "bad_alert_window": _l("The alert window is 0 to %(maximum)s days."),
    # --- shipping desk: the core (pack-out, carriers, ship) -----------------------------------------
    "not_packable": (_l("Order %(order)s is %(order_status)s: it cannot be packed."),
                     _l("This order cannot be packed now.")),
    "not_sorted": _l("Order %(order)s is still on the put wall: sort it into its slot first."),
    "not_a_pack_station": _l("Choose a packing station (a packing bin) of the order's warehouse."),
    "no_packages": _l("Pack at least one package."),
    "weight_required": _l("Weigh the package: its weight is needed."),
    "not_an_order_line": _l("A packed line is not one of this order's lines."),
    "pack_too_many": _l("More units are packed than the order holds: %(skus)s. Take the extra ones out."),
    "pack_incomplete": _l("Not everything is packed yet: %(skus)s still missing."),
    "unknown_carrier": (_l("No active carrier %(carrier)s."), _l("No such carrier.")),
    "carrier_adapter_unknown": _l("Carrier %(carrier)s has no adapter %(adapter)s: check its set-up."),
    "pool_empty": _l("The carrier's pool of tracking numbers is empty: import a new range."),
    "waybill_exists": _l("Shipment %(reference)s has its waybill already (or is no longer at the desk): "
                         "cancel the waybill first."),
    "tracking_number_required": _l("Scan or type the waybill's tracking number."),
    "tracking_number_taken": _l("Tracking number %(number)s is on shipment %(reference)s already."),
    "tracking_number_missing": _l("Shipment %(reference)s has no tracking number yet."),
    "shipment_not_cancellable": _l("Shipment %(reference)s is %(current)s: it cannot be cancelled at the desk."),
    "shipment_not_shippable": _l("Shipment %(reference)s is %(current)s: it cannot be shipped."),
    "unknown_shipment": _l("No such shipment."),
    # --- shipping desk: pack station, boxes and scale -------------------------------------------------
    "pack_station_required": _l("Choose your pack station first."),
    "pack_order_first": _l("Scan the cart, the order number or the waybill first, then the items."),
    "pack_scan_unknown": _l("%(scanned)s is no cart, put-wall slot, order, waybill or item here."),
    "pack_cart_empty": _l("Nothing on cart %(cart)s waits to be packed."),
    "pack_cart_to_put_wall": _l("Cart %(cart)s is a batch cart: sort it at the put wall, then scan the order's "
                                "slot."),
    "pack_slot_empty": _l("Put-wall slot %(slot)s holds no order to pack."),
    "pack_not_on_cart": _l("No order on cart %(cart)s waits for %(sku)s: put it aside for the supervisor."),
    "pack_extra_item": _l("Extra item %(sku)s: all its units are counted already. Still expected: %(expected)s."),
    "pack_units_over": _l("Too many: only %(left)s more of %(sku)s belong in this order."),
    "pack_package_empty": _l("The open package is empty: put units into it before opening another."),
    "pack_nothing_left": _l("Every unit is counted: weigh the packages."),
    "pack_units_left": _l("Scan every unit first: %(skus)s still to count."),
    "pack_no_such_package": _l("There is no package %(number)s."),
    "bad_weight": _l("Not a weight: %(value)s (type 1.234 kg or 1234 g, or put the parcel on the scale)."),
    "pack_override_denied": _l("Only a supervisor may override the weight check."),
    "pack_weight_exception_open": _l("Order %(order)s is on the exceptions desk for its weight: a supervisor "
                                     "re-weighs it and may override."),
    "pack_carrier_locked": _l("Shipment %(reference)s is %(current)s: its carrier can no longer be changed at the "
                              "pack station."),
    "unknown_box_type": _l("No such box type, or it is not active."),
    "box_invalid": _l("Box type: %(field)s is not valid (a code and a name; inner sizes in whole mm above 0; tare, "
                      "maximum weight and cost not negative)."),
    "box_code_taken": _l("Box type %(box)s exists already."),
    "bad_weight_tolerance": _l("%(field)s must be a whole number from 0 to %(maximum)s."),
    # --- shipping desk: carriers, number pools, rules and tracking -----------------------------------
    "carrier_kind_unknown": _l("Unknown carrier kind %(kind)s: choose number pool, typed or API."),
    "label_format_unknown": _l("Unknown label format %(label_format)s."),
    "check_rule_unknown": _l("Unknown check rule %(rule)s."),
    "carrier_api_url_required": _l("An API carrier needs the http(s) URL of its service."),
    "bad_stale_hours": _l("The hours without tracking movement are a whole number from 1 to 1440."),
    "bad_cost_table": _l("The cost table is not valid: %(problem)s."),
    "bad_carrier_code": _l("A carrier code is 2 to 20 letters, digits, - or _."),
    "carrier_name_required": _l("Give the carrier a name."),
    "carrier_code_taken": _l("Carrier %(carrier)s exists already."),
    "pool_import_empty": _l("Give at least one tracking number to import."),
    "carrier_not_a_pool": _l("Carrier %(carrier)s does not take imported numbers: it is not a number-pool carrier."),
    "pool_import_refused": _l("Nothing was imported: %(count)s bad line(s), the first %(first)s. Correct them and "
                              "import again."),
    "bad_number_range": _l("The range cannot be imported (%(reason)s): give the first and last serial as digits, "
                           "at most 100000 numbers."),
    "bad_rule_priority": _l("The priority is a whole number from 0 to 100000."),
    "bad_rule_weights": _l("Weights are whole grams, and the minimum is not above the maximum."),
    "rule_carrier_required": _l("A rule names its carrier."),
    "unknown_carrier_rule": _l("No such carrier rule."),
    "carrier_unavailable": (_l("Carrier %(carrier)s cannot be reached (%(problem)s): nothing was changed. Try again, "
                               "or choose another carrier."),
                            _l("The carrier cannot be reached: nothing was changed. Try again.")),
    "tracking_signature_invalid": _l("The tracking webhook's signature does not match the carrier's key."),
    "bad_tracking_payload": _l("The tracking events cannot be read (%(problem)s): nothing was recorded."),
    # --- shipping desk: labels, templates and printing ------------------------------------------------
    "printer_name_required": _l("A printer needs a name."),
    "printer_kind_unknown": _l("Unknown printer connection %(kind)s: choose network (TCP 9100), CUPS or browser."),
    "printer_settings_invalid": _l("Choose a known printer language (ZPL or PDF), resolution (203 or 300 dpi) "
                                   "and label size."),
    "printer_address_invalid": _l("A network printer's address is host or host:port (e.g. 192.168.1.50:9100), "
                                  "not %(address)s."),
    "printer_queue_invalid": _l("A CUPS queue name has only letters, digits, '_', '-' or '.', and does not start "
                                "with '-'."),
    "printer_station_invalid": _l("A printer's station is a packing bin of its own warehouse."),
    "unknown_printer": _l("No such printer."),
    "printer_inactive": _l("Printer %(printer)s is inactive: activate it or choose another."),
    "printer_has_jobs": _l("Printer %(printer)s has print jobs: deactivate it instead of removing it."),
    "printer_language_mismatch": _l("Printer %(printer)s prints %(language)s: this document is in another "
                                    "language."),
    "print_payload_empty": _l("There is nothing to print."),
    "unknown_print_job": _l("No such print job."),
    "print_job_busy": _l("This print job is being sent already."),
    "print_job_not_failed": _l("Print job %(job)s has not failed: only a failed job is retried."),
    "print_job_not_done": _l("Print job %(job)s is not printed yet: only a printed job is reprinted."),
    "barcode_does_not_fit": _l("Barcode %(data)s does not fit its %(width_mm)s x %(height_mm)s mm box on this label, "
                               "even turned: use a larger label size."),
    "bad_gs1_prefix": _l("The GS1 company prefix must be 6 to 12 digits (WMS_GS1_COMPANY_PREFIX)."),
    "bad_sscc_serial": _l("The pallet's serial reference is at most %(digits)s digits."),
    "bad_sscc": _l("%(sscc)s is not a valid SSCC (18 digits with its check digit)."),
    "bad_gs1_element": _l("Not a valid GS1-128 element: %(text)s."),
    "unknown_label_template": _l("No label template %(name)s."),
    "label_template_unsafe": _l("The template was refused: it does something labels may not (%(problem)s)."),
    "label_template_invalid": _l("The template has an error on line %(line)s: %(problem)s."),
    "label_template_too_long": _l("The template is too long (at most %(limit)s characters)."),
    # --- shipping desk: manifests, interception and the exceptions desk -------------------------------
    "unknown_manifest": _l("No such handover."),
    "manifest_not_open": (_l("Handover %(reference)s is closed: it cannot change any more."),
                          _l("This handover is closed: it cannot change any more.")),
    "manifest_parcel_unknown": _l("No parcel has the tracking number %(number)s."),
    "manifest_wrong_carrier": _l("Parcel %(number)s is not for this courier (%(carrier)s) or not from this "
                                 "warehouse: keep it apart."),
    "manifest_parcel_cancelled": _l("Parcel %(number)s was cancelled: do not hand it over."),
    "manifest_parcel_shipped": _l("Parcel %(number)s has shipped already."),
    "manifest_parcel_scanned_twice": _l("Parcel %(number)s is on this handover already."),
    "manifest_parcel_on_other": (_l("Parcel %(number)s is on handover %(manifest)s already."),
                                 _l("Parcel %(number)s is on another handover already.")),
    "manifest_order_stopped": _l("Order %(order)s is %(order_status)s: take parcel %(number)s off and do not hand "
                                 "it over."),
    "manifest_parcel_not_on": _l("Shipment %(reference)s is not on this handover."),
    "manifest_empty": _l("Handover %(reference)s has no parcels: scan them first."),
    "bulk_ship_format_unknown": _l("Choose a bulk-ship format: Taobao / Tmall or generic."),
    "bulk_ship_dates_invalid": _l("Give the dates as YYYY-MM-DD, the end not before the start."),
    "not_interceptable": (_l("Order %(order)s is %(order_status)s: it cannot be intercepted (a shipped order is a "
                             "return)."), _l("This order cannot be intercepted.")),
    "not_intercepted": (_l("Order %(order)s is %(order_status)s, not intercepted."),
                        _l("The order is not intercepted.")),
    "still_holds_units": _l("Order %(order)s still holds %(units)s units: put them back first."),
    "shipment_handed_over": _l("Parcel %(reference)s was handed over to the carrier: it cannot be intercepted here."),
    "not_a_put_back_bin": _l("%(scanned)s is not a storage bin of this warehouse: scan the label of a bin where the "
                             "units can be sold from."),
    "put_back_not_held": (_l("The order holds %(held)s of %(sku)s there: put back at most that many."),
                          _l("The order does not hold these units there.")),
    "put_back_wrong_item": _l("%(scanned)s is not held by this order: scan one of %(expected)s."),
    "unknown_exception": _l("No such exception."),
    "exception_resolved": _l("Exception %(exception)s is resolved already (perhaps by someone else): reload the "
                             "desk."),
    "wrong_exception_action": (_l("This action is not for exception %(exception)s."),
                               _l("Unknown action.")),
    "order_not_at_desk": _l("Order %(order)s is %(order_status)s: this action needs the picked units not yet packed."),
    "nothing_short": _l("Line %(sku)s is not short any more."),
    "no_stock_to_reallocate": (_l("No stock of %(sku)s to re-allocate in the warehouse (%(available)s of "
                                  "%(requested)s free): ship partial or cancel the line."),
                               _l("No stock of %(sku)s to re-allocate in the warehouse: ship partial or cancel the "
                                  "line.")),
    "line_holds_units": _l("Line %(sku)s holds %(units)s picked units: ship it partial, or intercept the order to "
                           "put them back."),
    "repack_at_station": _l("The exception does not say how the order was packed: pack it again at the station."),
    "weight_still_outside": _l("%(measured)s g is still outside %(expected)s g ± %(allowed)s g: weigh again, or "
                               "accept the weight with the override."),
    "not_a_damaged_bin": _l("Choose a damaged-goods bin of the order's warehouse."),
    # --- handheld: live interrupts and command barcodes
    "order_intercepted_on_cart": _l("Order %(order)s was intercepted: put its units from your cart in the exception "
                                    "tote; they go back to stock through put-back. Go on with the next pick."),
    "order_cancelled_on_cart": _l("Order %(order)s was cancelled: put its units from your cart in the exception "
                                  "tote; they go back to stock through put-back. Go on with the next pick."),
    "cart_reassigned": _l("Cart %(cart)s was given to another picker: stop picking it and ask your supervisor "
                          "where to leave it."),
    "unknown_command": _l("%(scanned)s is not a command of the command sheet: print the sheet again from the "
                          "handheld home."),
    "command_not_here": _l("%(command)s (%(scanned)s) does nothing on this screen."),
    "nothing_to_undo": _l("Nothing to undo here: a confirmed scan cannot be taken back on the handheld; ask your "
                          "supervisor."),
    "nothing_to_skip": _l("There is no other pick to go on with: pick this one or report it short."),
    "nothing_to_finish": _l("Nothing to finish yet: scan the cart or the bin first."),
    "cart_not_done": _l("%(n)s picks are still open on this cart: pick them, or scan Short pick."),
    "cart_not_empty": _l("%(n)s units are still on the cart: sort them first."),
    # --- purchasing ---------------------------------------------------------------------------------
    "supplier_incomplete": _l("A supplier needs a code and a name."),
    "supplier_code_taken": _l("Supplier %(supplier)s exists already."),
    "supplier_field_too_long": _l("%(field)s has at most %(limit)s characters."),
    "supplier_contact_incomplete": _l("A contact needs a name."),
    "unknown_supplier_contact": _l("No such contact at this supplier."),
    "supplier_inactive": _l("Supplier %(supplier)s is inactive: activate it before ordering from it."),
    "supplier_required": _l("A supplier's user needs its supplier: choose one."),
    "unknown_supplier": _l("No such supplier."),
    "bad_currency": _l("A currency is three letters (CNY, USD), not %(value)s."),
    "bad_lead_time": _l("A lead time is 0 to 365 days, not %(value)s."),
    "bad_supplier_language": _l("A supplier's language is English (en) or Chinese (zh), not %(value)s."),
    "bad_pack_size": _l("A pack holds 1 to 1000000 units, not %(value)s."),
    "bad_moq": _l("A minimum order is 1 to 10000000 units, not %(value)s."),
    "bad_price": _l("A price is an amount of 0 or more, not %(value)s."),
    "bad_tolerance": _l("The over-receipt tolerance is 0 to 100 percent, not %(value)s."),
    "bad_po_quantity": _l("A quantity is a whole number from 1, not %(value)s."),
    "unknown_po": _l("No such purchase order."),
    "unknown_po_line": _l("The line is not part of this purchase order."),
    "po_no_lines": _l("A purchase order needs at least one line."),
    "po_line_no_price": _l("%(sku)s has no price from this supplier: enter a unit price."),
    "po_status_conflict": _l("Purchase order %(number)s is %(po_status)s: this cannot be done now."),
    "po_not_editable": _l("Purchase order %(number)s is %(po_status)s: only a draft can be changed."),
    "po_not_shippable": _l("Purchase order %(number)s is %(po_status)s: no shipment can be announced for it."),
    "po_not_receivable": _l("Purchase order %(number)s is %(po_status)s: nothing can be received on it."),
    "po_nothing_to_ship": _l("Everything on purchase order %(number)s is received or announced already."),
    "asn_exceeds_po": _l("%(sku)s: %(quantity)s is more than the %(left)s still to come on %(number)s."),
    "confirm_raises_quantity": _l("%(sku)s: a confirmation may lower the quantity (1 to %(ordered)s), not raise it "
                                  "to %(value)s."),
    "not_on_po": _l("%(sku)s is not on purchase order %(number)s. Nothing was received."),
    "po_over_receipt": _l("Over-receipt refused: %(sku)s on %(number)s was ordered %(ordered)s and %(received)s "
                          "are received; at most %(limit)s may be. Nothing was received."),
    "bad_suggestion_days": _l("%(field)s must be a number of days from 0 to 365, not %(value)s."),
    "no_suggestions_ticked": _l("Tick at least one suggestion with a quantity."),
    "no_supplier_for_sku": _l("Nobody supplies %(sku)s: add it to a supplier's price list first."),
    # --- after-sales: cases, refunds, the returns station ------------------------------------------
    "unknown_case": _l("No such after-sales case."),
    "case_status_conflict": _l("Case %(case)s is %(current)s and cannot become %(wanted)s."),
    "unknown_case_kind": _l("Unknown after-sales type %(kind)s."),
    "case_needs_lines": _l("A return, exchange or resend needs at least one line with a quantity."),
    "line_not_on_order": _l("This line is not on order %(order)s."),
    "unknown_return_reason": _l("Unknown return reason %(reason)s."),
    "return_over_shipped": _l("%(sku)s: %(wanted)s asked, but only %(left)s were shipped and not claimed by another "
                              "case: nothing was changed."),
    "bad_refund_amount": _l("%(amount)s is not a refund amount: enter a positive amount like 59.00."),
    "refund_over_paid": _l("A refund of %(amount)s is more than the %(refundable)s still refundable for order "
                           "%(order)s (paid, less other refunds): nothing was changed."),
    "platform_case_id_required": _l("The platform's case id is missing."),
    "sku_not_on_order": _l("%(sku)s is not on order %(order)s."),
    "case_has_receipts": _l("Case %(case)s has units received: inspect them instead of cancelling."),
    "case_nothing_received": _l("Nothing was received on case %(case)s yet."),
    "intercept_not_done": _l("Order %(order)s is not cancelled yet: its picked units must be put back first."),
    "case_not_refundable": _l("Case %(case)s (%(current)s) cannot be refunded now."),
    "case_not_completable": _l("Case %(case)s (%(current)s) cannot be completed now."),
    "case_closed": _l("Case %(case)s is closed (%(current)s)."),
    "no_returns_bin": _l("Warehouse %(warehouse)s has no returns bin: create a bin of type Returns area first."),
    "not_a_returns_bin": _l("Choose a returns bin of the case's warehouse."),
    "not_a_sellable_bin": (_l("%(bin)s is not a pick or reserve bin of the case's warehouse: scan one."),
                           _l("Scan a pick or reserve bin of the case's warehouse.")),
    "unknown_case_line": _l("This line is not on case %(case)s."),
    "case_not_receiving": _l("Case %(case)s is %(current)s: it is not waiting for goods."),
    "lot_choice_needed": _l("%(sku)s was shipped from several lots (%(lots)s): choose the lot that came back."),
    "lot_not_shipped": _l("No unit of %(sku)s of this lot was shipped on this order and not returned yet: nothing "
                          "was changed."),
    "return_fully_received": _l("%(sku)s: every unit of case %(case)s is received already: nothing was changed."),
    "case_not_inspecting": _l("Case %(case)s is %(current)s: there is nothing to inspect."),
    "nothing_to_inspect": _l("%(sku)s: only %(left)s received units wait for inspection."),
    "unknown_outcome": _l("Unknown inspection outcome %(outcome)s."),
    "no_open_case": _l("Order %(order)s has no open after-sales case."),
    "bin_required": _l("Scan the bin the sellable units go to."),
    # --- customers: tags, notes, complaints, blacklist, merges, tiers and RFM ----------------------------
    "unknown_customer": _l("There is no customer #%(customer_id)s."),
    "customer_merged": _l("Customer #%(customer)s is merged into #%(survivor)s: make the change on that record, or "
                          "un-merge first."),
    "bad_customer_tag": _l("A tag is 1 to %(max)s characters long."),
    "bad_customer_text": _l("The text is empty or longer than %(max)s characters."),
    "bad_feedback_kind": _l("%(kind)s is not a kind of record: choose feedback or complaint."),
    "feedback_order_not_customers": _l("Order #%(order_id)s is not one of this customer's orders."),
    "unknown_feedback": _l("There is no feedback record #%(feedback_id)s."),
    "feedback_status_conflict": _l("This feedback record cannot change to that status now: reload the page."),
    "blacklist_reason_required": _l("Say why the customer is blacklisted: a reason is needed."),
    "bad_customer_settings": _l("The customer settings are not valid (%(detail)s): nothing was saved."),
    "customer_merge_itself": _l("A customer cannot be merged into itself: choose another customer."),
    "customer_already_merged": _l("Customer #%(customer)s is already merged into #%(survivor)s: un-merge it first, "
                                  "or merge with #%(survivor)s."),
    "unknown_customer_merge": _l("There is no merge #%(merge_id)s."),
    "customer_merge_not_last": _l("Customer #%(customer)s was merged into #%(survivor)s after this merge: un-merge "
                                  "that one first."),
    "customer_merge_status": _l("This merge was undone already."),
    "customer_merge_choice": _l("Choose the two customers and which one survives."),
    # --- reconciliation (对账): statements, their lines, confirming --------------------------------
    "unknown_statement": _l("There is no statement #%(statement_id)s."),
    "unknown_statement_line": _l("This statement has no line #%(line_id)s."),
    "unknown_statement_format": _l("Unknown statement format %(format)s: choose Alipay, Shopify, the generic "
                                   "template or a bank statement."),
    "statement_file_required": _l("Send the statement file (the multipart field file)."),
    "statement_channel_required": _l("Choose the channel (shop) the statement belongs to."),
    "statement_channel_mismatch": _l("A %(format)s statement does not belong to channel %(channel)s: choose the "
                                     "shop of that platform."),
    "statement_bad_encoding": _l("%(file)s is not text in UTF-8 or GBK: export it again as CSV. Nothing was "
                                 "imported."),
    "statement_wrong_format": _l("%(file)s is not a %(format)s statement (its header is not the one expected): "
                                 "check the format you chose. Nothing was imported."),
    "statement_unreadable": (_l("%(file)s cannot be read (%(reason)s). Nothing was imported."),
                             _l("The file cannot be read. Nothing was imported.")),
    "statement_bad_rows": _l("%(count)s problems in %(file)s: fix the lines listed and import it again. Nothing "
                             "was imported."),
    "statement_already_imported": _l("%(file)s was imported already (statement #%(statement_id)s)."),
    "statement_confirmed": _l("Statement #%(statement_id)s is confirmed: its lines cannot change any more."),
    "line_already_reconciled": _l("This line is marked reconciled already."),
    "reconcile_note_required": _l("Say why the line is reconciled: a note of 1 to %(max)s characters."),
    "statement_not_reconciled": _l("%(count)s lines are not reconciled yet: match or mark them before "
                                   "confirming."),
    "statement_status_conflict": _l("The statement is confirmed already or changed meanwhile: reload the page."),
    # --- outbound requests (feeds, platform APIs, webhooks) ----------------------------------------
    "url_not_allowed": (_l("This address may not be called (%(reason)s): %(url)s"),
                        _l("This address may not be called.")),
    "secret_unreadable": _l("A stored secret cannot be read with this server's data key (WMS_DATA_KEY): "
                            "enter it again."),
    # --- finance: the journal, periods, currency rates, supplier payments --------------------------
    "period_closed": _l("The period %(period)s is closed: nothing can be posted into it. Reopen it first."),
    "entry_unbalanced": (_l("Debits (%(debit)s) and credits (%(credit)s) differ: an entry must balance."),
                         _l("Debits and credits differ: an entry must balance.")),
    "entry_empty": _l("An entry needs at least two lines with amounts."),
    "entry_key_required": _l("An entry needs a source and a key."),
    "unknown_account": _l("Unknown or inactive account: %(account)s."),
    "bad_amount": _l("%(amount)s is not a valid amount."),
    "bad_account_code": _l("An account code is 1 to 10 digits, not %(account)s."),
    "bad_account_name": _l("An account needs a name of at most 120 characters."),
    "bad_account_type": _l("%(type)s is not an account type: asset, liability, equity, income or expense."),
    "account_code_taken": _l("Account %(account)s exists already."),
    "bad_period": _l("%(period)s is not a valid period."),
    "period_status_conflict": _l("The period %(period)s is %(current)s already."),
    "rate_missing": _l("There is no rate of %(currency)s on or before %(day)s: enter it on the rates page."),
    "bad_rate": _l("%(rate)s is not a valid rate."),
    "bad_rate_line": _l("Line %(line)s of the rates file is not currency,day,rate."),
    "base_currency_rate": _l("%(currency)s is the base currency: it has no rate."),
    "unknown_entry": _l("No such journal entry."),
    "unknown_posting_error": _l("No such refused posting (it may have been posted meanwhile)."),
    "memo_required": _l("Say what the entry is for (a memo is needed)."),
    "unknown_purchase_order": _l("%(number)s is not a purchase order of this supplier."),
    "bad_date": _l("%(value)s is not a date (YYYY-MM-DD)."),
    # --- webhooks (事件推送): subscriptions, deliveries, replay -------------------------------------
    "unknown_webhook": _l("There is no webhook #%(webhook_id)s."),
    "unknown_webhook_delivery": _l("There is no webhook delivery #%(delivery_id)s."),
    "bad_webhook_events": (_l("Choose at least one event (unknown: %(events)s; known: %(known)s)."),
                           _l("Choose at least one event.")),
    "bad_webhook_description": _l("A description has at most %(max)s characters."),
    "webhook_inactive": _l("Webhook #%(webhook_id)s is switched off: switch it on to replay its deliveries."),
    # --- access: object-level checks (another warehouse's objects) ----------------------------------
    "other_warehouse": _l("This belongs to a warehouse you do not work in."),
    "not_on_this_cart": _l("This order line is not on this cart: scan the cart again."),
    # --- shops (店铺) and their platforms ----------------------------------------------------------
    "shop_exists": _l("A shop %(shop)s exists already: choose another code."),
    "bad_shop_code": _l("A shop code is 1 to 40 letters, digits, '-', '_' or '.'."),
    "bad_shop_name": _l("A shop needs a name of at most 120 characters."),
    "unknown_platform": _l("%(platform)s is not a platform this system knows."),
    "bad_stock_ratio": _l("The share of stock offered is 0 to 100 percent."),
    "bad_stock_buffer": _l("The stock buffer is 0 to 1000000 units."),
    "no_platform_adapter": _l("Shop %(channel)s has no platform connection to test: choose how orders are "
                              "pulled first."),
    "credentials_missing": _l("Shop %(channel)s is missing its platform credentials: enter them on the shop's "
                              "page."),
    "platform_error": (_l("%(platform)s refused the request: %(reason)s"),
                       _l("The platform refused the request.")),
    "platform_unreachable": _l("The platform cannot be reached: %(reason)s."),
    "platform_bad_json": _l("The platform did not answer valid JSON."),
    "platform_redirected": _l("The platform redirected the request to %(url)s: check the shop's address."),
    "platform_order_missing": _l("The platform has no order %(order)s."),
    "sku_link_empty": _l("Give the platform's item id or SKU id."),
    "unknown_sku_link": _l("SKU %(sku)s is not linked to this shop."),
    # --- open API: token scopes and expiry, request text, shipments and ASNs ------------------------
    "token_expired": _l("The API token has expired: ask an admin for a new one."),
    "insufficient_scope": _l("The API token lacks the scope %(scope)s for this request."),
    "unknown_scope": _l("A scope is unknown or beyond the user's role: %(scopes)s."),
    "scope_required": _l("A token needs at least one scope."),
    "token_expiry_past": _l("The token's expiry must lie in the future."),
    "bad_cursor": _l("The cursor is not one this API gave out."),
    "unknown_wave": _l("No such wave."),
    # --- live wave board: carrier cut-offs -------------------------------------------------------------
    "bad_cutoff_time": _l("The cut-off is a time of day (HH:MM), or empty for none."),
    # --- sessions and the audit log -----------------------------------------------------------------
    "unknown_session": _l("No such session (it may have ended already)."),
    # --- operations: backups, the integrity check and its repairs --------------------------------------
    "backup_unknown": _l("There is no backup %(name)s."),
    "backup_newer_schema": _l("Backup from a newer schema (%(revision)s): this version knows up to %(head)s. "
                              "Restore it with the version that made it."),
    "backup_other_database": _l("A %(kind)s backup cannot be restored into a %(database)s database."),
    "backup_unsupported": _l("Backups of a %(kind)s database are not supported."),
    "backup_damaged": _l("The backup copy is damaged: %(detail)s"),
    "backup_tool_missing": _l("%(tool)s is not installed (Debian package postgresql-client)."),
    "backup_failed": _l("The backup tool failed: %(detail)s"),
    "unknown_proposal": _l("%(proposal)s is not a repair proposal."),
    "finding_changed": _l("The finding changed since the repair was proposed: run the check again."),
    # --- imports: upload limits, error reports as files ----------------------------------------------
    "import_too_many_rows": _l("%(file)s has more than %(limit)s rows: split it into smaller files."),
    "import_file_too_large": _l("%(file)s unpacks to more than %(limit)s MB: split it into smaller files."),
    "import_zip_bomb": _l("%(file)s unpacks to more than %(limit)s times its own size: it is refused as a "
                          "compression bomb."),
    "import_job_running": _l("The import is still running: wait until it has finished."),
    "import_cell_too_long": _l("%(file)s line %(line)s, column %(column)s: a cell is longer than %(limit)s "
                               "characters."),
    # --- background jobs (后台任务): the queue, retry, cancel -----------------------------------------
    "unknown_job": _l("There is no job #%(job)s."),
    "job_kind_unknown": _l("There is no kind of job called %(kind)s."),
    "job_not_retryable": _l("Job #%(job)s is %(job_status)s: only a failed or cancelled job can be retried."),
    "job_finished": _l("Job #%(job)s has already ended (%(job_status)s)."),
}

# Details that hold a status code are shown as the status's label.
VALUE_LABELS: Mapping[str, Mapping[str, object]] = {
    "order_status": STATUS_LABELS, "current": STATUS_LABELS, "wanted": STATUS_LABELS,
    "asn_status": {"open": _l("Awaiting receipt"), "receiving": _l("Receiving"), "closed": _l("Closed"),
                   "cancelled": _l("Cancelled")},
    "po_status": {"draft": _l("Draft"), "sent": _l("Sent"), "confirmed": _l("Confirmed"),
                  "partially_received": _l("Partially received"), "received": _l("Received"), "closed": _l("Closed"),
                  "cancelled": _l("Cancelled")},
    "status_now": {"draft": _l("Draft"), "shipped": _l("In transit"), "received": _l("Received"),
                   "cancelled": _l("Cancelled")},
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)")


class _Details(dict):
    """Missing placeholders read as an empty string instead of failing the whole message."""

    def __missing__(self, key: str) -> str:
        return ""


def templates_of(code: str) -> tuple:
    """The code's templates, most specific first (empty when the code has none)."""
    entry = MESSAGES.get(code)
    if entry is None:
        return ()
    return entry if isinstance(entry, tuple) else (entry,)


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def _shown(key: str, value: object) -> object:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value) or "–"
    labels = VALUE_LABELS.get(key)
    if labels is not None and value in labels:
        return str(labels[value])
    return value


def describe_code(code: str, fallback: str, **details) -> str:
    """The code's sentence in the current request's language, filled from ``details``; ``fallback``
    when the code has no registered text (or the details do not fit it)."""
    candidates = templates_of(code)
    if not candidates:
        return fallback
    given = {k: _shown(k, v) for k, v in details.items() if v is not None and v != ""}
    texts = [str(t) for t in candidates]
    text = next((t for t in texts if placeholders(t) <= given.keys()), texts[-1])
    try:
        return text % _Details(given)
    except (TypeError, ValueError):  # e.g. %(room)d without a number: better the English than nothing
        return fallback


def describe(error: DomainError) -> str:
    """The refusal in the current request's language, with what was expected."""
    return describe_code(error.code, error.message, **error.details)
