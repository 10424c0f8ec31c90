"""The tamper-evident audit chain: canonical form, hashing, and checking a case's chain.

Pure: no I/O. Every event about a case becomes one entry; an entry's hash is
``sha256(prev_hash + canonical(entry))``, where ``canonical`` is JSON with sorted keys, UTF-8,
no spaces, of the fields below. The first entry of a case chains to ``GENESIS``. Changing,
dropping or moving one entry therefore changes every hash after it; `verify_chain` says which
entry breaks the chain and how.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from events.contracts import (
    ApplicationSubmitted,
    CaseTerminated,
    ClockPaused,
    ClockResumed,
    CorrectionRequested,
    DepartmentDecided,
    DepartmentReminded,
    DepartmentRequestedCorrections,
    ExtensionGranted,
    MaterialsSupplied,
    OperatorActionRecorded,
    ServiceRated,
    SupervisionRaised,
)

GENESIS = "0" * 64
SYSTEM_ROLE = "system"
HASHED_FIELDS = (
    "seq",
    "case_id",
    "event_id",
    "event_type",
    "occurred_at",
    "actor",
    "role",
    "action",
    "data",
)


@dataclass(frozen=True)
class AuditEntry:
    """One entry of a case's chain, as stored. `id` and `recorded_at` are not hashed: `id` is
    the table's global order (anchors refer to it), `recorded_at` when the row was written."""

    seq: int
    case_id: str
    event_id: str
    event_type: str
    occurred_at: datetime
    actor: str
    role: str
    action: str
    data: dict[str, Any]
    prev_hash: str = GENESIS
    hash: str = ""
    id: int | None = None
    recorded_at: datetime | None = None


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, non-ASCII kept: the same bytes for the same value everywhere."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# Credentials are never written to the log (personal data is masked by the caller).
SECRET_KEYS = frozenset({"query_code"})
REDACTED = "[redacted]"


def redact_secrets(value: Any) -> Any:
    """The value with every credential field replaced by a marker, at any depth."""
    if isinstance(value, Mapping):
        return {
            k: REDACTED if k in SECRET_KEYS and v is not None else redact_secrets(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    return value


def normalise_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The data as it reads back from a JSON column (dates as text), so hashing at append
    and at verification sees the same value."""
    normalised: dict[str, Any] = json.loads(canonical_json(dict(data)))
    return normalised


def iso_utc(instant: datetime) -> str:
    """One text form per instant: UTC, microseconds always written."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(entry: AuditEntry) -> bytes:
    doc = {name: getattr(entry, name) for name in HASHED_FIELDS}
    doc["occurred_at"] = iso_utc(entry.occurred_at)
    return canonical_json(doc).encode("utf-8")


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(entry)).hexdigest()


def seal(entry: AuditEntry, prev_hash: str) -> AuditEntry:
    """The entry chained to `prev_hash`, with its own hash filled in."""
    chained = replace(entry, prev_hash=prev_hash)
    return replace(chained, hash=entry_hash(prev_hash, chained))


# --- Who did it -------------------------------------------------------------------------------

# Event types whose data names the person who acted, and the field and role to read.
_PERSON_FIELDS: dict[str, tuple[str, str]] = {
    DepartmentDecided.EVENT_TYPE: ("reviewer", "department_reviewer"),
    DepartmentRequestedCorrections.EVENT_TYPE: ("reviewer", "department_reviewer"),
    CorrectionRequested.EVENT_TYPE: ("clerk", "clerk"),
    MaterialsSupplied.EVENT_TYPE: ("submitted_by", "applicant"),
    ClockPaused.EVENT_TYPE: ("requested_by", "requester"),
    ClockResumed.EVENT_TYPE: ("requested_by", "requester"),
    SupervisionRaised.EVENT_TYPE: ("actor", "operator"),
    DepartmentReminded.EVENT_TYPE: ("actor", "operator"),
}


def actor_and_role(event_type: str, producer: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """Who acted, derived from the event when the caller did not say.

    Events that carry the person (a reviewer's decision, an operator's action, a read of
    personal data, an approved extension) name them; the rest were done by the producing
    system, e.g. ``lianban-orchestrator`` as ``system``.
    """
    if isinstance(data.get("actor"), str) and isinstance(data.get("role"), str):
        return data["actor"], data["role"]
    if event_type == ExtensionGranted.EVENT_TYPE:
        return str(data.get("approver", producer)), str(data.get("approver_role", "head"))
    if event_type == CaseTerminated.EVENT_TYPE:
        role = "applicant" if data.get("status") == "withdrawn" else "operator"
        return str(data.get("actor", producer)), role
    if event_type == ApplicationSubmitted.EVENT_TYPE:
        role = "clerk" if data.get("channel") == "window" else "applicant"
        return producer, role
    if event_type == ServiceRated.EVENT_TYPE:
        return "applicant", "applicant"
    person = _PERSON_FIELDS.get(event_type)
    if person and isinstance(data.get(person[0]), str):
        return data[person[0]], person[1]
    return producer, SYSTEM_ROLE


def action_of(event_type: str, data: Mapping[str, Any]) -> str:
    """The verb of the record: an operator's own action name, else the event type."""
    if event_type == OperatorActionRecorded.EVENT_TYPE and isinstance(data.get("action"), str):
        return f"operator:{data['action']}"
    return event_type


# --- Checking a chain -------------------------------------------------------------------------

BreakKind = Literal["altered", "missing", "reordered", "relinked", "head_mismatch"]


@dataclass(frozen=True)
class ChainBreak:
    """Where a chain breaks: the entry (seq and event id as stored) and what is wrong."""

    case_id: str
    kind: BreakKind
    seq: int | None
    event_id: str | None
    detail: str

    def __str__(self) -> str:
        where = f"seq {self.seq} (event {self.event_id})" if self.seq is not None else "chain"
        return f"{self.case_id} {where}: {self.kind}: {self.detail}"


@dataclass
class _Placed:
    entry: AuditEntry
    hashed_seq: int  # the seq the entry was hashed with (differs from stored when moved)
    intact: bool


@dataclass
class _Check:
    case_id: str
    breaks: list[ChainBreak] = field(default_factory=list)

    def add(self, kind: BreakKind, e: AuditEntry | None, detail: str) -> None:
        seq, eid = (e.seq, e.event_id) if e else (None, None)
        self.breaks.append(ChainBreak(self.case_id, kind, seq, eid, detail))


def _hashed_seq(e: AuditEntry, candidates: Iterable[int]) -> int | None:
    """The seq under which the entry's content still hashes right, if any (it was moved)."""
    for seq in candidates:
        if seq != e.seq and entry_hash(e.prev_hash, replace(e, seq=seq)) == e.hash:
            return seq
    return None


def _place(entries: Sequence[AuditEntry], check: _Check) -> list[_Placed]:
    """Recompute every hash; an entry whose content hashes right under another seq is reported
    as moved (reordered), one that hashes under no seq as altered."""
    top = max([e.seq for e in entries] + [len(entries)]) + 1
    placed = []
    for e in entries:
        if entry_hash(e.prev_hash, e) == e.hash:
            placed.append(_Placed(e, e.seq, True))
            continue
        moved = _hashed_seq(e, range(1, top + 1))
        if moved is None:
            check.add("altered", e, "its content does not match its hash")
            placed.append(_Placed(e, e.seq, False))
        else:
            check.add("reordered", e, f"stored at seq {e.seq} but chained as seq {moved}")
            placed.append(_Placed(e, moved, True))
    return sorted(placed, key=lambda p: p.hashed_seq)


def _links(placed: Sequence[_Placed], check: _Check) -> None:
    """Walk the entries in chained order: gaps are deleted entries, a wrong link a rewrite."""
    prev_hash, expected = GENESIS, 1
    prev: AuditEntry | None = None
    for p in placed:
        e = p.entry
        if p.hashed_seq > expected:
            after = f"after seq {prev.seq} (event {prev.event_id})" if prev else "at the start"
            gone = f"seq {expected}" + (
                f"–{p.hashed_seq - 1}" if p.hashed_seq > expected + 1 else ""
            )
            check.add("missing", e, f"{gone} deleted: the chain jumps {after} to this entry")
        elif e.prev_hash != prev_hash and p.intact:
            previous = f"seq {prev.seq} (event {prev.event_id})" if prev else "the genesis"
            check.add("relinked", e, f"chained to a hash that is not {previous}'s")
        prev_hash, expected, prev = e.hash, p.hashed_seq + 1, e


def verify_chain(
    case_id: str, entries: Sequence[AuditEntry], head: tuple[int, str] | None = None
) -> list[ChainBreak]:
    """Every break in one case's chain; empty when it is intact.

    Args:
        case_id: The case.
        entries: Its entries as stored, in stored seq order.
        head: (seq, hash) of the case's recorded head, if known: catches the last entries
            being dropped, which the chain alone cannot show.
    """
    check = _Check(case_id)
    placed = _place(entries, check)
    _links(placed, check)
    if head is not None:
        last = entries[-1] if entries else None
        seq, digest = (last.seq, last.hash) if last else (0, GENESIS)
        if (seq, digest) != head:
            check.add(
                "head_mismatch",
                last,
                f"the chain ends at seq {seq}, the recorded head is seq {head[0]}",
            )
    return check.breaks


# --- Anchors: the global head -----------------------------------------------------------------


def heads_digest(heads: Iterable[tuple[str, int, str]]) -> str:
    """sha256 over every case's head (case id, seq, hash), in case id order."""
    h = hashlib.sha256()
    for case_id, seq, digest in sorted(heads):
        h.update(f"{case_id} {seq} {digest}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Anchor:
    """The whole log's state at one moment; anchors chain to each other like entries do."""

    seq: int
    created_at: datetime
    up_to_id: int  # the largest audit_log id included
    cases: int
    entries: int
    heads_digest: str
    prev_hash: str = GENESIS
    hash: str = ""

    def document(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "created_at": iso_utc(self.created_at),
            "up_to_id": self.up_to_id,
            "cases": self.cases,
            "entries": self.entries,
            "heads_digest": self.heads_digest,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def seal_anchor(anchor: Anchor, prev_hash: str) -> Anchor:
    doc = replace(anchor, prev_hash=prev_hash).document()
    doc.pop("hash")
    digest = hashlib.sha256((prev_hash + canonical_json(doc)).encode()).hexdigest()
    return replace(anchor, prev_hash=prev_hash, hash=digest)
