"""`bench import`: file imports against COPY (benchmark), the files it imports (files), what it is measured against
(baselines)."""
