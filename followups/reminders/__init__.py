"""Reminders to points of contact and staff (DESIGN.md, "Reminders: the database is the queue").

The folder: `models` (the outbox rows, policies, contacts' preferences, acknowledgements), `planner` (which rows
a deadline calls for, written in the caller's transaction), `sending` (tick, claim, send, resend), `emails` and
`ics` (the message), `acks` (the signed acknowledge link) with its `views` and `urls`, `timeline` (sent and
failed reminders on a commitment's timeline) and `admin`.
"""
