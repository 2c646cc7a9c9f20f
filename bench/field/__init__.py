"""`bench field`: the field-work and service code paths against raw-SQL baselines (benchmark: the run and its
setup; phone, office, escalation: the measures; timing)."""
