from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.models import Membership, Organization, Role, Sender, Subaccount


def snapshot():
    return (
        sorted(Organization.objects.values_list("slug", "name", "country")),
        sorted(
            Subaccount.objects.values_list(
                "organization__slug", "name", "sending_hours", "frequency_limit_messages"
            )
        ),
        sorted(Sender.objects.values_list("organization__slug", "kind", "address", "name")),
        sorted(Membership.objects.values_list("user__username", "organization__slug", "role")),
        sorted(get_user_model().objects.values_list("username", "is_staff", "password")),
    )


def test_seed_demo_twice_gives_the_same_data(db, tmp_path, settings, capsys):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    first = snapshot()
    out = capsys.readouterr().out
    call_command("seed_demo")
    assert snapshot() == first
    assert "(unchanged)" in capsys.readouterr().out
    assert "agent" in out and "Platform staff" in out
    assert (tmp_path / "demo-logins.txt").read_text().count("\n") == 6


def test_seed_demo_creates_what_the_demo_needs(db, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", password="demo-pass-123")
    demo = Organization.objects.get(slug="demo-co")
    assert demo.name == "Demo Co" and demo.country == "US"
    assert set(demo.senders.values_list("kind", "address")) == {
        ("sms_short_code", "52811"),
        ("sms_long_code", "+14155554559"),
        ("email", "news@demo.example"),
        ("whatsapp", "+14155550000"),
        ("rcs", "CompanyAgent"),
    }
    assert demo.senders.get(kind="whatsapp").name == "Company Account"
    assert demo.subaccounts.count() == 2
    for sub in demo.subaccounts.all():
        assert sub.sending_hours is None and sub.frequency_limit_messages is None
    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles == {
        "agent": Role.AGENT,
        "supervisor": Role.SUPERVISOR,
        "admin": Role.ADMIN,
        "other-agent": Role.AGENT,
    }
    assert Organization.objects.get(slug="other-inc").senders.count() == 1
    staff = get_user_model().objects.get(username="staff")
    assert staff.is_staff and staff.is_superuser and staff.check_password("demo-pass-123")


def test_seed_demo_password_option_resets_passwords(db, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    call_command("seed_demo", password="another-pass-456")
    assert get_user_model().objects.get(username="agent").check_password("another-pass-456")
