"""Audit logs that the application can only append to.

Each app's event log (blocklist, interception, keyword and contact events)
subclasses ``AppendOnlyModel``: saving an existing row, deleting one, and
bulk ``update()`` / ``delete()`` through the manager raise ``TypeError``. Lives in
the lowest app so every app may use it.
"""

from __future__ import annotations

from django.db import models


def _refuse(model) -> TypeError:
    return TypeError(f"The {model._meta.verbose_name} log is append-only.")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise _refuse(self.model)

    def delete(self):
        raise _refuse(self.model)


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise _refuse(type(self))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise _refuse(type(self))
