"""The Jinja2 environment of the pages (autoescaping on: every value is escaped)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))

LEVEL_LABELS = {
    "none": "正常 On track",
    "yellow": "临近到期 Due soon",
    "red": "已逾期 Overdue",
    "breach": "超法定时限 Statutory breach",
}
VIEW_LABELS = {
    "open": "待办 Open",
    "due_soon": "即将到期 Due soon",
    "overdue": "已逾期 Overdue",
    "decided": "已办 Decided",
}
OUTCOME_LABELS = {
    "approve": "同意 Approve",
    "approve_with_conditions": "附条件同意 Approve with conditions",
    "reject": "不同意 Reject",
    "request_corrections": "要求补正 Request corrections",
}
RATING_LABELS = {
    "very_satisfied": "非常满意 Very satisfied",
    "satisfied": "满意 Satisfied",
    "basically_satisfied": "基本满意 Basically satisfied",
    "dissatisfied": "不满意 Dissatisfied",
    "very_dissatisfied": "非常不满意 Very dissatisfied",
}
templates.env.globals.update(
    LEVEL_LABELS=LEVEL_LABELS,
    VIEW_LABELS=VIEW_LABELS,
    OUTCOME_LABELS=OUTCOME_LABELS,
    RATING_LABELS=RATING_LABELS,
)
