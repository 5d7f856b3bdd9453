"""Demo data for every app, lowest layer first. Idempotent.

Lives in the top app so it may call every app's own ``demo`` module without
an app importing from one above it.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.demo import seed_accounts
from blocklists.demo import seed_blocklists
from contacts.demo import seed_contacts
from messaging.demo import seed_messaging


class Command(BaseCommand):
    help = "Create the demo organizations, senders and users (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Set every demo user's password to this (default: random for new users, "
            "existing users keep theirs).",
        )

    def handle(self, *args, password=None, **options):
        logins = seed_accounts(password=password)
        added = seed_blocklists()
        self.stdout.write(f"Blocklist entries added: {added}")
        self.stdout.write(f"Contacts and tickets added: {seed_contacts()}")
        self.stdout.write(f"Messages added: {seed_messaging()}")
        lines = ["Demo logins:"]
        for login in logins:
            shown = login.password if login.password else "(unchanged)"
            lines.append(f"  {login.username:<12} {shown:<20} {login.role}")
        text = "\n".join(lines)
        self.stdout.write(text)
        if any(login.password for login in logins):
            # Kept beside the database so `make run` can show them again; never committed.
            path = settings.VAR_DIR / "demo-logins.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            known = _read_known(path)
            known.update({lg.username: (lg.password, lg.role) for lg in logins if lg.password})
            path.write_text(
                "Demo logins:\n"
                + "".join(f"  {u:<12} {p:<20} {r}\n" for u, (p, r) in known.items())
            )
            path.chmod(0o600)


def _read_known(path) -> dict[str, tuple[str, str]]:
    known = {}
    if path.exists():
        for line in path.read_text().splitlines()[1:]:
            parts = line.split(None, 2)
            if len(parts) == 3:
                known[parts[0]] = (parts[1], parts[2])
    return known
