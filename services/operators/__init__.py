"""Operators: find stalled cases (`stalled`) and resume them (`actions`, `redrive`, `bulk`),
every action checked against the operator role and recorded in the case's log."""
