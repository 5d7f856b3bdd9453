from accounts.demo import seed_accounts
from accounts.models import Organization
from contacts.demo import seed_contacts
from contacts.models import Contact, ContactEvent, Queue, Ticket


def test_seed_contacts_is_idempotent(db):
    seed_accounts(password="demo-password")
    assert seed_contacts() == 5
    assert seed_contacts() == 0
    assert Contact.objects.count() == 5
    spammer = Contact.objects.get(name="Spam Bot")
    assert spammer.blocked
    assert Ticket.objects.get(contact=spammer, queue=Queue.BLOCKED).messages.count() == 2
    assert ContactEvent.objects.count() == 1
    assert spammer.organization.block_contacts_enabled  # Demo Co demos blocking


def test_seed_contacts_keeps_the_admins_block_setting(db):
    seed_accounts(password="demo-password")
    Organization.objects.filter(slug="demo-co").update(block_contacts_enabled=False)
    seed_contacts()
    assert not Organization.objects.get(slug="demo-co").block_contacts_enabled
