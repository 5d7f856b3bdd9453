"""Keywords and possible opt-outs: a table of inbound texts, scope, ordering, review queue."""

import datetime as dt

import pytest

from blocklists import keywords, services
from blocklists.keyword_rules import normalize_text
from blocklists.models import (
    BlocklistEntry,
    KeywordEvent,
    KeywordRule,
    OptOutScope,
    PossibleOptOut,
)
from tests.factories import SenderFactory

OUT, IN, HELP, MAYBE, NONE = "opt_out", "opt_in", "help", "possible_opt_out", "none"

TEXTS = [
    # Keywords: the whole message, any case, accents, quotes, punctuation, emoji.
    ("STOP", OUT),
    ("stop", OUT),
    ("Stop.", OUT),
    (" STOP!! ", OUT),
    ("stop 🛑", OUT),
    ('"Stop"', OUT),
    ("«STOP»", OUT),
    ("StOp?!", OUT),
    ("STOPALL", OUT),
    ("stop all", OUT),
    ("Stop   All", OUT),
    ("UNSUBSCRIBE", OUT),
    ("unsub", OUT),
    ("Cancel", OUT),
    ("END", OUT),
    ("quit.", OUT),
    ("REVOKE", OUT),
    ("optout", OUT),
    ("opt out", OUT),
    ("Opt-Out!", OUT),
    ("PARAR", OUT),
    ("Detener", OUT),
    ("salir", OUT),
    ("Baja", OUT),
    ("cancelar", OUT),
    ("ARRÊT", OUT),
    ("arret", OUT),
    ("Stopp", OUT),
    ("HALT", OUT),
    ("ferma!", OUT),
    ("¡PARAR!", OUT),
    ("STOP\u200d🛑", OUT),
    ("START", IN),
    ("start.", IN),
    ("Subscribe", IN),
    ("YES", IN),
    ("yes!", IN),
    ("UNSTOP", IN),
    ("resume", IN),
    ("Volver", IN),
    ("RECIBIR", IN),
    ("voltar", IN),
    ("Receber", IN),
    ("NONARRÊT", IN),
    ("HELP", HELP),
    ("help?", HELP),
    ("Info", HELP),
    ("AYUDA", HELP),
    ("ajuda", HELP),
    ("Aide", HELP),
    ("HILFE", HELP),
    ("aiuto", HELP),
    # Other words asking to stop: the review queue.
    ("please stop texting me", MAYBE),
    ("Stop pls", MAYBE),
    ("stop please", MAYBE),
    ("unsubscribe me", MAYBE),
    ("Please unsubscribe me from this", MAYBE),
    ("remove me from this list", MAYBE),
    ("No more messages", MAYBE),
    ("Do not text me again", MAYBE),
    ("don't message me", MAYBE),
    ("I want to opt out", MAYBE),
    ("leave me alone!!", MAYBE),
    ("STOP SENDING ME THESE", MAYBE),
    ("No me envíen más mensajes", MAYBE),
    ("dejen de enviarme mensajes", MAYBE),
    ("Quiero darme de baja", MAYBE),
    ("no más mensajes por favor", MAYBE),
    ("Quítenme de la lista", MAYBE),
    ("take me off your list", MAYBE),
    # Must NOT match.
    ("Don't stop", NONE),
    ("Don't stop texting me, I love these", NONE),
    ("stopwatch", NONE),
    ("Is the store open until the end?", NONE),
    ("STOP by our store today", NONE),
    ("yes please, 2 tickets", NONE),
    ("Can you help me with my order?", NONE),
    ("start time?", NONE),
    ("I will stop by later", NONE),
    ("The end of the month", NONE),
    ("Thanks!", NONE),
    ("", NONE),
    ("🛑", NONE),
    ("Cancel my order #123", NONE),
    ("non-stop deals!", NONE),
    ("Information please", NONE),
]


@pytest.mark.parametrize(("text", "expected"), TEXTS)
def test_inbound_text_classification(org, text, expected):
    assert keywords.classify(text, org).kind == expected


def test_the_table_is_large_enough():
    assert len(TEXTS) >= 60
    assert {kind for _, kind in TEXTS} == {OUT, IN, HELP, MAYBE, NONE}


def test_normalize_text():
    assert normalize_text("  «Arrêt» 🛑 ") == "ARRET"
    assert normalize_text("don’t  STOP") == "DON'T STOP"


@pytest.fixture
def long_code(org):
    return SenderFactory(organization=org, kind="sms_long_code", address="+14155554559")


@pytest.fixture
def whatsapp(org):
    return SenderFactory(organization=org, kind="whatsapp", address="+14155550000")


NUMBER = "+14155550123"
T0 = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def inbound(org, sender, text, at=T0, ref="m1"):
    return keywords.handle_inbound_text(
        organization=org,
        sender=sender,
        subscriber=NUMBER,
        text=text,
        received_at=at,
        inbound_ref=ref,
    )


def test_stop_blocklists_only_that_sender_by_default(org, sender, long_code):
    outcome = inbound(org, sender, "Stop!")
    assert outcome.kind == OUT and "unsubscribed" in outcome.reply
    assert services.is_blocklisted(sender, NUMBER)
    assert not services.is_blocklisted(long_code, NUMBER)
    entry = BlocklistEntry.objects.get()
    assert (entry.source, entry.reason) == ("opt_out", "not_defined")
    event = KeywordEvent.objects.get()
    assert (event.keyword, event.inbound_ref, event.outcome) == ("STOP", "m1", "applied")


@pytest.mark.parametrize(
    ("scope", "blocked"),
    [
        (OptOutScope.KIND, {"52811", "52999"}),
        (OptOutScope.ORGANIZATION, {"52811", "52999", "+14155554559"}),
    ],
)
def test_wider_scopes(org, sender, long_code, scope, blocked):
    SenderFactory(organization=org, kind="sms_short_code", address="52999")
    SenderFactory(organization=org, kind="email", address="news@acme.example")
    settings = keywords.settings_for(org)
    settings.opt_out_scope = scope
    settings.save()
    inbound(org, sender, "STOP")
    assert set(BlocklistEntry.objects.values_list("sender__address", flat=True)) == blocked


def test_start_lifts_opt_out_but_not_what_the_organization_added(org, sender, long_code):
    settings = keywords.settings_for(org)
    settings.opt_out_scope = OptOutScope.ORGANIZATION
    settings.save()
    services.add_entry(sender=long_code, subscriber=NUMBER, source="manual")
    inbound(org, sender, "STOP", at=T0)
    outcome = inbound(org, sender, "START", at=T0 + dt.timedelta(minutes=1), ref="m2")
    assert outcome.kind == IN and outcome.outcome == "kept"
    assert not services.is_blocklisted(sender, NUMBER)
    assert services.is_blocklisted(long_code, NUMBER)
    event = KeywordEvent.objects.get(inbound_ref="m2")
    assert "kept on +14155554559 (MAN)" in event.detail


def test_out_of_order_the_later_keyword_wins(org, sender):
    inbound(org, sender, "START", at=T0 + dt.timedelta(seconds=5), ref="late-start")
    outcome = inbound(org, sender, "STOP", at=T0, ref="early-stop")
    assert outcome.outcome == "superseded" and outcome.reply is None
    assert not services.is_blocklisted(sender, NUMBER)
    inbound(org, sender, "STOP", at=T0 + dt.timedelta(seconds=9), ref="later-stop")
    assert services.is_blocklisted(sender, NUMBER)


@pytest.mark.django_db(transaction=True)
def test_stop_and_a_later_start_in_two_workers_at_once_the_later_wins(org, sender):
    """Two real transactions at once, many times: the START received later always
    wins, whichever commits first (the per-number lock, not a lock on the sender)."""
    import threading

    from django.db import connections

    keywords.ensure_default_keywords(org)
    for round_ in range(8):
        number = f"+1415555{round_:04d}"
        barrier = threading.Barrier(2)
        errors = []

        def apply(text, at, ref, number=number, barrier=barrier, errors=errors):
            try:
                barrier.wait()
                keywords.handle_inbound_text(
                    organization=org,
                    sender=sender,
                    subscriber=number,
                    text=text,
                    received_at=at,
                    inbound_ref=ref,
                )
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=apply, args=("STOP", T0, f"stop-{round_}")),
            threading.Thread(
                target=apply, args=("START", T0 + dt.timedelta(seconds=1), f"start-{round_}")
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert not services.is_blocklisted(sender, number), f"round {round_}"


def test_duplicate_stop_is_harmless(org, sender):
    inbound(org, sender, "STOP", ref="a")
    inbound(org, sender, "STOP", ref="a")
    assert BlocklistEntry.objects.count() == 1


def test_help_answers_with_the_help_text(org, sender):
    settings = keywords.settings_for(org)
    settings.help_reply = "{organization} support: call 555-0100."
    settings.save()
    assert inbound(org, sender, "help").reply == "Acme support: call 555-0100."
    assert not BlocklistEntry.objects.exists()


def test_organization_keywords_are_editable_but_protected_ones_stay(org, sender):
    keywords.ensure_default_keywords(org)
    KeywordRule.objects.create(organization=org, kind="opt_out", keyword="BASTA", language="it")
    assert keywords.classify("basta!", org).kind == OUT
    end = KeywordRule.objects.get(organization=org, keyword="END")
    keywords.remove_keyword(rule=end)
    assert keywords.classify("END", org).kind == NONE
    with pytest.raises(ValueError):
        keywords.remove_keyword(rule=KeywordRule.objects.get(organization=org, keyword="STOP"))


def test_possible_opt_out_goes_to_review_with_a_deadline(org, sender):
    monday = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    outcome = inbound(org, sender, "please stop texting me", at=monday)
    item = outcome.possible_opt_out
    assert item.status == "pending" and item.deadline == monday + dt.timedelta(days=14)
    assert not services.is_blocklisted(sender, NUMBER)


def test_possible_opt_out_automatic_when_chosen(org, sender):
    settings = keywords.settings_for(org)
    settings.auto_opt_out_possible = True
    settings.save()
    item = inbound(org, sender, "remove me from this list").possible_opt_out
    assert item.status == "opted_out" and services.is_blocklisted(sender, NUMBER)


def test_review_decisions_are_once_and_audited(org, sender, supervisor):
    item = inbound(org, sender, "no more messages").possible_opt_out
    assert keywords.decide_possible_opt_out(item_id=item.pk, actor=supervisor, decision="opt_out")
    assert not keywords.decide_possible_opt_out(
        item_id=item.pk, actor=supervisor, decision="dismiss"
    )
    item.refresh_from_db()
    assert (item.status, item.decided_by) == ("opted_out", supervisor)
    assert services.is_blocklisted(sender, NUMBER)
    assert PossibleOptOut.objects.get().decided_at is not None
