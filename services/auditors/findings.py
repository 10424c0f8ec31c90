"""What a verification found: one `Finding` per problem (or per check that could not run)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from domain.audit import AuditEntry, ChainBreak

Check = Literal["chain", "head", "read_model", "temporal", "anchor", "delivery"]
Outcome = Literal["failed", "not_checked"]


@dataclass(frozen=True)
class Finding:
    """A check that failed (or could not run), and the entry that breaks it where one does."""

    check: Check
    outcome: Outcome
    detail: str
    case_id: str | None = None
    kind: str | None = None
    seq: int | None = None
    event_id: str | None = None

    @classmethod
    def from_break(cls, b: ChainBreak) -> Finding:
        check: Check = "head" if b.kind == "head_mismatch" else "chain"
        return cls(check, "failed", b.detail, b.case_id, b.kind, b.seq, b.event_id)

    @classmethod
    def at(cls, check: Check, e: AuditEntry | None, detail: str, kind: str) -> Finding:
        """A failure blamed on entry `e` (None: on no entry in particular)."""
        if e is None:
            return cls(check, "failed", detail, None, kind)
        return cls(check, "failed", detail, e.case_id, kind, e.seq, e.event_id)

    def __str__(self) -> str:
        where = f" seq {self.seq} (event {self.event_id})" if self.seq is not None else ""
        case = f"{self.case_id}" if self.case_id else "-"
        kind = f" {self.kind}" if self.kind else ""
        return f"[{self.check}{kind}] {case}{where}: {self.detail}"


@dataclass
class VerifyReport:
    """The result of `verify`: what was checked and every finding."""

    cases: int = 0
    entries: int = 0
    anchors: int = 0
    checked: list[str] = field(default_factory=list)  # which checks ran
    findings: list[Finding] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failures

    def document(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cases": self.cases,
            "entries": self.entries,
            "anchors": self.anchors,
            "checked": self.checked,
            "findings": [asdict(f) for f in self.findings],
        }
