"""Auditors' services: replay a case to any moment, verify the audit chains and anchors
against the read model and Temporal, export dossiers, rebuild the read model from the log.

The pure parts are `domain.audit` (hashing, chain checks), `domain.audit_fold` (the fold) and
`domain.audit_timeline`; storage is `store.audit`.
"""
