"""The words of the operator's pages (stalled cases, dead letters), Chinese and English, kept
together so they move into the message catalog as they are; and the center's time, to the
minute, for the times these pages show."""

from __future__ import annotations

from datetime import datetime

from domain.case_clocks import CHINA

# Each stalled reason: what it is called, and what the offered actions do about it.
REASON_LABELS = {
    "idle_task": "任务无人处理 Idle task",
    "activity_retrying": "步骤反复重试 Step retrying",
    "workflow_task_failing": "流程执行失败 Workflow task failing",
    "dead_letter": "死信待处理 Dead letter",
    "pause_overdue": "暂停超期 Pause overdue",
    "warning_unfollowed": "预警未跟进 Warning not followed up",
    "outbox_parked": "事件发布搁置 Outgoing event parked",
}

ACTION_LABELS = {
    "remind": "提醒部门 Remind",
    "retry": "立即重试 Retry now",
    "redrive": "重新投递 Re-drive",
    "dead_letter_redrive": "重新投递 Re-drive",
    "dead_letter_discard": "放弃死信 Discard",
    "end_pause": "结束暂停 End pause",
    "escalate": "督办 Escalate",
    "reset": "重置 Reset",
    "outbox_retry": "重新发布 Retry publish",
    "outbox_discard": "放弃发布 Discard",
}

# Each dead letter's error: its name, and what fixes it (re-drive after the fix, or discard).
DEAD_LETTER_ERRORS: dict[str, tuple[str, str]] = {
    "too_large": (
        "记录过大 Too large",
        "只保留了开头，永远无法投递：请发送方在限额内重发，然后放弃此条。 Only its first bytes "
        "were kept, so it can never apply: ask the sender to send it again within the limit, "
        "then discard this one.",
    ),
    "malformed_json": (
        "不是有效 JSON Malformed JSON",
        "内容无法读取，重新投递无用：请发送方修正后重发，然后放弃此条。 The bytes cannot be read; "
        "re-driving cannot help: ask the sender to fix and resend, then discard this one.",
    ),
    "invalid_envelope": (
        "信封字段有误 Invalid envelope",
        "请发送方修正后重发，然后放弃此条。 Ask the sender to fix and resend, then discard "
        "this one.",
    ),
    "invalid_payload": (
        "内容不符合约定 Invalid payload",
        "请发送方修正后重发，然后放弃此条。 Ask the sender to fix and resend, then discard "
        "this one.",
    ),
    "unknown_event_type": (
        "未知事件类型 Unknown event type",
        "升级到认识该类型的版本后可重新投递，否则放弃。 Re-drive after deploying a release that "
        "knows the type; otherwise discard.",
    ),
    "unsupported_schema_version": (
        "不支持的版本 Unsupported version",
        "升级后可重新投递，否则放弃。 Re-drive after an upgrade that reads the version; "
        "otherwise discard.",
    ),
    "unexpected_event_type": (
        "发错主题 Wrong topic",
        "请发送方发到正确主题，然后放弃此条。 Ask the sender to use the right topic, then discard.",
    ),
    "unsigned": (
        "未签名 Unsigned",
        "决定未签名，不能生效：请部门系统签名后重发，然后放弃此条。 The decision is not signed and "
        "cannot apply: ask the department's system to sign and resend, then discard this one.",
    ),
    "bad_signature": (
        "签名无效 Bad signature",
        "签名与内容不符：请部门系统重新签名后重发，然后放弃此条。 The signature does not "
        "match: ask the department's system to sign again and resend, then discard this one.",
    ),
    "unknown_key": (
        "未登记的密钥 Unknown key",
        "登记该密钥后重新投递（lianban keys add）。 Register the key (lianban keys add), then "
        "re-drive.",
    ),
    "revoked_key": (
        "密钥已吊销 Revoked key",
        "请部门系统用有效密钥重发，然后放弃此条。 Ask the department to resend with a valid key, "
        "then discard this one.",
    ),
    "not_your_department": (
        "非本部门密钥 Another department's key",
        "请部门系统用本部门密钥重发，然后放弃此条。 Ask the department to resend with its own "
        "key, then discard this one.",
    ),
    "unknown_case": (
        "办件不存在 Unknown case",
        "办件受理后重新投递；办件号有误则放弃。 Re-drive once the case exists; discard a wrong "
        "case number.",
    ),
    "duplicate_case": (
        "办件号重复 Duplicate case",
        "同一办件号的另一申请，不能生效：核实后放弃。 Another application under an existing case "
        "number; it cannot apply: check, then discard.",
    ),
    "unknown_department": (
        "部门不审此事项 Department not reviewing",
        "目录更正后重新投递，否则放弃。 Re-drive after the catalog is corrected; otherwise "
        "discard.",
    ),
    "conflicting_decision": (
        "决定冲突 Conflicting decision",
        "该部门已作出不同决定：核实后放弃。 The department already decided otherwise: check, then "
        "discard.",
    ),
    "case_closed": (
        "办件已办结 Case closed",
        "办件已办结，不再接受决定：放弃。 The case is concluded and takes no decisions: discard.",
    ),
    "processing_failed": (
        "处理出错 Processing failed",
        "原因修复后重新投递。 Re-drive once the cause is fixed.",
    ),
}

STATE_LABELS = {
    "pending": "待处理 Pending",
    "redriven": "已重新投递 Re-driven",
    "discarded": "已放弃 Discarded",
    "all": "全部 All",
}

CASE_FILTER_LABELS = {
    "any": "全部 Any",
    "with": "有办件 With a case",
    "without": "无办件 Without a case",
}


def error_label(code: str) -> str:
    return DEAD_LETTER_ERRORS.get(code, (code, ""))[0]


def error_remedy(code: str) -> str:
    return DEAD_LETTER_ERRORS.get(code, ("", ""))[1]


def local_minute(value: datetime | None) -> str:
    """A stored time as the center reads it: Asia/Shanghai, to the minute."""
    if value is None:
        return ""
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


FILTERS = {"local_minute": local_minute, "error_label": error_label, "error_remedy": error_remedy}
GLOBALS = {
    "REASON_LABELS": REASON_LABELS,
    "ACTION_LABELS": ACTION_LABELS,
    "STATE_LABELS": STATE_LABELS,
    "CASE_FILTER_LABELS": CASE_FILTER_LABELS,
}
