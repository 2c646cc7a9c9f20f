"""Every write on a complaint, one module per action family: intake (open), routing (who handles it), workflow
(the state machine and notes), deadlines, escalation, photos, follow_up (the rating and call-backs), exports;
`timeline.complaint_event_add` writes the case's timeline for all of them. Import from the module."""
