"""advice.yaml: the disclaimer, the advice snippets per urgency and the one message per
urgency every page shows."""

from __future__ import annotations

from pydantic import model_validator

from popliteal.knowledge.schema.common import URGENCY_ORDER, Id, Text, Urgency, _Strict


class AdviceSnippet(_Strict):
    id: Id
    text: Text


class UrgencyMessage(_Strict):
    """What to do, said the same way on every page that shows this urgency."""

    heading: Text
    action: Text  # may name {emergency_number}


class AdviceFile(_Strict):
    disclaimer: Text
    by_urgency: dict[Urgency, list[AdviceSnippet]]
    urgency_messages: dict[Urgency, UrgencyMessage]

    @model_validator(mode="after")
    def _every_level_has_one_message(self) -> AdviceFile:
        missing = [u for u in URGENCY_ORDER if u not in self.urgency_messages]
        if missing:
            raise ValueError(f"urgency_messages: no message for {', '.join(missing)}")
        return self
