"""An admin uploads a CSV through the dialog, maps the column, watches the job finish
(a real Celery worker), finds a number in the list and reverts it."""

import re

import pytest
from playwright.sync_api import expect

from blocklists.models import BlocklistEntry, BlocklistEvent


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "opt-outs.csv"
    path.write_text(
        "name;mobile;note\r\n"
        "Ann;(415) 555-0101;\r\n"
        "Bob;+1 415 555 0102;vip\r\n"
        "Cid;4.155550103E+09;\r\n"
        "Dee;not a number;\r\n"
        "Ann;415-555-0101;dup\r\n",
        encoding="utf-8-sig",
    )
    return path


def test_admin_uploads_maps_watches_finds_and_reverts(
    log_in, live_server, admin_user, sender, csv_file, celery_worker_process
):
    page = log_in("carol-admin")
    page.goto(f"{live_server.url}/blocklists/?sender={sender.pk}")

    page.get_by_role("link", name="Add to blocklist").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_test_id("consent-text")).to_be_visible()
    dialog.get_by_role("button", name="I confirm").click()
    dialog.get_by_role("tab", name="Upload CSV file").click()
    dialog.locator("input[type=file]").set_input_files(str(csv_file))
    dialog.get_by_role("button", name="Upload and match fields").click()

    expect(page.get_by_role("heading", name=re.compile("Match the fields"))).to_be_visible()
    expect(page.get_by_label(re.compile("Subscriber column|column", re.I)).first).to_have_value(
        "mobile"
    )
    page.get_by_role("button", name="Load subscribers").click()

    expect(page.get_by_test_id("import-status")).to_have_text("Done", timeout=60_000)
    counts = page.get_by_test_id("import-counts")
    expect(counts.locator("[data-count=added]")).to_have_text("3")
    expect(counts.locator("[data-count=present]")).to_have_text("1")
    expect(counts.locator("[data-count=invalid]")).to_contain_text("1")

    page.goto(f"{live_server.url}/blocklists/?sender={sender.pk}")
    page.get_by_label("Subscriber").fill("415.555.0102")
    table = page.locator("#results")
    expect(table.get_by_role("cell", name="+14155550102")).to_be_visible()
    expect(table.get_by_role("cell", name="+14155550101")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=415\.555\.0102"))

    table.get_by_role("link", name="Revert").click()
    dialog.get_by_label(re.compile("I confirm that the subscriber")).check()
    dialog.get_by_role("button", name="Revert entry").click()
    expect(page.get_by_role("alert")).to_contain_text("+14155550102 can receive messages")

    assert not BlocklistEntry.objects.filter(subscriber="+14155550102").exists()
    assert BlocklistEntry.objects.filter(sender=sender).count() == 2
    assert BlocklistEvent.objects.filter(action="reverted", actor_name="carol-admin").count() == 1
