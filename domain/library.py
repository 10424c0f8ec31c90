"""The materials library (证照库): which entries a submission may take, and how the case's
materials read once they are taken. Pure; the entries come from the caller (store.library).

A submission names an entry (`library_id`) for a material, or leaves the material out and the
center fills it from the applicant's valid entries (免提交), as the matter's reuse rules allow
(docs/library.md).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from domain.catalog import Matter, ReuseRule
from events.materials import EntryKind, MaterialProvenance, MaterialRef, ReuseHow, SharedMaterial

CENTER = "center"  # who checked a licence the center issued


def normalise_id(id_number: str) -> str:
    """An ID number or unified social credit code as the library keys it: no spaces or
    hyphens, upper case (the check character X, the letters of a credit code)."""
    return re.sub(r"[\s-]", "", id_number).upper()


def library_id_for(source: str) -> str:
    """An entry's id, derived from what made it (case, kind, code), so a retried write makes
    no second entry; unguessable without the case number."""
    return "LIB-" + hashlib.sha256(source.encode()).hexdigest()[:20].upper()


@dataclass(frozen=True)
class Entry:
    """One library entry as the rules see it."""

    library_id: str
    applicant_key: str
    code: str
    kind: str
    sha256: str
    case_id: str
    department: str
    checked_on: date
    name: str | None = None
    ref: str | None = None
    valid_until: date | None = None
    status: str = "valid"  # valid | revoked (stored); expired is read from valid_until
    licence_number: str | None = None
    revoked_reason: str | None = None
    created_at: datetime | None = None  # when it was written: orders two checked the same day

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Entry:
        return cls(**{k: row[k] for k in cls.__dataclass_fields__ if k in row})


def recency(entry: Entry) -> tuple[date, float, str]:
    """How new an entry is: the day it was checked, then when it was written (two cases of
    one applicant can be checked the same day; the later one's copy is the one to take)."""
    written = entry.created_at.timestamp() if entry.created_at is not None else 0.0
    return entry.checked_on, written, entry.library_id


def status_of(entry: Entry, today: date) -> str:
    """valid, expired (its validity ended before today) or revoked."""
    if entry.status == "revoked":
        return "revoked"
    if entry.valid_until is not None and entry.valid_until < today:
        return "expired"
    return "valid"


def _problem(entry: Entry, rule: ReuseRule, code: str, today: date) -> str | None:
    """Why this entry cannot stand for material `code` today (None: it can)."""
    status = status_of(entry, today)
    if entry.code != code:
        return f"library entry {entry.library_id} holds {entry.code}, not {code}"
    if status == "revoked":
        return f"library entry {entry.library_id} is revoked"
    if status == "expired":
        return f"library entry {entry.library_id} expired on {entry.valid_until}"
    if rule.max_age_days is not None and entry.checked_on < today - timedelta(
        days=rule.max_age_days
    ):
        return (
            f"library entry {entry.library_id} was checked on {entry.checked_on}, more than "
            f"{rule.max_age_days} days ago"
        )
    return None


def _shared(entry: Entry, how: ReuseHow, name: str | None) -> SharedMaterial:
    return SharedMaterial(
        code=entry.code,
        name=name or entry.name,
        ref=entry.ref,
        sha256=entry.sha256,
        provenance=MaterialProvenance(
            library_id=entry.library_id,
            how=how,
            kind=EntryKind(entry.kind),
            source_case=entry.case_id,
            checked_by=entry.department,
            checked_on=entry.checked_on,
            valid_until=entry.valid_until,
            licence_number=entry.licence_number,
        ),
    )


@dataclass
class Resolution:
    """What the library gives a submission, or why it cannot."""

    reused: list[SharedMaterial] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


def _named(
    matter: Matter,
    materials: Sequence[MaterialRef],
    found: Mapping[str, Entry],
    applicant: frozenset[str],
    today: date,
    out: Resolution,
) -> None:
    names = {m.code: m.name for m in matter.materials}
    for i, m in enumerate(materials):
        if m.library_id is None:
            continue
        where = f"materials[{i}] ({m.code})"
        rule, entry = matter.reuse_rule(m.code), found.get(m.library_id)
        if rule is None:
            out.refusals.append(f"{where}: {matter.code} does not take {m.code} from the library")
        elif not applicant:
            out.refusals.append(f"{where}: the applicant has no id_number to find entries by")
        elif entry is None:
            out.refusals.append(f"{where}: no library entry {m.library_id}")
        elif entry.applicant_key not in applicant:
            out.refusals.append(f"{where}: library entry {m.library_id} is another applicant's")
        elif (problem := _problem(entry, rule, m.code, today)) is not None:
            out.refusals.append(f"{where}: {problem}")
        else:
            out.reused.append(_shared(entry, ReuseHow.named, m.name or names.get(m.code)))


def _filled(
    matter: Matter,
    materials: Sequence[MaterialRef],
    candidates: Iterable[Entry],
    today: date,
    out: Resolution,
) -> None:
    have = {m.code for m in materials}
    newest: dict[str, Entry] = {}
    for e in candidates:
        rule = matter.reuse_rule(e.code)
        if rule is None or e.code in have or _problem(e, rule, e.code, today) is not None:
            continue
        best = newest.get(e.code)
        if best is None or recency(e) > recency(best):
            newest[e.code] = e
    for m in matter.materials:  # in the catalog's order
        if m.code in newest:
            out.reused.append(_shared(newest[m.code], ReuseHow.filled, m.name))


def resolve(
    matter: Matter,
    materials: Sequence[MaterialRef],
    *,
    named: Mapping[str, Entry],
    candidates: Iterable[Entry],
    applicant: frozenset[str],
    today: date,
) -> Resolution:
    """The library's part of a submission.

    Args:
        matter: the matter applied for (its reuse rules).
        materials: the submission's materials; those with a `library_id` name an entry.
        named: the entries found for those ids (a missing id is unknown).
        candidates: the applicant's entries of the codes the matter may reuse.
        applicant: the applicant's keys (`store.library.applicant_keys`); empty without an ID.
        today: the local date the rules are applied on.
    """
    out = Resolution()
    _named(matter, materials, named, applicant, today, out)
    if not out.refusals and applicant:
        _filled(matter, materials, candidates, today, out)
    return out


def material_row(material: Mapping[str, Any]) -> dict[str, Any]:
    """A material as the case keeps it (`cases.materials`, the audit fold): code, name, ref,
    and its sha256 / library_id / provenance only when it has them."""
    row = {k: material.get(k) for k in ("code", "name", "ref")}
    for k in ("sha256", "library_id", "provenance"):
        if material.get(k) is not None:
            row[k] = material[k]
    return row


def with_reuse(
    rows: list[dict[str, Any]], reused: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The case's materials once the library's are in: a named one takes the entry's file,
    hash and provenance in its place; a filled one is added. `reused`: JSON dumps of
    `SharedMaterial` (from the intake or the `MaterialsReused` event: both give the same)."""
    by_code = {r["code"]: material_row(r) for r in reused}
    out = []
    for row in rows:
        taken = by_code.pop(row["code"], None) if row.get("library_id") else None
        out.append({**taken, "name": row.get("name") or taken.get("name")} if taken else row)
    return out + [by_code[r["code"]] for r in reused if r["code"] in by_code]


def entries_from_case(
    case: Mapping[str, Any], matter: Matter | None, approved: frozenset[str], checked_on: date
) -> list[dict[str, Any]]:
    """The library entries a concluded case makes of its materials: each one of the matter's
    materials submitted with its content's SHA-256 whose checking department approved
    (`Matter.checker_of`). A material taken from the library already has its entry; one
    without a hash pins no content and is not kept. None without the applicant's key."""
    if matter is None or not case.get("applicant_key"):
        return []
    listed = {m.code: m for m in matter.materials}
    rows = []
    for m in case.get("materials") or []:
        spec = listed.get(m["code"])
        if spec is None or m.get("provenance") or not m.get("sha256"):
            continue
        department = matter.checker_of(spec)
        if department not in approved:
            continue
        rows.append(
            {
                "library_id": library_id_for(f"{case['case_id']}/material/{spec.code}"),
                "applicant_key": case["applicant_key"],
                "applicant_key_kid": case["applicant_key_kid"],
                "code": spec.code,
                "name": m.get("name") or spec.name,
                "kind": "material",
                "sha256": m["sha256"],
                "ref": m.get("ref"),
                "case_id": case["case_id"],
                "department": department,
                "checked_on": checked_on,
                "valid_until": checked_on + timedelta(days=spec.valid_days - 1)
                if spec.valid_days
                else None,
            }
        )
    return rows
