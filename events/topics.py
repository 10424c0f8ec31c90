"""Topic names. One place, so the docs, the relay and the consumers agree."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Topic(StrEnum):
    """One of Lianban's topics, by its name after the prefix. Each payload class names the one
    it travels on (`Payload.TOPIC`); `Topics.name` gives its full name under a prefix."""

    submissions = "submissions"
    review_tasks = "review-tasks"
    decisions = "decisions"
    case_events = "case-events"
    dead_letters = "dead-letters"


@dataclass(frozen=True)
class Topics:
    """Kafka topics, all keyed by case id so one case's events stay in order."""

    submissions: str = "lianban.submissions"
    review_tasks: str = "lianban.review-tasks"
    decisions: str = "lianban.decisions"
    case_events: str = "lianban.case-events"
    dead_letters: str = "lianban.dead-letters"

    @classmethod
    def with_prefix(cls, prefix: str) -> Topics:
        """Topics under another prefix (tests use one per run to stay isolated)."""
        base = cls()
        return cls(
            **{
                name: f"{prefix}{value.removeprefix('lianban')}"
                for name, value in base.__dict__.items()
            }
        )

    def all(self) -> list[str]:
        return list(self.__dict__.values())

    def name(self, topic: Topic) -> str:
        """The full name of `topic` under this prefix."""
        return str(getattr(self, topic.name))


TOPICS = Topics()
