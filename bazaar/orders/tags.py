"""Order tags (SPEC §12, seed 003): the one rule that cleans them, for the API and the admin."""

from typing import Any

from bazaar.orders.pricing import RuleError

MAX_TAGS = 20
MAX_TAG_LENGTH = 50


def clean_tags(value: Any) -> list[str]:
    """Up to 20 labels, each 1–50 characters after trimming; a repeated label is kept once, in
    its first place; labels are case-sensitive. `null` clears them like `[]`."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RuleError("tags", "tags must be a list of labels.")
    tags: list[str] = []
    for label in value:
        if not isinstance(label, str):
            raise RuleError("tags", "Each tag must be a string.")
        label = label.strip()
        if not 1 <= len(label) <= MAX_TAG_LENGTH:
            raise RuleError(
                "tags", f"Each tag must be 1 to {MAX_TAG_LENGTH} characters after trimming."
            )
        if label not in tags:
            tags.append(label)
    if len(tags) > MAX_TAGS:
        raise RuleError("tags", f"An order has at most {MAX_TAGS} tags.")
    return tags
