"""The blocklists app's models, one module per topic; import them from here."""

from blocklists.models.entries import (
    BlocklistEntry,
    BlocklistEntryQuerySet,
    BlocklistEvent,
    ConsentText,
    EventAction,
    Reason,
    Source,
)
from blocklists.models.imports import ImportJob, ImportStatus
from blocklists.models.interceptions import (
    Interception,
    InterceptionAction,
    InterceptionEvent,
    InterceptionOrigin,
    InterceptionRule,
    InterceptionScope,
)
from blocklists.models.keywords import (
    KeywordEvent,
    KeywordKind,
    KeywordRule,
    KeywordSettings,
    OptOutScope,
    PossibleOptOut,
)

__all__ = [
    "BlocklistEntry",
    "BlocklistEntryQuerySet",
    "BlocklistEvent",
    "ConsentText",
    "EventAction",
    "ImportJob",
    "ImportStatus",
    "Interception",
    "InterceptionAction",
    "InterceptionEvent",
    "InterceptionOrigin",
    "InterceptionRule",
    "InterceptionScope",
    "KeywordEvent",
    "KeywordKind",
    "KeywordRule",
    "KeywordSettings",
    "OptOutScope",
    "PossibleOptOut",
    "Reason",
    "Source",
]
