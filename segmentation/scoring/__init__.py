"""Nightly scoring (评分): the scoring rules (rules.py) a run applies to every retailer — RFM scores, lifecycle,
value and loyalty classes — the run itself (services.py, started by beat at 02:00 or by a supervisor), the history
and events it writes (models.py), and how they are read (selectors.py, explanations.py) and shown (views.py,
api.py, admin.py). The run's machine-learning stages are segmentation.ml."""
