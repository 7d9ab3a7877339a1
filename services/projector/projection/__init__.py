"""How events change the read tables: one rule per event type (rules.py, by aggregate in
projects.py, tasks.py, tags.py), folded over a page of rows (page.py, fold.py), written in
bulk (writing.py), with the counts and kept views they change (counts.py, affected.py)."""
