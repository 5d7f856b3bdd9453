"""The blocklist services other apps use: add, revert, opt-out/in, lookups."""

import pytest
from django.core.exceptions import ValidationError

from blocklists import services
from blocklists.models import BlocklistEntry, BlocklistEvent, ConsentText, Reason, Source
from tests.factories import SenderFactory


@pytest.fixture
def add_consent(db):
    return ConsentText.current(ConsentText.Purpose.ADD)


@pytest.fixture
def revert_consent(db):
    return ConsentText.current(ConsentText.Purpose.REVERT)


@pytest.fixture
def long_code(org):
    return SenderFactory(organization=org, kind="sms_long_code", address="+14155554559")


@pytest.fixture
def email_sender(org):
    return SenderFactory(organization=org, kind="email", address="news@acme.example")


@pytest.mark.parametrize(
    ("kind", "address", "typed", "stored"),
    [
        ("sms_short_code", "52811", "(415) 555-0123", "+14155550123"),
        ("sms_long_code", "+14155554559", "415.555.0123", "+14155550123"),
        ("whatsapp", "+14155550000", "+44 7911 123456", "+447911123456"),
        ("rcs", "CompanyAgent", "1-415-555-0123", "+14155550123"),
        ("email", "news@acme.example", " Jane.Doe@Example.COM ", "jane.doe@example.com"),
    ],
)
def test_add_in_each_sender_kind(org, supervisor, add_consent, kind, address, typed, stored):
    sender = SenderFactory(organization=org, kind=kind, address=address)
    result = services.add_entry(
        sender=sender,
        subscriber=typed,
        reason=Reason.SUPPORT_REQUEST,
        actor=supervisor,
        consent=add_consent,
    )
    assert result.created
    entry = BlocklistEntry.objects.get(sender=sender)
    assert (entry.subscriber, entry.reason, entry.source) == (stored, "support_request", "manual")
    assert entry.added_by == supervisor
    event = BlocklistEvent.objects.get(subscriber=stored)
    assert (event.action, event.actor_name, event.consent) == (
        "added",
        "bob-supervisor",
        add_consent,
    )
    assert event.sender_address == address


@pytest.mark.parametrize(
    ("kind", "address", "typed"),
    [
        ("sms_short_code", "52811", "555-0123"),
        ("sms_short_code", "52811", "call me"),
        ("email", "news@acme.example", "not-an-email"),
        ("whatsapp", "+14155550000", ""),
    ],
)
def test_invalid_input_adds_nothing(org, supervisor, add_consent, kind, address, typed):
    sender = SenderFactory(organization=org, kind=kind, address=address)
    with pytest.raises(ValidationError):
        services.add_entry(sender=sender, subscriber=typed, actor=supervisor, consent=add_consent)
    assert not BlocklistEntry.objects.exists() and not BlocklistEvent.objects.exists()


def test_person_cannot_add_without_consent(sender, supervisor):
    with pytest.raises(services.ConsentRequired):
        services.add_entry(sender=sender, subscriber="4155550123", actor=supervisor, consent=None)
    assert not BlocklistEntry.objects.exists()


def test_revert_consent_is_not_add_consent(sender, supervisor, revert_consent):
    with pytest.raises(services.ConsentRequired):
        services.add_entry(
            sender=sender, subscriber="4155550123", actor=supervisor, consent=revert_consent
        )


def test_duplicate_add_changes_nothing(sender, supervisor, add_consent):
    first = services.add_entry(
        sender=sender, subscriber="4155550123", actor=supervisor, consent=add_consent
    )
    second = services.add_entry(
        sender=sender,
        subscriber="+1 (415) 555-0123",
        reason=Reason.SUSPECTED_FRAUD,
        actor=supervisor,
        consent=add_consent,
    )
    assert first.created and not second.created
    assert second.entry.pk == first.entry.pk and second.entry.reason == Reason.NOT_DEFINED
    assert BlocklistEvent.objects.count() == 1


def test_blocked_on_one_sender_is_not_blocked_on_another(org, sender, long_code):
    services.opt_out(sender=sender, subscriber="+14155550123")
    assert services.is_blocklisted(sender, "+14155550123")
    assert not services.is_blocklisted(long_code, "+14155550123")


def test_revert_writes_event_and_second_revert_is_harmless(
    sender, supervisor, admin_user, add_consent, revert_consent
):
    entry = services.add_entry(
        sender=sender, subscriber="4155550123", actor=supervisor, consent=add_consent
    ).entry
    assert services.revert_entry(
        entry_id=entry.pk, sender=sender, actor=admin_user, consent=revert_consent, note="called"
    )
    assert not BlocklistEntry.objects.exists()
    assert (
        services.revert_entry(
            entry_id=entry.pk, sender=sender, actor=admin_user, consent=revert_consent
        )
        is False
    )
    actions = list(
        BlocklistEvent.objects.order_by("id").values_list("action", "actor_name", "note")
    )
    assert actions == [("added", "bob-supervisor", ""), ("reverted", "carol-admin", "called")]


def test_revert_needs_revert_consent(sender, admin_user, add_consent):
    entry = services.opt_out(sender=sender, subscriber="4155550123").entry
    with pytest.raises(services.ConsentRequired):
        services.revert_entry(entry_id=entry.pk, sender=sender, actor=admin_user, consent=None)
    assert BlocklistEntry.objects.filter(pk=entry.pk).exists()


def test_revert_cannot_reach_another_senders_entry(
    sender, other_sender, admin_user, revert_consent
):
    entry = services.opt_out(sender=other_sender, subscriber="4155550123").entry
    assert not services.revert_entry(
        entry_id=entry.pk, sender=sender, actor=admin_user, consent=revert_consent
    )
    assert BlocklistEntry.objects.filter(pk=entry.pk).exists()


def test_opt_out_and_opt_in_are_idempotent(sender):
    assert services.opt_out(sender=sender, subscriber="4155550123").created
    assert not services.opt_out(sender=sender, subscriber="415-555-0123").created
    entry = BlocklistEntry.objects.get()
    assert entry.source == Source.OPT_OUT and entry.added_by is None
    assert services.opt_in(sender=sender, subscriber="+14155550123")
    assert not services.opt_in(sender=sender, subscriber="+14155550123")
    assert list(BlocklistEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "added",
        "reverted",
    ]


def test_blocklisted_among_answers_in_chunks(sender, monkeypatch, django_assert_num_queries):
    for n in range(5):
        services.opt_out(sender=sender, subscriber=f"+1415555010{n}")
    monkeypatch.setattr(services, "chunk_size", lambda: 3)
    asked = [f"+1415555010{n}" for n in range(8)]
    with django_assert_num_queries(3):
        found = services.blocklisted_among(sender, asked)
    assert found == {f"+1415555010{n}" for n in range(5)}


def test_event_log_is_append_only(sender):
    services.opt_out(sender=sender, subscriber="4155550123")
    event = BlocklistEvent.objects.get()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        BlocklistEvent.objects.all().delete()
    with pytest.raises(TypeError):
        BlocklistEvent.objects.update(note="changed")
