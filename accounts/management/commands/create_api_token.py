"""``manage.py create_api_token --org SLUG [--name NAME]``: prints the secret once."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from accounts.tokens import create_token


class Command(BaseCommand):
    help = "Create an API token for an organization and print its secret (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("--name", default="API token", help="What uses the token.")

    def handle(self, *args, org, name, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org}”.")
        token, secret = create_token(organization=organization, name=name)
        self.stderr.write(f"Token “{token.name}” for {organization.name}; store it now:")
        self.stdout.write(secret)
