"""Merging one buyer's customer records across channels, the trail, un-merging, and races on one pair."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.concurrency import describe_errors, kinds, race, unexpected
from tests.conftest import page_csrf
from tests.customer_helpers import add_jd_shop, buy, customer_of, orders_of


@pytest.fixture
def twins(app, world):
    """王芳 on Tmall (two orders) and on JD (one order), same phone, different buyer ids: two customer records."""
    add_jd_shop(app)
    with app.app_context():
        tmall = [buy("T1", buyer_id="tb_wang"), buy("T2", buyer_id="tb_wang")]
        jd = [buy("J1", channel="JD", buyer_id="jd_wang")]
        return {"tmall": customer_of(tmall[0]), "jd": customer_of(jd[0]), "tmall_orders": tmall, "jd_orders": jd}


def _merge_count() -> int:
    from erp_core.customers.models import CustomerMerge
    from erp_core.extensions import db

    return db.session.scalar(select(func.count(CustomerMerge.id)))


def test_the_same_phone_on_two_channels_is_suggested_as_a_duplicate(app, twins):
    from erp_core.customers.merging import duplicate_suggestions

    with app.app_context():
        groups = duplicate_suggestions(customer_id=twins["jd"])
        assert any(g.reason == "phone" and set(g.customer_ids) == {twins["tmall"], twins["jd"]} for g in groups)


def test_the_same_name_and_address_with_another_phone_is_suggested_too(app, twins):
    from erp_core.customers.merging import duplicate_suggestions

    with app.app_context():
        other = customer_of(buy("J7", channel="JD", phone="13700000000", buyer_id="jd_wang_2"))
        groups = duplicate_suggestions(customer_id=other)
        assert [(g.reason, set(g.customer_ids)) for g in groups] == [
            ("name_address", {twins["tmall"], twins["jd"], other})]


def test_merging_moves_the_orders_and_un_merging_moves_exactly_them_back(app, twins, users):
    from erp_core.customers.merging import merge_customers, unmerge_customers
    from erp_core.customers.models import Customer
    from erp_core.extensions import db

    with app.app_context():
        # when the JD record is merged into the Tmall one
        merge = merge_customers(twins["tmall"], twins["jd"], user_id=users["supervisor"])
        # then every order is the survivor's, and the trail says exactly which moved, who and when
        assert orders_of(twins["tmall"]) == sorted(twins["tmall_orders"] + twins["jd_orders"])
        assert orders_of(twins["jd"]) == []
        assert merge.moved("order") == twins["jd_orders"] and merge.merged_by_id == users["supervisor"]
        assert db.session.get(Customer, twins["jd"]).merged_into_id == twins["tmall"]
        # when it is un-merged
        undone = unmerge_customers(merge.id, user_id=users["admin"])
        # then the JD record is back with its own order only, and the trail is kept
        assert orders_of(twins["jd"]) == twins["jd_orders"]
        assert orders_of(twins["tmall"]) == twins["tmall_orders"]
        assert undone.status == "unmerged" and undone.unmerged_by_id == users["admin"] and undone.unmerged_at
        assert db.session.get(Customer, twins["jd"]).merged_into_id is None
        assert _merge_count() == 1


def test_tags_notes_and_complaints_move_with_the_merge_and_come_back(app, twins, users):
    from erp_core.customers import services
    from erp_core.customers.merging import merge_customers, unmerge_customers

    with app.app_context():
        services.set_tags(twins["tmall"], ["VIP"])
        services.set_tags(twins["jd"], ["VIP", "wholesale"])
        note = services.add_note(twins["jd"], "Prefers SF Express", user_id=users["supervisor"]).id
        complaint = services.add_feedback(twins["jd"], "complaint", "Lid cracked", order_id=twins["jd_orders"][0],
                                          user_id=users["supervisor"]).id
        merge = merge_customers(twins["tmall"], twins["jd"], user_id=users["supervisor"])
        assert services.get_customer(twins["tmall"]).tag_names == ["VIP", "wholesale"]
        assert merge.moved("note") == [note] and merge.moved("feedback") == [complaint]
        assert len(merge.moved("tag")) == 1  # only the tag the survivor lacked moved
        unmerge_customers(merge.id, user_id=users["supervisor"])
        assert services.get_customer(twins["tmall"]).tag_names == ["VIP"]
        assert services.get_customer(twins["jd"]).tag_names == ["VIP", "wholesale"]


def test_a_merged_buyers_new_order_goes_to_the_survivor(app, twins, users):
    from erp_core.customers.merging import merge_customers

    with app.app_context():
        merge_customers(twins["tmall"], twins["jd"], user_id=users["supervisor"])
        assert customer_of(buy("J2", channel="JD", buyer_id="jd_wang")) == twins["tmall"]


def test_a_merged_buyers_imported_order_goes_to_the_survivor(app, twins, users):
    from decimal import Decimal

    from sqlalchemy import select

    from erp_core.catalog.models import Sku
    from erp_core.channels.bulk_insert import insert_new_orders
    from erp_core.channels.importers.model import ParsedLine, ParsedOrder
    from erp_core.channels.models import Channel
    from erp_core.customers.merging import merge_customers
    from erp_core.db import atomic
    from erp_core.extensions import db

    with app.app_context():
        merge_customers(twins["tmall"], twins["jd"], user_id=users["supervisor"])
        jd = db.session.scalar(select(Channel).filter_by(code="JD"))
        sku = db.session.scalar(select(Sku.id).filter_by(code="A"))
        parsed = ParsedOrder("J-IMP-1", "jd", buyer_id="jd_wang", name="王芳", phone="13800138000",
                             lines=[ParsedLine("A", 1, Decimal("10"))])
        with atomic():
            [order_id] = insert_new_orders(jd, [parsed], {"A": sku}, users["supervisor"])
        assert customer_of(order_id) == twins["tmall"]


def test_merging_the_same_pair_again_changes_nothing_and_gives_the_same_trail(app, twins, users):
    from erp_core.customers.merging import merge_customers, unmerge_customers

    with app.app_context():
        first = merge_customers(twins["tmall"], twins["jd"], user_id=users["supervisor"]).id
        again = merge_customers(twins["tmall"], twins["jd"], user_id=users["admin"])
        assert again.id == first and _merge_count() == 1 and len(again.moved("order")) == 1
        unmerge_customers(first, user_id=users["admin"])
        assert unmerge_customers(first, user_id=users["admin"]).status == "unmerged"
        assert orders_of(twins["jd"]) == twins["jd_orders"]


def test_a_record_merged_into_one_customer_cannot_be_merged_into_another(app, twins, users):
    from erp_core.customers.merging import merge_customers
    from erp_core.errors import Conflict, ValidationFailed

    with app.app_context():
        third = customer_of(buy("T9", phone="13900000000", name="李雷", buyer_id="tb_li"))
        merge_customers(twins["tmall"], twins["jd"], user_id=users["supervisor"])
        with pytest.raises(Conflict) as refused:
            merge_customers(third, twins["jd"], user_id=users["supervisor"])
        assert refused.value.code == "customer_already_merged"
        with pytest.raises(ValidationFailed):
            merge_customers(third, third, user_id=users["supervisor"])


def test_un_merging_waits_for_a_later_merge_of_the_survivor_to_be_undone(app, twins, users):
    from erp_core.customers.merging import merge_customers, unmerge_customers
    from erp_core.errors import Conflict

    with app.app_context():
        third = customer_of(buy("T9", phone="13900000000", name="李雷", buyer_id="tb_li"))
        first = merge_customers(twins["tmall"], twins["jd"], user_id=users["supervisor"]).id
        second = merge_customers(third, twins["tmall"], user_id=users["supervisor"]).id
        assert customer_of(buy("J3", channel="JD", buyer_id="jd_wang")) == third  # the chain is followed
        with pytest.raises(Conflict) as refused:
            unmerge_customers(first, user_id=users["supervisor"])
        assert refused.value.code == "customer_merge_not_last"
        unmerge_customers(second, user_id=users["supervisor"])
        unmerge_customers(first, user_id=users["supervisor"])
        assert orders_of(twins["jd"]) == twins["jd_orders"]


def test_a_blacklisted_record_merged_in_blacklists_the_survivor_until_un_merged(app, twins, users):
    from erp_core.customers import services
    from erp_core.customers.merging import merge_customers, unmerge_customers
    from erp_core.orders.workflow import audit_order

    with app.app_context():
        services.set_blacklist(twins["jd"], True, "chargebacks")
        merge = merge_customers(twins["tmall"], twins["jd"], user_id=users["supervisor"])
        survivor = services.get_customer(twins["tmall"])
        assert survivor.blacklisted and "chargebacks" in survivor.blacklist_reason
        # a new Tmall order of the survivor is held by the audit as blacklisted
        held = audit_order(buy("T3", buyer_id="tb_wang"))
        assert held.status == "held" and "blacklisted" in held.hold_reason
        unmerge_customers(merge.id, user_id=users["supervisor"])
        survivor = services.get_customer(twins["tmall"])
        assert not survivor.blacklisted and survivor.blacklist_reason == ""


def test_two_desks_merging_the_same_pair_at_once_merge_it_once(app, twins, users):
    from erp_core.customers.merging import merge_customers

    def merge():
        return merge_customers(twins["tmall"], twins["jd"], user_id=users["supervisor"]).id

    outcomes = race(app, merge, merge)
    assert not unexpected(outcomes), describe_errors(outcomes)
    assert kinds(outcomes) == {"ok": 2} and outcomes[0].value == outcomes[1].value
    with app.app_context():
        assert _merge_count() == 1
        assert orders_of(twins["tmall"]) == sorted(twins["tmall_orders"] + twins["jd_orders"])


def test_merging_a_pair_both_ways_at_once_merges_one_way_and_refuses_the_other(app, twins, users):
    from erp_core.customers.merging import merge_customers

    outcomes = race(app, lambda: merge_customers(twins["tmall"], twins["jd"], user_id=users["supervisor"]).id,
                    lambda: merge_customers(twins["jd"], twins["tmall"], user_id=users["admin"]).id)
    assert not unexpected(outcomes), describe_errors(outcomes)
    assert sorted(o.kind for o in outcomes) == ["ok", "refused"]
    assert next(o for o in outcomes if not o.ok).code == "customer_already_merged"
    with app.app_context():
        assert _merge_count() == 1 and len(orders_of(twins["tmall"]) + orders_of(twins["jd"])) == 3


def test_two_desks_un_merging_at_once_move_the_orders_back_once(app, twins, users):
    from erp_core.customers.merging import merge_customers, unmerge_customers

    with app.app_context():
        merge_id = merge_customers(twins["tmall"], twins["jd"], user_id=users["supervisor"]).id
    outcomes = race(app, lambda: unmerge_customers(merge_id, user_id=users["supervisor"]).status,
                    lambda: unmerge_customers(merge_id, user_id=users["admin"]).status)
    assert not unexpected(outcomes), describe_errors(outcomes)
    assert all(o.ok and o.value == "unmerged" for o in outcomes)
    with app.app_context():
        assert orders_of(twins["jd"]) == twins["jd_orders"] and orders_of(twins["tmall"]) == twins["tmall_orders"]


def test_a_supervisor_merges_on_the_merge_screen_and_un_merges_from_the_trail(app, twins, login_as):
    client = login_as("supervisor")
    screen = client.get(f"/customers/{twins['jd']}/merge?other={twins['tmall']}")
    assert screen.status_code == 200 and "survivor_id" in screen.get_data(as_text=True)
    token = page_csrf(client, f"/customers/{twins['jd']}")
    form = {"customer_id": twins["jd"], "other_id": twins["tmall"], "survivor_id": twins["tmall"]}
    assert client.post("/customers/merge", data=form).status_code == 400  # no CSRF token
    done = client.post("/customers/merge", data={**form, "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/customers/{twins['tmall']}")
    with app.app_context():
        assert orders_of(twins["jd"]) == []
        from erp_core.customers.models import CustomerMerge
        from erp_core.extensions import db

        merge_id = db.session.scalar(select(CustomerMerge.id))
    trail = client.get("/customers/merges").get_data(as_text=True)
    assert f"#{twins['jd']}" in trail
    assert client.post(f"/customers/merges/{merge_id}/undo", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert orders_of(twins["jd"]) == twins["jd_orders"]


@pytest.mark.parametrize("role", ["viewer", "finance", "picker"])
def test_only_admins_and_supervisors_may_merge(app, twins, login_as, role):
    client = login_as(role)
    token = page_csrf(client, "/")
    form = {"customer_id": twins["jd"], "other_id": twins["tmall"], "survivor_id": twins["tmall"], "csrf_token": token}
    assert client.post("/customers/merge", data=form).status_code == 403
    assert client.get(f"/customers/{twins['jd']}/merge").status_code == 403


def test_the_duplicates_page_lists_the_pair_with_a_merge_link(twins, login_as):
    page = login_as("supervisor").get("/customers/duplicates").get_data(as_text=True)
    assert "Same phone" in page and f"/customers/{twins['tmall']}/merge?other={twins['jd']}" in page
