"""The authentication backend: Django's, loading a user's membership with the user.

Every page needs both (``accounts.access.Actor``): the session's user and its
organization and role came from two queries, now one.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class MemberBackend(ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("membership__organization")
        try:
            user = users.get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
