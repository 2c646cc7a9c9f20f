"""The machine-learning stages of a scoring run, run after the scores are upserted, in the same transaction:
clusters (clusters.py), churn risk (churn.py) and recommendations (recommendations.py), in the order
pipeline.py runs them; parameters.py holds what the pages read without loading the stages. What the stages keep
(models.py) is read through selectors.py by the portrait, the cluster page (views.py), the API and the admin.

Each stage reads what it needs with one bulk query per purpose (COPY into numpy/pandas, never a row at a time),
and writes back in bulk: the cluster and churn columns of RetailerScore through one COPY into a temp table and
one UPDATE … FROM, the recommendations by INSERT … SELECT. Timings per stage go into run.stats["timings"].

scikit-learn and numpy are limited to ML_THREADS threads: the worker shares its cores with PostgreSQL and
other workers, and OpenMP threads spinning on a busy machine cost more than they save.
"""
