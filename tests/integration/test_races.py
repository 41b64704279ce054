"""Races: the same action submitted twice (or two actions on one thing) at the same moment, from real
threads with their own connections, against SQLite and PostgreSQL.

What must hold (ARCHITECTURE.md, "Transactions, states and stock"): two concurrent transitions of one
object give one effect and one clean refusal (a DomainError, 409), never a 500; reservations stay the
sum of their rows and never exceed what is on hand; counted quantities are applied under lock;
references never collide; allocations never deadlock.

Each test repeats its race over several trials (a race that loses only now and then is still a bug),
collects what went wrong in every trial, and fails with the whole tally.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from tests.concurrency import Outcome, describe_errors, race, unexpected
from tests.integration.conftest import make_order
from tests.invariants import stock_violations

TRIALS = 12
PUSH_TRIALS = 20  # each trial catches the window in about two of three runs
LINES = 40
pytestmark = pytest.mark.timeout(300)

_phones = itertools.count(1)


def _phone() -> str:
    """A distinct mobile number per order, so the duplicate-order audit rule never holds one."""
    return f"139{next(_phones):08d}"


@pytest.fixture
def floors(app, users):
    """SH1 (上海) and SZ1 (广东省), each with a generated layout of 12 pick bins; SKUs A and B with
    plenty of stock in both; the Tmall channel; the picker's id."""
    from erp_core.auth.models import User
    from erp_core.catalog.services import create_sku
    from erp_core.channels.models import Channel
    from erp_core.extensions import db
    from erp_core.inventory.models import Location
    from erp_core.inventory.services import create_warehouse, receive
    from wms.locations.services import LayoutSpec, ZoneSpec, create_layout

    with app.app_context():
        made = {}
        for code, province in (("SH1", "上海"), ("SZ1", "广东省")):
            wh = create_warehouse(code, code, province=province)
            create_layout(wh.id, LayoutSpec(zones=(ZoneSpec("A", aisles=2, bays_per_aisle=6, levels=1),)))
            made[code] = wh.id
            made[f"{code}_bins"] = list(db.session.scalars(
                select(Location.id).filter_by(warehouse_id=wh.id, kind="bin").order_by(Location.id)))
        db.session.add(Channel(code="TM", name="Tmall", platform="tmall"))
        db.session.commit()
        for n, code in enumerate(("A", "B")):
            sku = create_sku(code, f"Item {code}", barcodes=[f"BC-{code}"])
            made[code] = sku.id
            for wh in ("SH1", "SZ1"):
                receive(sku.id, made[f"{wh}_bins"][n], 1000)
        made["picker"] = db.session.scalar(select(User.id).filter_by(username="picker"))
        db.session.remove()
    return made


class Tally:
    """What went wrong, trial by trial; stock violations are reported in the trial that caused them."""

    def __init__(self, trials: int):
        self.trials = trials
        self.problems: list[str] = []
        self._seen: set[str] = set()

    def violations(self, order_ids=None) -> list[str]:  # noqa: ARG002 (every order is checked)
        """The invariant violations not seen in an earlier trial (call inside an app context)."""
        now = stock_violations()
        new = [v for v in now if v not in self._seen]
        self._seen.update(now)
        return new

    def record(self, trial: int, header: str, found: list[str]) -> None:
        self.problems += [f"trial {trial}: [{header}] {p}" for p in dict.fromkeys(found)]

    def check(self) -> None:
        failed = len({p.split(":", 1)[0] for p in self.problems})
        assert not self.problems, (f"{failed} of {self.trials} trials went wrong:\n"
                                   + "\n".join(self.problems[:30]))


def _errors(outcomes: list[Outcome]) -> list[str]:
    return [f"unexpected error: {describe_errors(outcomes, 1)}"] if unexpected(outcomes) else []


def _summary(outcomes: list[Outcome]) -> str:
    return ", ".join(f"{n} x {k}" for k, n in sorted(Counter(str(o) for o in outcomes).items()))


def _order_state(order_id: int) -> tuple[str, int]:
    from erp_core.extensions import db
    from erp_core.inventory.models import StockReservation
    from erp_core.orders.models import Order, OrderLine

    db.session.expire_all()
    status = db.session.scalar(select(Order.status).filter_by(id=order_id))
    reserved = db.session.scalar(select(func.coalesce(func.sum(StockReservation.quantity), 0))
                                 .join(OrderLine, OrderLine.id == StockReservation.order_line_id)
                                 .where(OrderLine.order_id == order_id))
    db.session.rollback()
    return status, int(reserved)


# --- 1. Two transitions of one order at once ---------------------------------------------------------

def _race_on_fresh_orders(app, actions, check, trials: int = TRIALS) -> Tally:
    """Per trial: a new order (A x2, B x1 to Shanghai), the actions raced on it, then `check`.

    `check(outcomes, status, reserved)` returns what is wrong (strings); the invariants are added.
    """
    tally = Tally(trials)
    for trial in range(trials):
        with app.app_context():
            order_id = make_order(f"R{trial}", [("A", 2), ("B", 1)], phone=_phone())
        outcomes = race(app, *[lambda action=action, order_id=order_id: action(order_id) for action in actions])
        with app.app_context():
            status, reserved = _order_state(order_id)
            found = _errors(outcomes)
            found += check(outcomes, status, reserved)
            found += tally.violations()
        tally.record(trial, f"{_summary(outcomes)}; order {status}, {reserved} reserved", found)
    return tally


def _exactly_one_wins(outcomes: list[Outcome], status: str, reserved: int) -> list[str]:
    wins = [o for o in outcomes if o.ok]
    losers = [o for o in outcomes if not o.ok]
    found = []
    if len(wins) != 1:
        found.append(f"{len(wins)} calls succeeded, expected exactly one")
    found += [f"a loser was not a clean 409: {o}" for o in losers if o.kind != "refused" or o.status != 409]
    return found


def _released_once(outcomes, status, reserved) -> list[str]:
    found = _exactly_one_wins(outcomes, status, reserved)
    if (status, reserved) != ("released", 3):
        found.append(f"expected released with 3 units reserved, got {status} with {reserved}")
    return found


def _audit(order_id):
    from erp_core.orders.workflow import audit_order

    return audit_order(order_id).status


def _approve(order_id):
    from erp_core.orders.workflow import approve_order

    return approve_order(order_id).status


def _cancel(order_id):
    from erp_core.orders.services import cancel_order

    return cancel_order(order_id, "buyer asked").status


def _hold(order_id):
    from erp_core.orders.workflow import hold_order

    return hold_order(order_id, "call the buyer").status


def _reject(order_id):
    from erp_core.orders.workflow import reject_order

    return reject_order(order_id, "fraud").status


def test_an_order_audited_twice_at_once_is_audited_and_reserved_once(app, floors):
    _race_on_fresh_orders(app, [_audit, _audit], _released_once).check()


def test_an_order_audited_from_eight_threads_at_once_is_audited_and_reserved_once(app, floors):
    _race_on_fresh_orders(app, [_audit] * 8, _released_once, trials=8).check()


def test_an_order_approved_twice_at_once_is_allocated_once(app, floors):
    _race_on_fresh_orders(app, [_approve, _approve], _released_once).check()


def test_an_order_audited_and_approved_at_once_is_allocated_once(app, floors):
    _race_on_fresh_orders(app, [_audit, _approve], _released_once).check()


def test_an_order_audited_and_cancelled_at_once_ends_cancelled_holding_nothing(app, floors):
    # In either order one after the other: the cancel succeeds (a released order may be cancelled)
    # and the order ends cancelled with its stock given back; the audit succeeds or is refused (409).
    def check(outcomes, status, reserved):
        audit, cancel = outcomes
        found = []
        if not cancel.ok:
            found.append(f"the cancel was refused: {cancel}")
        if audit.kind == "refused" and audit.status != 409:
            found.append(f"the audit was refused with {audit.status}, not 409")
        if cancel.ok and (status, reserved) != ("cancelled", 0):
            found.append(f"the cancel succeeded but the order is {status} with {reserved} reserved")
        return found

    _race_on_fresh_orders(app, [_audit, _cancel], check).check()


def test_an_order_held_and_approved_at_once_ends_as_one_of_them_would_leave_it(app, floors):
    # One after the other both succeed: hold then approve leaves it released and reserved once;
    # approve then hold leaves it held, with the reservations given back (hold_order releases them).
    def check(outcomes, status, reserved):
        found = [f"refused: {o}" for o in outcomes if not o.ok]
        if (status, reserved) not in {("released", 3), ("held", 0)}:
            found.append(f"ended {status} with {reserved} reserved: neither order of the two calls gives that")
        return found

    # the window is narrow (hold is quick): more trials
    _race_on_fresh_orders(app, [_hold, _approve], check, trials=24).check()


def test_an_order_rejected_and_approved_at_once_is_either_rejected_or_released(app, floors):
    def check(outcomes, status, reserved):
        found = _exactly_one_wins(outcomes, status, reserved)
        if (status, reserved) not in {("released", 3), ("rejected", 0)}:
            found.append(f"ended {status} with {reserved} reserved")
        return found

    _race_on_fresh_orders(app, [_reject, _approve], check).check()


# --- 2. Counts of one bin at once -------------------------------------------------------------------

def _quant_quantity(sku_id: int, location_id: int) -> int | None:
    from erp_core.extensions import db
    from erp_core.inventory.models import Quant

    db.session.expire_all()
    value = db.session.scalar(select(Quant.quantity).filter_by(sku_id=sku_id, location_id=location_id))
    db.session.rollback()
    return value


def _count(sku_id: int, location_id: int, quantity: int):
    from erp_core.inventory.services import adjust_counted

    def job():
        adjust_counted(sku_id, location_id, quantity, reason_code="count_correction", note="race")
        return quantity

    return job


def test_eight_counts_of_one_bin_at_once_leave_the_last_counted_quantity(app, floors):
    # given a bin holding 50 (nothing reserved), when 8 counters post 8 different counts at once,
    # then every count is applied against the locked current value: all succeed, the bin ends at
    # one of the counted quantities (the last committed) and the ledger still adds up
    from erp_core.inventory.services import adjust_counted

    sku, bin_id = floors["A"], floors["SH1_bins"][5]
    rng = random.Random(7)
    tally = Tally(TRIALS)
    for trial in range(TRIALS):
        with app.app_context():
            adjust_counted(sku, bin_id, 50, reason_code="count_correction", note="reset")
        counts = rng.sample([q for q in range(0, 120) if q != 50], 8)
        outcomes = race(app, *[_count(sku, bin_id, q) for q in counts])
        with app.app_context():
            final = _quant_quantity(sku, bin_id)
            found = _errors(outcomes)
            found += [f"a count was refused: {o}" for o in outcomes if o.kind == "refused"]
            applied = {o.value for o in outcomes if o.ok}
            if final not in applied:
                found.append(f"the bin holds {final}, none of the applied counts {sorted(applied)}")
            found += tally.violations()
        tally.record(trial, f"counts {counts}: {_summary(outcomes)}; bin holds {final}", found)
    tally.check()


def test_eight_counts_finding_a_sku_in_a_bin_that_had_none_at_once_create_one_quant(app, floors):
    # an item found where the books have none (no quant yet): the counts must not trip over each
    # other creating the quant row
    from erp_core.catalog.services import create_sku

    bin_id = floors["SH1_bins"][6]
    rng = random.Random(8)
    tally = Tally(TRIALS)
    for trial in range(TRIALS):
        with app.app_context():
            sku = create_sku(f"N{trial}", f"New {trial}").id
        counts = rng.sample(range(1, 60), 8)
        outcomes = race(app, *[_count(sku, bin_id, q) for q in counts])
        with app.app_context():
            final = _quant_quantity(sku, bin_id)
            found = _errors(outcomes)
            found += [f"a count was refused: {o}" for o in outcomes if o.kind == "refused"]
            if final not in {o.value for o in outcomes if o.ok}:
                found.append(f"the bin holds {final}, none of the applied counts")
            found += tally.violations()
        tally.record(trial, f"{_summary(outcomes)}; bin holds {final}", found)
    tally.check()


# --- 3. Wave releases at once -----------------------------------------------------------------------

def _released_orders(app, warehouse: str, n: int, trial: int) -> list[int]:
    from erp_core.orders.workflow import approve_order

    province = "上海" if warehouse == "SH1" else "广东省"
    with app.app_context():
        ids = [make_order(f"W{warehouse}{trial}-{i}", [("A", 1), ("B", 1)], phone=_phone(), province=province)
               for i in range(n)]
        for order_id in ids:
            assert approve_order(order_id).status == "released"
    return ids


def _release_job(warehouse_id: int):
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    def job():
        waves, _plan = release_waves(warehouse_id, WaveRules(cart_items=4, cart_slots=2))
        return [w.reference for w in waves]

    return job


def _wave_problems(order_ids: list[int]) -> list[str]:
    from erp_core.extensions import db
    from erp_core.orders.models import Order
    from wms.picking.models import PickTask, Wave, WaveOrder

    db.session.expire_all()
    found = []
    refs = db.session.scalars(select(Wave.reference)).all()
    if len(refs) != len(set(refs)):
        found.append(f"wave references repeat: {sorted(r for r, n in Counter(refs).items() if n > 1)}")
    for order_id in order_ids:
        waves = db.session.scalar(select(func.count(WaveOrder.id)).filter_by(order_id=order_id))
        status = db.session.scalar(select(Order.status).filter_by(id=order_id))
        if waves != 1 or status != "picking":
            found.append(f"order #{order_id} is in {waves} waves and {status}; expected one wave and picking")
        tasks = db.session.scalar(select(func.coalesce(func.sum(PickTask.quantity), 0)).filter_by(order_id=order_id))
        if tasks != 2:
            found.append(f"order #{order_id} has {tasks} units of pick tasks for its 2 units")
    db.session.rollback()
    return found


def test_two_wave_releases_of_one_warehouse_at_once_put_each_order_in_exactly_one_wave(app, floors):
    tally = Tally(TRIALS)
    for trial in range(TRIALS):
        order_ids = _released_orders(app, "SH1", 4, trial)
        outcomes = race(app, _release_job(floors["SH1"]), _release_job(floors["SH1"]))
        with app.app_context():
            found = _errors(outcomes)
            found += [f"refused with {o.status}, not 409: {o}" for o in outcomes
                      if o.kind == "refused" and o.status != 409]
            found += _wave_problems(order_ids)
            found += tally.violations()
        tally.record(trial, _summary(outcomes), found)
    tally.check()


def test_two_warehouses_releasing_waves_at_once_get_distinct_wave_references(app, floors):
    # nothing is shared between the two releases but the day's reference series
    tally = Tally(TRIALS)
    for trial in range(TRIALS):
        order_ids = _released_orders(app, "SH1", 2, trial) + _released_orders(app, "SZ1", 2, trial)
        outcomes = race(app, _release_job(floors["SH1"]), _release_job(floors["SZ1"]))
        with app.app_context():
            found = _errors(outcomes)
            found += [f"a release was refused: {o}" for o in outcomes if o.kind == "refused"]
            found += _wave_problems(order_ids)
        tally.record(trial, _summary(outcomes), found)
    tally.check()


# --- 4. Picks and short picks of one task at once --------------------------------------------------

def _task_for_trial(app, floors, trial: int) -> dict:
    """A new SKU with 10 units in one bin and 10 in another; an order for 3 of it released in a wave
    and its list given to the picker; then a second order reserving 4 more in the same bin (so a
    release of the first order's 3 units twice over would not be stopped by the quant alone)."""
    from erp_core.catalog.services import create_sku
    from erp_core.extensions import db
    from erp_core.inventory.services import receive
    from erp_core.orders.workflow import approve_order
    from wms.picking.models import PickTask
    from wms.picking.services import assign_list

    bins = floors["SH1_bins"]
    with app.app_context():
        sku = create_sku(f"P{trial}", f"Pick {trial}", barcodes=[f"BC-P{trial}"])
        first, second = bins[2 + trial % 5], bins[7 + trial % 5]
        receive(sku.id, first, 10)
        receive(sku.id, second, 10)
        order_id = make_order(f"PK{trial}", [(sku.code, 3)], phone=_phone())
        approve_order(order_id)
        _release_job(floors["SH1"])()
        task = db.session.scalar(select(PickTask).filter_by(order_id=order_id))
        assert task is not None and task.quantity == 3 and task.location_id == first
        assign_list(task.pick_list_id, floors["picker"])
        bystander = make_order(f"PB{trial}", [(sku.code, 4)], phone=_phone())
        approve_order(bystander)  # 4 more reserved in the same bin, by another order
        made = {"task": task.id, "bin": task.location.barcode, "item": f"BC-P{trial}", "sku": sku.id,
                "order": order_id, "line": task.order_line_id}
        db.session.remove()
    return made


def _confirm(t: dict, picker: int, quantity: int):
    from wms.picking.services import confirm_pick

    def job():
        confirm_pick(t["task"], bin_scan=t["bin"], item_scan=t["item"], quantity=quantity, user_id=picker)
        return "picked"

    return job


def _short(t: dict, picker: int, found: int):
    from wms.picking.services import report_short

    def job():
        report_short(t["task"], found=found, user_id=picker)
        return "short"

    return job


def _pick_problems(t: dict) -> list[str]:
    from erp_core.extensions import db
    from erp_core.inventory.models import StockReservation
    from wms.picking.models import PickTask

    db.session.expire_all()
    found = []
    task = db.session.get(PickTask, t["task"])
    if task.picked_quantity + task.short_quantity > task.quantity:
        found.append(f"picked {task.picked_quantity} + short {task.short_quantity} > {task.quantity}")
    # every unit of the line is either picked (reserved on the cart), re-sourced to another bin
    # (a new task) or marked short on the line: never counted twice
    line_tasks = db.session.scalars(select(PickTask).filter_by(order_line_id=t["line"])).all()
    resourced = sum(x.quantity for x in line_tasks if x.id != task.id)
    if resourced > task.short_quantity:
        found.append(f"{resourced} units re-sourced to other bins for {task.short_quantity} short")
    reserved = db.session.scalar(select(func.coalesce(func.sum(StockReservation.quantity), 0))
                                 .filter_by(order_line_id=t["line"]))
    if reserved > 3:
        found.append(f"the line of 3 holds {reserved} reserved")
    db.session.rollback()
    return found


def _pick_race(app, floors, jobs_for, trials: int = TRIALS) -> Tally:
    tally = Tally(trials)
    for trial in range(trials):
        t = _task_for_trial(app, floors, trial)
        outcomes = race(app, *jobs_for(t, floors["picker"]))
        with app.app_context():
            found = _errors(outcomes)
            found += _pick_problems(t)
            found += tally.violations()
        tally.record(trial, _summary(outcomes), found)
    return tally


def test_a_pick_double_submitted_by_the_picker_is_taken_once(app, floors):
    # 2 of 3 confirmed twice at once: one is taken, the other is refused (only 1 left)
    _pick_race(app, floors, lambda t, p: [_confirm(t, p, 2), _confirm(t, p, 2)]).check()


def test_a_pick_and_a_short_report_of_the_same_task_at_once_never_count_a_unit_twice(app, floors):
    # lost in about half the trials: more of them
    _pick_race(app, floors, lambda t, p: [_confirm(t, p, 1), _short(t, p, 0)], trials=20).check()


@pytest.mark.parametrize("found", [0, 1])
def test_a_short_report_double_submitted_is_applied_once(app, floors, found):
    _pick_race(app, floors, lambda t, p: [_short(t, p, found), _short(t, p, found)]).check()


# --- 5. Allocations sharing SKUs across bins --------------------------------------------------------

def test_allocations_sharing_skus_across_bins_at_once_never_deadlock(app, floors):
    # given 4 SKUs each spread over 4 bins of 5 units, and 6 orders wanting 3 of each, their lines in
    # different orders (so their reservations would take the same quant rows in different orders);
    # when all 6 are approved at once: only successes or clean refusals, never a deadlock
    from erp_core.catalog.services import create_sku
    from erp_core.inventory.services import receive

    bins = floors["SH1_bins"]
    rng = random.Random(5)
    tally = Tally(10)
    for trial in range(10):
        with app.app_context():
            codes = []
            for s in range(4):
                sku = create_sku(f"D{trial}-{s}", f"Shared {trial}-{s}")
                for b in range(4):
                    receive(sku.id, bins[(s * 3 + b) % len(bins)], 5)
                codes.append(sku.code)
            orders = []
            for i in range(6):
                lines = [(code, 3) for code in codes]
                rng.shuffle(lines)
                orders.append(make_order(f"DL{trial}-{i}", lines, phone=_phone()))
        outcomes = race(app, *[lambda o=o: _approve(o) for o in orders])
        with app.app_context():
            found = _errors(outcomes)
            found += [f"refused with {o.status}, not 409: {o}" for o in outcomes
                      if o.kind == "refused" and o.status != 409]
            if not any(o.ok for o in outcomes):
                found.append("no approval succeeded, with stock for all six")
            found += tally.violations()
        tally.record(trial, _summary(outcomes), found)
    tally.check()


# --- 6. One order pushed 20 times at once with one Idempotency-Key ---------------------------------

@pytest.fixture
def api_token(app, users):
    from erp_core.auth.services import create_api_token

    with app.app_context():
        _record, secret = create_api_token(users["supervisor"], "shop middleware", users["admin"])
    return secret


def _push(app, token: str, key: str, body: dict, delay: float = 0.0):
    def job():
        client = app.test_client()
        time.sleep(delay)
        response = client.post("/api/v1/orders", json=body,
                               headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
        return response.status_code, response.get_json(silent=True), response.headers.get("Idempotent-Replayed")

    return job


def test_twenty_pushes_of_one_order_with_one_idempotency_key_at_once_create_it_once(app, floors, api_token):
    from erp_core.extensions import db
    from erp_core.orders.models import Order

    def body(external_id: str) -> dict:
        return {"channel": "TM", "external_id": external_id, "ship_name": "王芳", "ship_phone": _phone(),
                "ship_province": "上海", "ship_city": "上海市", "ship_address": "中山路 100 号",
                "lines": [{"sku": "AB"[n % 2], "quantity": 1 + n % 3, "unit_price": "59.00"} for n in range(LINES)]}

    # how long one push takes alone: the retries of the storm below are spread around that moment
    with app.app_context():
        began = time.perf_counter()
        assert _push(app, api_token, "push-alone", body("API-alone"))()[0] == 201
        alone = time.perf_counter() - began
        db.session.remove()
    tally = Tally(PUSH_TRIALS)
    for trial in range(PUSH_TRIALS):
        order = body(f"API-{trial}")
        # a retry storm: the first push, then 19 retries of it spread from a fifth of a push's time
        # to twice that, so that some arrive before it commits, some while it commits, some after
        delays = [0.0] + [alone * (0.2 + 1.8 * i / 18) for i in range(19)]
        outcomes = race(app, *[_push(app, api_token, f"push-{trial}", order, delay=d) for d in delays])
        found = _errors(outcomes)
        answers = [o.value for o in outcomes if o.ok]
        firsts = [a for a in answers if a[0] == 201 and a[2] is None]
        if len(firsts) != 1:
            found.append(f"{len(firsts)} answers were a first (not replayed) 201, expected exactly one")
        for answer in answers:
            if answer is (firsts[0] if firsts else None):
                continue
            status, data, replayed = answer
            code = (data or {}).get("code")
            in_progress = status == 409 and code == "idempotency_in_progress"
            replay = bool(firsts) and (status, data) == firsts[0][:2] and replayed == "true"
            if status >= 500:
                found.append(f"a {status} answer: {data}")
            elif not (in_progress or replay):
                found.append(f"an answer {status} {code or ''} (replayed={replayed}) is neither the first response "
                             f"replayed nor 409 idempotency_in_progress")
        with app.app_context():
            made = db.session.scalar(select(func.count(Order.id)).filter_by(external_id=f"API-{trial}"))
            db.session.rollback()
        if made != 1:
            found.append(f"{made} orders were created")
        answered = Counter(f"{a[0]} {(a[1] or {}).get('code', '')}{' replayed' if a[2] else ''}".strip()
                        for a in answers)
        tally.record(trial, f"{dict(answered)}", found)
    tally.check()


# --- 7. Two pickers on the lists of one wave at once -----------------------------------------------

def _wave_of_two_lists(app, floors, trial: int) -> dict:
    """A wave of two one-unit orders on two carts, and two pickers of its own (earlier trials' carts
    stay with their pickers, so only this wave's carts are free)."""
    from erp_core.auth.services import create_user
    from erp_core.extensions import db
    from erp_core.orders.workflow import approve_order
    from wms.picking.models import PickTask, WaveOrder
    from wms.picking.planning import WaveRules
    from wms.picking.waves import release_waves

    with app.app_context():
        pickers = [create_user(f"picker-{trial}-{n}", "correct-horse-9", "picker").id for n in "ab"]
        # one unit of A and one of B: different bins, so nothing but the wave is shared
        order_ids = [make_order(f"TW{trial}-{sku}", [(sku, 1)], phone=_phone()) for sku in ("A", "B")]
        for order_id in order_ids:
            approve_order(order_id)
        waves, _plan = release_waves(floors["SH1"], WaveRules(cart_items=1, cart_slots=1))
        assert len(waves) == 1
        lists = sorted({wo.pick_list_id for wo in db.session.scalars(select(WaveOrder).filter_by(wave_id=waves[0].id))})
        assert len(lists) == 2
        tasks = [db.session.scalar(select(PickTask).filter_by(pick_list_id=pl)) for pl in lists]
        made = {"wave": waves[0].id, "pickers": pickers, "lists": lists,
                "tasks": [{"task": t.id, "bin": t.location.barcode, "item": f"BC-{t.sku.code}"} for t in tasks]}
        db.session.remove()
    return made


def _claim(picker: int):
    from wms.picking.services import pick_list_for

    def job():
        found = pick_list_for(picker, None)
        return found.id if found is not None else None

    return job


def _wave_status(wave_id: int) -> str:
    from erp_core.extensions import db
    from wms.picking.models import Wave

    db.session.expire_all()
    status = db.session.scalar(select(Wave.status).filter_by(id=wave_id))
    db.session.rollback()
    return status


def test_two_pickers_starting_the_carts_of_one_wave_at_once_each_get_one(app, floors):
    tally = Tally(TRIALS)
    for trial in range(TRIALS):
        w = _wave_of_two_lists(app, floors, trial)
        outcomes = race(app, *[_claim(p) for p in w["pickers"]])
        with app.app_context():
            found = _errors(outcomes) + [f"a picker was refused: {o}" for o in outcomes if o.kind == "refused"]
            claimed = [o.value for o in outcomes if o.ok]
            if sorted(claimed) != w["lists"]:
                found.append(f"the pickers got lists {claimed}, expected one each of {w['lists']}")
            if _wave_status(w["wave"]) != "picking":
                found.append(f"the wave is {_wave_status(w['wave'])}, expected picking")
            found += tally.violations()
        tally.record(trial, _summary(outcomes), found)
    tally.check()


def test_two_pickers_finishing_the_last_carts_of_a_wave_at_once_complete_the_wave(app, floors):
    from wms.picking.services import assign_list

    trials = 40  # the window is narrow: lost in about one trial of ten before the wave row was locked
    tally = Tally(trials)
    for trial in range(trials):
        w = _wave_of_two_lists(app, floors, trial)
        with app.app_context():
            for picker, list_id in zip(w["pickers"], w["lists"], strict=True):
                assign_list(list_id, picker)
        outcomes = race(app, *[_confirm(t, p, 1) for t, p in zip(w["tasks"], w["pickers"], strict=True)])
        with app.app_context():
            found = _errors(outcomes) + [f"a pick was refused: {o}" for o in outcomes if o.kind == "refused"]
            if _wave_status(w["wave"]) != "picked":
                found.append(f"both carts are done but the wave is {_wave_status(w['wave'])}")
            found += tally.violations()
        tally.record(trial, _summary(outcomes), found)
    tally.check()
