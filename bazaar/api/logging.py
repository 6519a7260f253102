import logging
import re

from bazaar.api.request_id import current_request_id

_SECRET = re.compile(
    r"(?i)(authorization|token|password|secret)([\"']?\s*[:=]\s*[\"']?|\s+)"
    r"(token\s+)?[^\s\"',}&]+"
)


class RedactSecretsFilter(logging.Filter):
    """Keeps tokens, passwords and Authorization headers out of every log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not drop the record
            return True
        redacted = _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}[REDACTED]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (`-` outside a request), for the log format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True
