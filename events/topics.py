"""Topic names. One place, so the docs, the relay and the consumers agree."""

from __future__ import annotations

from dataclasses import dataclass


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


TOPICS = Topics()
