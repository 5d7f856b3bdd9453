"""Message and batch statuses, failure codes and categories, in the users' words.

The pages, the API and (later) the support pages read the meanings from here,
so a status is explained the same way everywhere.
"""

from __future__ import annotations

from django.db import models


class MessageStatus(models.TextChoices):
    PROGRAMMED = "programmed", "Programmed"
    PROCESSING = "processing", "Processing"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent — waiting for result"
    DELIVERED = "delivered", "Delivered"
    SEND_FAILED = "send_failed", "Send failed"
    PROCESS_FAILED = "process_failed", "Process failed"
    BLOCKED_TIME = "blocked_time", "Blocked by sending hours"
    CANCELLED = "cancelled", "Cancelled"
    ERROR = "error", "Error"
    RECEIVED = "received", "Received"


STATUS_MEANINGS: dict[str, str] = {
    MessageStatus.PROGRAMMED: "Scheduled for a later time; it can be cancelled until it starts.",
    MessageStatus.PROCESSING: "Accepted, going through the checks.",
    MessageStatus.SENDING: "Passed the checks and queued for the channel.",
    MessageStatus.SENT: "The channel accepted it; no delivery receipt yet.",
    MessageStatus.DELIVERED: "The receipt says it reached the phone or mailbox.",
    MessageStatus.SEND_FAILED: "The channel could not deliver it; the failure code says why.",
    MessageStatus.PROCESS_FAILED: "Our checks stopped it before sending; the category says why.",
    MessageStatus.BLOCKED_TIME: "The send time is outside the subaccount's allowed sending hours.",
    MessageStatus.CANCELLED: "Cancelled before it started.",
    MessageStatus.ERROR: "The gateway or the platform failed; the send log has the detail.",
    MessageStatus.RECEIVED: "A message the customer sent to us.",
}


class FailureCode(models.IntegerChoices):
    EMPTY = 500, "Empty"
    OUT_OF_SERVICE = 510, "Out of service"
    BLACKLIST = 520, "Blacklist"
    BUSY = 530, "Busy"
    NO_ANSWER = 540, "No answer"
    INTERCEPTION = 550, "Interception"
    BREAK_DOWN = 560, "Break down"
    NOT_IN_SERVICE = 570, "Not in service"
    POWER_OFF = 580, "Power off"
    OTHER = 590, "Other"


FAILURE_CODE_MEANINGS: dict[int, str] = {
    500: "The number does not exist (empty number).",
    510: "The number is out of service.",
    520: "The operator has the number on its blacklist for this sender.",
    530: "The phone was busy.",
    540: "The phone did not answer.",
    550: "The operator intercepted the message.",
    560: "The phone or the network broke down.",
    570: "The number is not in service.",
    580: "The phone was switched off.",
    590: "Another failure the channel did not explain.",
}


class FailureCategory(models.TextChoices):
    GLOBAL_BLOCK = "global_block", "Global block"
    PARTIAL_BLOCK = "partial_block", "Partial block"
    UNSUBSCRIBE = "unsubscribe", "Unsubscribe"
    KEYWORD_BLOCK = "keyword_block", "Keyword block"
    VARIABLE_ERROR = "variable_error", "Variable error"
    CONTENT_ERROR = "content_error", "Content error"
    FREQUENCY_OVERRUN = "frequency_overrun", "Frequency overrun"
    OTHER = "other", "Other"


CATEGORY_MEANINGS: dict[str, str] = {
    FailureCategory.GLOBAL_BLOCK: "The number is intercepted for every organization.",
    FailureCategory.PARTIAL_BLOCK: "The number is intercepted for this organization.",
    FailureCategory.UNSUBSCRIBE: "The customer is on this sender's blocklist (opted out).",
    FailureCategory.KEYWORD_BLOCK: "The text holds a word or link that is not allowed.",
    FailureCategory.VARIABLE_ERROR: "A template variable had no value.",
    FailureCategory.CONTENT_ERROR: "The text is empty, too long, or has characters the channel "
    "cannot carry.",
    FailureCategory.FREQUENCY_OVERRUN: "The subaccount already sent this number as many messages "
    "as its frequency limit allows.",
    FailureCategory.OTHER: "Stopped for another reason; the send log has the detail.",
}


class BatchStatus(models.TextChoices):
    PROGRAMMED = "programmed", "Programmed"
    PROCESSING = "processing", "Processing"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"
    ERROR = "error", "Error"
    BLOCKED_TIME = "blocked_time", "Blocked by sending hours"


BATCH_STATUS_MEANINGS: dict[str, str] = {
    BatchStatus.PROGRAMMED: "Scheduled for a later time; it can be cancelled until it starts.",
    BatchStatus.PROCESSING: "Its messages are going through the checks.",
    BatchStatus.SENDING: "Some messages are still queued for the channel.",
    BatchStatus.SENT: "Every message left the platform or was stopped by a check.",
    BatchStatus.CANCELLED: "Cancelled before it started.",
    BatchStatus.ERROR: "The gateway or the platform failed for its messages.",
    BatchStatus.BLOCKED_TIME: "It was due outside the subaccount's allowed sending hours.",
}

# Statuses a receipt may still change; a final status never moves again.
AWAITING_RECEIPT = frozenset({MessageStatus.SENDING, MessageStatus.SENT})
NOT_STARTED = frozenset({MessageStatus.PROGRAMMED, MessageStatus.PROCESSING})
FINAL = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.SEND_FAILED,
        MessageStatus.PROCESS_FAILED,
        MessageStatus.BLOCKED_TIME,
        MessageStatus.CANCELLED,
        MessageStatus.ERROR,
        MessageStatus.RECEIVED,
    }
)


def status_meaning(status: str) -> str:
    return STATUS_MEANINGS.get(status, "")


def failure_meaning(code: int | None, category: str | None) -> str:
    """What went wrong, in a sentence: the code's meaning, else the category's."""
    if code:
        return f"{code} {FailureCode(code).label}: {FAILURE_CODE_MEANINGS.get(code, '')}"
    if category:
        return f"{FailureCategory(category).label}: {CATEGORY_MEANINGS.get(category, '')}"
    return ""
